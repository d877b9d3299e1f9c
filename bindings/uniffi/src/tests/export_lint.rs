//! Guard: every `#[uniffi::export]` item holding an `async fn` must say
//! `async_runtime = "tokio"`. Forgetting it compiles, then panics with "there is no reactor
//! running" at the first reqwest call (uniffi-rs#2223). This test scans `src/` as text.

use std::path::Path;

/// Blanks comments and string/char literals (same byte offsets, newlines kept), so braces and
/// words inside them are not mistaken for code.
fn blank_non_code(src: &str) -> Vec<u8> {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in out.iter_mut().take(to).skip(from) {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| i + p);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if rest.starts_with(b"r#") || rest.starts_with(b"r\"") {
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            let start = i + 2 + hashes;
            let end = b[start..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(b.len(), |p| start + p + close.len());
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'\'' {
            // A char literal ('x', '\n', '\u{..}'), else a lifetime.
            let len = if rest.get(1) == Some(&b'\\') {
                rest.iter().skip(2).position(|&c| c == b'\'').map(|p| p + 3)
            } else {
                let ch = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                (rest.get(1 + ch) == Some(&b'\'')).then_some(ch + 2)
            };
            match len {
                Some(n) => {
                    blank(&mut out, i, i + n);
                    i += n;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The end (exclusive) of the bracketed group opening at `open`.
fn matching(code: &[u8], open: usize, (l, r): (u8, u8)) -> usize {
    let mut depth = 0usize;
    for (k, &c) in code.iter().enumerate().skip(open) {
        if c == l {
            depth += 1;
        } else if c == r {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return k + 1;
            }
        }
    }
    code.len()
}

fn has_async_fn(code: &str) -> bool {
    code.split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w[0] == "async" && (w[1] == "fn" || w[1].starts_with("fn")))
}

/// Line numbers of export attributes whose item has an `async fn` and no tokio runtime.
fn offenders(src: &str) -> Vec<usize> {
    let code = blank_non_code(src);
    let text = String::from_utf8_lossy(&code).into_owned();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("#[uniffi::export") {
        let at = from + pos;
        let attr_end = matching(&code, at + 1, (b'[', b']'));
        // The original text of the attribute: the runtime name is a string literal.
        let attr: String = src[at..attr_end].split_whitespace().collect();
        // The item: up to the end of its `{ ... }` body, or its `;`.
        let mut item_start = attr_end;
        loop {
            let rest = text[item_start..].trim_start();
            item_start = text.len() - rest.len();
            if rest.starts_with("#[") {
                item_start = matching(&code, item_start + 1, (b'[', b']'));
            } else {
                break;
            }
        }
        let body_open = text[item_start..].find(['{', ';']).map(|p| item_start + p);
        let item_end = match body_open {
            Some(p) if code[p] == b'{' => matching(&code, p, (b'{', b'}')),
            Some(p) => p,
            None => text.len(),
        };
        let item = &text[item_start..item_end];
        if has_async_fn(item) && !attr.contains("async_runtime=\"tokio\"") {
            found.push(src[..at].matches('\n').count() + 1);
        }
        from = attr_end;
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_async_export_names_the_tokio_runtime() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() >= 3, "no sources found under {}", src.display());
    let mut bad = Vec::new();
    let mut exports = 0;
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            panic!("cannot read {}", file.display());
        };
        exports += String::from_utf8_lossy(&blank_non_code(&text))
            .matches("#[uniffi::export")
            .count();
        for line in offenders(&text) {
            bad.push(format!("{}:{line}", file.display()));
        }
    }
    assert!(exports > 0, "the scan found no export at all");
    assert!(
        bad.is_empty(),
        "`#[uniffi::export]` with an `async fn` but without `async_runtime = \"tokio\"` at: {bad:?}"
    );
}

#[test]
fn the_scanner_finds_what_it_should() {
    let bad_impl = r#"
        #[uniffi::export]
        impl X {
            pub fn sync_one(&self) -> String { "}".into() }
            pub async fn call(&self) {}
        }
    "#;
    assert_eq!(offenders(bad_impl), vec![2]);

    let bad_fn = "\n#[uniffi::export(default(a = None))]\npub async fn f(a: Option<u8>) {}\n";
    assert_eq!(offenders(bad_fn), vec![2]);

    let good = r##"
        #[uniffi::export(async_runtime = "tokio")]
        impl X {
            #[uniffi::method(default(o = None))]
            pub async fn call(&self, o: Option<u8>) {}
        }
        #[uniffi::export]
        impl Y { pub fn sync_only(&self) -> char { '{' } }
        // #[uniffi::export] impl Z { async fn in_a_comment() {} }
        const S: &str = "#[uniffi::export] impl Z { async fn in_a_string() {} }";
        #[uniffi::export(Debug, Display)]
        pub struct R<'a> { x: &'a str }
    "##;
    assert!(offenders(good).is_empty(), "{:?}", offenders(good));
}
