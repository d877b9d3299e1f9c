//! Custom skills (spec E16–E18, §2.17, §2.20): install, list, replace, delete, and every
//! refusal leaving the installed bundle as it was, over real HTTP on 127.0.0.1.

mod common;

use std::io::{Cursor, Write};

use common::{Api, start};
use reqwest::StatusCode;
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        if name.ends_with('/') {
            out.add_directory(*name, options).expect("dir");
        } else {
            out.start_file(*name, options).expect("start");
            out.write_all(data).expect("write");
        }
    }
    out.finish().expect("finish").into_inner()
}

async fn install(api: &Api, name: &str, body: Vec<u8>) -> reqwest::Response {
    api.post(&format!("/v1/skills/{name}"))
        .header("content-type", "application/zip")
        .body(body)
        .send()
        .await
        .expect("answer")
}

async fn listing(api: &Api) -> Value {
    let resp = api.get("/v1/skills").send().await.expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.expect("JSON")
}

async fn error_of(resp: reqwest::Response) -> (StatusCode, String) {
    let status = resp.status();
    let body: Value = resp.json().await.expect("JSON error body");
    assert!(body["message"].is_string(), "{body}");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn install_list_replace_and_delete() {
    let api = start().await;
    assert_eq!(listing(&api).await, json!([]));
    let resp = install(
        &api,
        "myskill",
        zip_of(&[("SKILL.md", b"# My skill\n"), ("run.py", b"print(1)\n")]),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({"name": "myskill", "files": ["SKILL.md", "run.py"], "total_bytes": 20, "skill_md_size": 11})
    );
    let list = listing(&api).await;
    assert_eq!(list[0]["name"], "myskill");
    assert_eq!(list[0]["skill_md_size"], 11);
    assert!(list[0]["modified"].is_f64());

    // One wrapping folder is stripped; files missing from the new bundle disappear.
    let resp = install(
        &api,
        "myskill",
        zip_of(&[
            ("bundle/", b""),
            ("bundle/SKILL.md", b"# v2"),
            ("bundle/lib/", b""),
            ("bundle/lib/tool.py", b"x = 2"),
        ]),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["files"], json!(["SKILL.md", "lib/tool.py"]));
    assert_eq!(api.emu.skill_file("myskill", "run.py"), None);
    assert_eq!(
        api.emu.skill_file("myskill", "lib/tool.py").as_deref(),
        Some(&b"x = 2"[..])
    );

    let resp = api
        .delete("/v1/skills/myskill")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = api
        .delete("/v1/skills/myskill")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        error_of(resp).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    assert_eq!(listing(&api).await, json!([]));
}

#[tokio::test]
async fn a_refused_bundle_leaves_the_installed_one_intact() {
    let api = start().await;
    let good = zip_of(&[("SKILL.md", b"# ok"), ("a.txt", b"a")]);
    assert_eq!(
        install(&api, "keep", good).await.status(),
        StatusCode::CREATED
    );
    let before = api.emu.skills_json();

    let mut symlinked = zip::ZipWriter::new(Cursor::new(Vec::new()));
    symlinked
        .start_file("SKILL.md", SimpleFileOptions::default())
        .expect("start");
    symlinked.write_all(b"# s").expect("write");
    symlinked
        .add_symlink("passwd", "/etc/passwd", SimpleFileOptions::default())
        .expect("symlink");
    let symlinked = symlinked.finish().expect("finish").into_inner();

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not a zip", b"PK\x03\x04 but not really a zip".to_vec()),
        ("empty body", Vec::new()),
        (
            "traversal",
            zip_of(&[("SKILL.md", b"x"), ("../escape.txt", b"x")]),
        ),
        (
            "deep traversal",
            zip_of(&[("SKILL.md", b"x"), ("a/../../x", b"x")]),
        ),
        (
            "absolute",
            zip_of(&[("SKILL.md", b"x"), ("/etc/cron.d/x", b"x")]),
        ),
        ("symlink", symlinked),
        ("no SKILL.md", zip_of(&[("README.md", b"x")])),
        (
            "two folders deep",
            zip_of(&[("outer/inner/SKILL.md", b"x")]),
        ),
        ("lowercase skill.md", zip_of(&[("skill.md", b"x")])),
    ];
    for (what, body) in cases {
        let resp = install(&api, "keep", body).await;
        assert_eq!(
            error_of(resp).await,
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{what}"
        );
        assert_eq!(api.emu.skills_json(), before, "{what} changed the skill");
    }
    assert_eq!(
        api.emu.skill_file("keep", "a.txt").as_deref(),
        Some(&b"a"[..])
    );
}

