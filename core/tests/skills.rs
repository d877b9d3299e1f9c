//! Custom skills (E16–E18) through the client, against the bundled emulator: directories
//! zipped on the fly with progress, zip files and bytes, and every refusal typed, with nothing
//! sent or nothing changed on the server.

use poke::{Error, ErrorKind, PokeeClient, SkillSource};
use poke_emulator::{Emulator, EmulatorConfig};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

async fn setup() -> (Emulator, PokeeClient) {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let client = PokeeClient::builder()
        .api_key("pk_skills")
        .base_url(emu.pokee_api_url())
        .build()
        .expect("client");
    (emu, client)
}

/// A fresh directory holding `files`.
fn tree(files: &[(&str, &[u8])]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("poke-skill-test-{}", uuid::Uuid::new_v4()));
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    dir
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, data) in entries {
        out.start_file(*name, options).expect("start");
        out.write_all(data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

fn kind(e: &Error) -> Option<ErrorKind> {
    e.api().map(|a| a.kind)
}

fn api_requests(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/"))
        .count()
}

#[tokio::test]
async fn install_a_directory_with_progress_then_replace_and_delete() {
    let (emu, c) = setup().await;
    let dir = tree(&[
        ("SKILL.md", b"# Weather\nUse run.py."),
        ("run.py", b"print('sunny')\n"),
        ("lib/util.py", b"X = 1\n"),
    ]);
    let reports = Arc::new(Mutex::new(Vec::new()));
    let seen = reports.clone();
    let installed = c
        .install_skill("weather", dir.as_path(), move |done, total| {
            seen.lock().expect("lock").push((done, total));
        })
        .await
        .expect("installed");
    assert_eq!(installed.name, "weather");
    assert_eq!(installed.files, ["SKILL.md", "lib/util.py", "run.py"]);
    assert_eq!(installed.skill_md_size, 21);
    assert_eq!(installed.total_bytes, 21 + 15 + 6);
    let reports = reports.lock().expect("lock").clone();
    let total = reports.last().and_then(|r| r.1).expect("a total");
    assert_eq!(reports.last().map(|r| r.0), Some(total));
    assert!(reports.windows(2).all(|w| w[0].0 < w[1].0));
    let upload = emu
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/v1/skills/weather")
        .expect("the upload");
    assert_eq!(upload.header("content-type"), Some("application/zip"));
    assert_eq!(upload.body_len as u64, total);

    let listed = c.list_skills().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "weather");

    // Replace from zip bytes: the old files disappear.
    let replaced = c
        .install_skill("weather", zip_of(&[("SKILL.md", b"# v2")]), |_, _| {})
        .await
        .expect("replaced");
    assert_eq!(replaced.files, ["SKILL.md"]);
    assert_eq!(emu.skill_file("weather", "run.py"), None);
    // And from a .zip file on disk.
    let file = dir.join("bundle.zip");
    std::fs::write(&file, zip_of(&[("SKILL.md", b"# v3"), ("a.txt", b"a")])).expect("write");
    let from_file = c
        .install_skill("weather", SkillSource::Path(file), |_, _| {})
        .await
        .expect("from a file");
    assert_eq!(from_file.files, ["SKILL.md", "a.txt"]);

    c.delete_skill("weather").await.expect("deleted");
    assert!(c.list_skills().await.expect("list").is_empty());
    let gone = c.delete_skill("weather").await.expect_err("404");
    assert_eq!(kind(&gone), Some(ErrorKind::NotFound));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn local_refusals_send_nothing() {
    let (emu, c) = setup().await;
    let no_skill_md = tree(&[("README.md", b"x")]);
    let err = c
        .install_skill("s", no_skill_md.as_path(), |_, _| {})
        .await
        .expect_err("no SKILL.md");
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "source",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("SKILL.md"), "{err}");
    #[cfg(unix)]
    {
        let linked = tree(&[("SKILL.md", b"x")]);
        std::os::unix::fs::symlink("/etc/hostname", linked.join("host")).expect("symlink");
        let err = c
            .install_skill("s", linked.as_path(), |_, _| {})
            .await
            .expect_err("a symlink");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let outside = tree(&[("SKILL.md", b"x")]);
        std::os::unix::fs::symlink("/tmp", outside.join("escape")).expect("symlink");
        let err = c
            .install_skill("s", outside.as_path(), |_, _| {})
            .await
            .expect_err("a directory link");
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
        let _ = std::fs::remove_dir_all(linked);
        let _ = std::fs::remove_dir_all(outside);
    }
    for bad in ["", "Bad", "custom-x", "-x", "a/b", &"a".repeat(65)] {
        let err = c
            .install_skill(bad, zip_of(&[("SKILL.md", b"x")]), |_, _| {})
            .await
            .expect_err("bad name");
        assert!(
            matches!(err, Error::InvalidInput { field: "name", .. }),
            "{bad}: {err}"
        );
        let err = c.delete_skill(bad).await.expect_err("bad name");
        assert!(
            matches!(err, Error::InvalidInput { field: "name", .. }),
            "{bad}"
        );
    }
    let missing = c
        .install_skill("s", Path::new("/nonexistent/skill"), |_, _| {})
        .await
        .expect_err("no such path");
    assert!(matches!(missing, Error::File { .. }), "{missing}");
    assert_eq!(api_requests(&emu), 0);
    let _ = std::fs::remove_dir_all(no_skill_md);
}

#[tokio::test]
async fn server_refusals_are_typed_and_change_nothing() {
    let (emu, c) = setup().await;
    c.install_skill(
        "keep",
        zip_of(&[("SKILL.md", b"# ok"), ("a", b"a")]),
        |_, _| {},
    )
    .await
    .expect("installed");
    let before = emu.skills_json();
    let bomb = vec![0u8; 26_000_000];
    let cases: Vec<(Vec<u8>, ErrorKind)> = vec![
        (b"definitely not a zip".to_vec(), ErrorKind::BadRequest),
        (
            zip_of(&[("SKILL.md", b"x"), ("../../etc/evil", b"x")]),
            ErrorKind::BadRequest,
        ),
        (zip_of(&[("notes.md", b"x")]), ErrorKind::BadRequest),
        (
            zip_of(&[("SKILL.md", b"x"), ("big.bin", &bomb)]),
            ErrorKind::PayloadTooLarge,
        ),
    ];
    for (bundle, expected) in cases {
        let err = c
            .install_skill("keep", bundle, |_, _| {})
            .await
            .expect_err("refused");
        assert_eq!(kind(&err), Some(expected), "{err}");
        assert_eq!(emu.skills_json(), before);
    }
    // Refusals are not retried: one request each.
    let posts = emu
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/skills/keep")
        .count();
    assert_eq!(posts, 5);
}
