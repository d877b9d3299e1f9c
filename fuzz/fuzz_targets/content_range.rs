//! `Content-Range` of a resumed download: the start byte of `bytes <start>-<end>/<size>`, or
//! nothing, for any header text; checked against a parser written out here.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// `bytes`, optional whitespace, then the text up to the first `-`, trimmed, as a u64.
fn reference(value: &str) -> Option<u64> {
    let v = value.trim();
    let spec = v.strip_prefix("bytes")?.trim_start();
    let first = match spec.find('-') {
        Some(i) => &spec[..i],
        None => spec,
    };
    first.trim().parse().ok()
}

fuzz_target!(|input: &[u8]| {
    // A well-formed value made of the input's first 24 bytes always gives its start.
    let mut n = [0u8; 24];
    let k = input.len().min(24);
    n[..k].copy_from_slice(&input[..k]);
    let word = |i: usize| u64::from_le_bytes(n[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let formed = format!("bytes {}-{}/{}", word(0), word(1), word(2));
    assert_eq!(poke::fuzzing::content_range_start(&formed), Some(word(0)));

    let Ok(value) = std::str::from_utf8(input) else {
        return;
    };
    let got = poke::fuzzing::content_range_start(value);
    assert_eq!(got, reference(value), "{value:?}");
    if got.is_some() {
        assert!(value.trim_start().starts_with("bytes"));
    }
});
