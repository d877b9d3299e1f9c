//! The files API (E11–E14): upload, download with `Range`, listing, delete, limits, path rules
//! and session scope, over real HTTP on 127.0.0.1.

mod common;

use common::{Api, raw_request, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn put(
    api: &Api,
    sid: &str,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    api.put(&format!("/v1/sessions/{sid}/files/{path}"))
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .expect("answer")
}

async fn get(api: &Api, sid: &str, path: &str) -> reqwest::Response {
    api.get(&format!("/v1/sessions/{sid}/files/{path}"))
        .send()
        .await
        .expect("answer")
}

async fn list(api: &Api, sid: &str, query: &str) -> reqwest::Response {
    api.get(&format!("/v1/sessions/{sid}/files{query}"))
        .send()
        .await
        .expect("answer")
}

async fn error_name(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("JSON error");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn upload_download_list_and_overwrite() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    let resp = put(&api, &sid, "inputs/research_notes.md", "# notes\n").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["path"], "inputs/research_notes.md");
    assert_eq!(body["size"], 8);
    assert!(body["modified"].is_f64());
    // Overwrite is still 201.
    let resp = put(&api, &sid, "inputs/research_notes.md", "# notes v2\n").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    put(&api, &sid, "inputs/charts/q3.png", vec![0u8; 10]).await;
    put(&api, &sid, "top.txt", "t").await;

    let resp = get(&api, &sid, "inputs/research_notes.md").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/markdown");
    assert_eq!(resp.headers()["content-length"], "11");
    assert_eq!(resp.headers()["accept-ranges"], "bytes");
    assert_eq!(resp.text().await.expect("body"), "# notes v2\n");

    let root: Value = list(&api, &sid, "").await.json().await.expect("JSON");
    let names: Vec<&str> = root
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["inputs", "top.txt"]);
    assert_eq!(root[0]["type"], "directory");
    assert_eq!(root[0]["size"], 0);
    assert_eq!(root[1]["type"], "file");
    let inputs: Value = list(&api, &sid, "?path=inputs")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(inputs[0]["name"], "charts");
    assert_eq!(inputs[1]["name"], "research_notes.md");
    assert_eq!(inputs[1]["size"], 11);
    // A trailing slash on a directory read is fine; a directory GET lists it.
    let same: Value = list(&api, &sid, "?path=inputs/")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(same, inputs);
    let resp = get(&api, &sid, "inputs").await;
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.json::<Value>().await.expect("JSON"), inputs);
    let resp = get(&api, &sid, "inputs/").await;
    assert_eq!(resp.json::<Value>().await.expect("JSON"), inputs);
    // Percent-encoding is decoded once.
    put(&api, &sid, "with%20space.txt", "s").await;
    assert!(api.emu.workspace_file("with space.txt").is_some());
}

#[tokio::test]
async fn ranges_and_416() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    put(&api, &sid, "data.bin", "0123456789").await;
    for (range, expected, content_range) in [
        ("bytes=0-4", "01234", "bytes 0-4/10"),
        ("bytes=7-", "789", "bytes 7-9/10"),
        ("bytes=-3", "789", "bytes 7-9/10"),
        ("bytes=8-100", "89", "bytes 8-9/10"),
    ] {
        let resp = api
            .get(&format!("/v1/sessions/{sid}/files/data.bin"))
            .header("range", range)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(resp.headers()["content-range"], content_range);
        assert_eq!(resp.headers()["content-length"], expected.len().to_string());
        assert_eq!(resp.text().await.expect("body"), expected);
    }
    for range in [
        "bytes=10-",
        "bytes=5-2",
        "bytes=0-1,3-4",
        "lines=1-2",
        "bytes=abc",
        "bytes=-0",
    ] {
        let resp = api
            .get(&format!("/v1/sessions/{sid}/files/data.bin"))
            .header("range", range)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.headers()["content-range"], "bytes */10", "{range}");
        assert_eq!(
            error_name(resp).await,
            (416, "range_not_satisfiable".into()),
            "{range}"
        );
    }
}

#[tokio::test]
async fn upload_and_workspace_limits_are_413() {
    let api = start().await;
    api.config(|c| c.upload_limit_bytes = 1024);
    let sid = api.session(json!({})).await;
    assert_eq!(
        put(&api, &sid, "ok.bin", vec![1u8; 1024]).await.status(),
        StatusCode::CREATED
    );
    let resp = put(&api, &sid, "big.bin", vec![1u8; 4096]).await;
    assert_eq!(error_name(resp).await, (413, "payload_too_large".into()));
    assert!(api.emu.workspace_file("big.bin").is_none());
    // A streamed body without Content-Length is cut off the same way.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..8).map(|_| Ok(vec![2u8; 512])).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let resp = put(&api, &sid, "streamed.bin", body).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Uploads are journaled without their body.
    let journaled = api
        .emu
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("big.bin"))
        .expect("journaled");
    assert_eq!((journaled.body.as_str(), journaled.body_len), ("", 4096));

    api.config(|c| c.workspace_limit_bytes = 1500);
    let resp = put(&api, &sid, "more.bin", vec![1u8; 600]).await;
    assert_eq!(error_name(resp).await, (413, "payload_too_large".into()));
    // Replacing a file only counts the difference.
    assert_eq!(
        put(&api, &sid, "ok.bin", vec![1u8; 1000]).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn delete_and_other_errors() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    put(&api, &sid, "dir/a.txt", "a").await;
    let path = format!("/v1/sessions/{sid}/files/dir/a.txt");
    let resp = api.delete(&path).send().await.expect("answer");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = api.delete(&path).send().await.expect("answer");
    assert_eq!(error_name(resp).await, (404, "not_found".into()));
    let resp = api
        .delete(&format!("/v1/sessions/{sid}/files/dir"))
        .send()
        .await
        .expect("answer");
    assert_eq!(error_name(resp).await, (400, "bad_request".into()));
    // PUT onto a directory, a file under a file, listing a file, missing things.
    assert_eq!(
        error_name(put(&api, &sid, "dir", "x").await).await,
        (400, "bad_request".into())
    );
    put(&api, &sid, "f.txt", "x").await;
    assert_eq!(
        error_name(put(&api, &sid, "f.txt/g", "x").await).await,
        (400, "bad_request".into())
    );
    assert_eq!(
        error_name(list(&api, &sid, "?path=f.txt").await).await,
        (400, "bad_request".into())
    );
    assert_eq!(
        error_name(list(&api, &sid, "?path=nope").await).await,
        (404, "not_found".into())
    );
    assert_eq!(
        error_name(get(&api, &sid, "nope.txt").await).await,
        (404, "not_found".into())
    );
    assert_eq!(
        error_name(get(&api, &sid, "f.txt/").await).await,
        (403, "invalid_path".into())
    );
    assert_eq!(
        error_name(get(&api, "sess_000000000000", "f.txt").await).await,
        (404, "not_found".into())
    );
}