#[tokio::test]
async fn size_and_entry_limits_are_413() {
    let api = start().await;
    assert_eq!(
        install(&api, "keep", zip_of(&[("SKILL.md", b"# ok")]))
            .await
            .status(),
        StatusCode::CREATED
    );
    let before = api.emu.skills_json();
    // A zip bomb: 30 MB of zeros in a few KB, refused at the default 25 MB per file.
    let bomb = vec![0u8; 30_000_000];
    let resp = install(
        &api,
        "keep",
        zip_of(&[("SKILL.md", b"x"), ("bomb.bin", &bomb)]),
    )
    .await;
    assert_eq!(
        error_of(resp).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );
    // Three 20 MB files pass the per-file limit but not the 50 MB total.
    let part = vec![7u8; 20_000_000];
    let resp = install(
        &api,
        "keep",
        zip_of(&[("SKILL.md", b"x"), ("a", &part), ("b", &part), ("c", &part)]),
    )
    .await;
    assert_eq!(
        error_of(resp).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );
    // 1000 regular files at most (directories do not count).
    let names: Vec<String> = (0..1000).map(|i| format!("f/{i}.txt")).collect();
    let mut entries: Vec<(&str, &[u8])> = vec![("SKILL.md", b"x"), ("f/", b"")];
    entries.extend(names.iter().map(|n| (n.as_str(), &b"1"[..])));
    let resp = install(&api, "keep", zip_of(&entries)).await;
    assert_eq!(
        error_of(resp).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );
    assert_eq!(api.emu.skills_json(), before);
    entries.pop();
    assert_eq!(
        install(&api, "many", zip_of(&entries)).await.status(),
        StatusCode::CREATED
    );
    // The limits are configurable.
    api.config(|c| c.skill_max_file_bytes = 10);
    let resp = install(&api, "small", zip_of(&[("SKILL.md", b"01234567890")])).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn names_follow_the_rule_on_install_and_delete() {
    let api = start().await;
    let bundle = zip_of(&[("SKILL.md", b"x")]);
    let long = "a".repeat(65);
    for bad in [
        "Bad",
        "custom-mine",
        "-lead",
        "_lead",
        "a.b",
        "caf%C3%A9",
        long.as_str(),
    ] {
        let resp = install(&api, bad, bundle.clone()).await;
        assert_eq!(
            error_of(resp).await,
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{bad}"
        );
        let resp = api
            .delete(&format!("/v1/skills/{bad}"))
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    for good in ["a", "0-x_y", &"z".repeat(64)] {
        assert_eq!(
            install(&api, good, bundle.clone()).await.status(),
            StatusCode::CREATED,
            "{good}"
        );
    }
    assert_eq!(listing(&api).await.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn skills_are_visible_to_sessions_created_after_the_upload() {
    let api = start().await;
    let bundle = zip_of(&[("SKILL.md", b"x")]);
    assert_eq!(
        install(&api, "first", bundle.clone()).await.status(),
        StatusCode::CREATED
    );
    let early = api.session(json!({})).await;
    assert_eq!(
        install(&api, "second", bundle).await.status(),
        StatusCode::CREATED
    );
    let late = api.session(json!({})).await;
    let sessions = api.emu.sessions_json();
    let skills_of = |id: &str| {
        sessions
            .as_array()
            .and_then(|all| all.iter().find(|s| s["id"] == id))
            .map(|s| s["skills"].clone())
    };
    assert_eq!(skills_of(&early), Some(json!(["first"])));
    assert_eq!(skills_of(&late), Some(json!(["first", "second"])));
}

#[tokio::test]
async fn skills_need_the_bearer_and_take_faults() {
    let api = common::start_with(Some("pk_right")).await;
    let resp = api.get("/v1/skills").send().await.expect("answer");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    api.emu.add_fault(poke_emulator::Fault {
        path: "/v1/skills/*".into(),
        status: Some(503),
        ..poke_emulator::Fault::default()
    });
    let resp = api
        .http
        .post(api.url("/v1/skills/x"))
        .bearer_auth("pk_right")
        .body(zip_of(&[("SKILL.md", b"x")]))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(api.emu.skills_json().as_array().is_some_and(Vec::is_empty));
}