#[tokio::test]
async fn invalid_paths_are_403() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    api.emu
        .put_workspace_file("secret.txt", "s")
        .expect("written");
    let base = format!("/v1/sessions/{sid}/files");
    // Sent raw, so no URL library can normalise the dots away.
    for target in [
        format!("{base}/../secret.txt"),
        format!("{base}/a/../../secret.txt"),
        format!("{base}/%2e%2e/secret.txt"),
        format!("{base}/..%2Fsecret.txt"),
        format!("{base}//etc/passwd"),
        format!("{base}/%2Fetc%2Fpasswd"),
        format!("{base}/a/./b"),
        format!("{base}/a//b"),
        format!("{base}/a%5Cb"),
        format!("{base}/a%00b"),
        format!("{base}/a%0Ab"),
        format!("{base}/%zz"),
        format!("{base}/%ff"),
        format!("{base}/"),
        format!("{base}/{}", "a".repeat(1025)),
        format!("{base}?path=../x"),
        format!("{base}?path=%2Fetc"),
        format!("{base}?path=a//b"),
    ] {
        for method in ["GET", "PUT", "DELETE"] {
            if target.contains('?') && method != "GET" {
                continue;
            }
            let (status, body) = raw_request(&api, method, &target).await;
            assert_eq!(status, 403, "{method} {target}");
            assert!(
                body.contains("\"invalid_path\""),
                "{method} {target}: {body}"
            );
        }
    }
    assert_eq!(
        api.emu.workspace_file("secret.txt").as_deref(),
        Some(&b"s"[..])
    );
}

#[tokio::test]
async fn scope_limits_reads_writes_and_listings() {
    let api = start().await;
    for path in [
        "projects/acme/brief.md",
        "projects/acme2/x.md",
        "shared/templates/t.pptx",
        "hr/salaries.csv",
    ] {
        api.emu.put_workspace_file(path, "x").expect("written");
    }
    let sid = api
        .session(json!({"file_access": {
            "read": ["projects/acme", "shared/templates"],
            "write": ["projects/acme/output"]
        }}))
        .await;
    assert_eq!(
        get(&api, &sid, "projects/acme/brief.md").await.status(),
        StatusCode::OK
    );
    let resp = get(&api, &sid, "projects/acme2/x.md").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({"error": "forbidden", "message": "'projects/acme2/x.md' not in session scope"})
    );
    assert_eq!(
        error_name(get(&api, &sid, "hr/nothing-here.csv").await).await,
        (403, "forbidden".into())
    );
    // write implies read; read-only areas refuse PUT and DELETE.
    assert_eq!(
        put(&api, &sid, "projects/acme/output/deck.pptx", "d")
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        get(&api, &sid, "projects/acme/output/deck.pptx")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        error_name(put(&api, &sid, "projects/acme/brief.md", "x").await).await,
        (403, "forbidden".into())
    );
    let resp = api
        .delete(&format!("/v1/sessions/{sid}/files/projects/acme/brief.md"))
        .send()
        .await
        .expect("answer");
    assert_eq!(error_name(resp).await, (403, "forbidden".into()));
    // The session's own folder is always writable.
    assert_eq!(
        put(&api, &sid, &format!(".sessions/{sid}/scratch.md"), "s")
            .await
            .status(),
        StatusCode::CREATED
    );
    // Listing an ancestor shows only the way to covered entries.
    let root: Value = list(&api, &sid, "").await.json().await.expect("JSON");
    let names: Vec<&str> = root
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, [".sessions", "projects", "shared"]);
    let projects: Value = list(&api, &sid, "?path=projects")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(projects.as_array().map(Vec::len), Some(1));
    assert_eq!(projects[0]["name"], "acme");
    assert_eq!(
        error_name(list(&api, &sid, "?path=hr").await).await,
        (403, "forbidden".into())
    );
    // Another, unrestricted session sees everything.
    let open = api.session(json!({})).await;
    let root: Value = list(&api, &open, "").await.json().await.expect("JSON");
    assert_eq!(root.as_array().map(Vec::len), Some(4));
}
