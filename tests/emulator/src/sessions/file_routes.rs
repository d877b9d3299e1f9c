//! Routes of the files API (E11–E14): list, download with `Range`, streamed upload, delete,
//! all filtered by the session's scope and the path rules.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::get;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::json;

use super::errors::{
    api_error, bad_request, invalid_path, not_found, out_of_scope, payload_too_large,
    service_unavailable, session_not_found, unauthorized,
};
use super::paths::{ListAccess, normalize, percent_decode};
use super::store::Store;
use super::workspace::{Entry, Node, WriteError};
use crate::auth::api_key_accepted;
use crate::response::json;
use crate::state::AppState;

/// How much of a refused upload is still read, so the client gets the 413 rather than a
/// reset connection.
const DRAIN_LIMIT_BYTES: u64 = 64 * 1024 * 1024;
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/sessions/{id}/files", get(list_files))
        .route(
            "/v1/sessions/{id}/files/",
            get(get_file).put(put_file).delete(delete_file),
        )
        .route(
            "/v1/sessions/{id}/files/{*path}",
            get(get_file).put(put_file).delete(delete_file),
        )
}

/// The raw (still percent-encoded) session id and file path of a `/files/` URI; the path is
/// taken from the URI itself so it is decoded exactly once, here.
fn split_file_uri(uri: &Uri) -> Option<(String, &str)> {
    let rest = uri.path().strip_prefix("/v1/sessions/")?;
    let (raw_id, rest) = rest.split_once('/')?;
    let raw_path = rest.strip_prefix("files/")?;
    Some((percent_decode(raw_id, false)?, raw_path))
}

/// A directory listing, cut down to what the scope shows.
fn listing(store: &Store, dir: &str, access: ListAccess) -> Vec<Entry> {
    let mut entries = store.workspace.list(dir);
    if let ListAccess::Partial(children) = access {
        entries.retain(|e| children.contains(&e.name));
    }
    entries
}

/// Lists directory `dir` for session `id`: 403 out of scope, 400 for a file, 404 missing.
fn list_dir(store: &Store, id: &str, dir: &str) -> Response {
    let Some(session) = store.session(id) else {
        return session_not_found(id);
    };
    let access = session.scope.list_access(dir);
    if matches!(access, ListAccess::Denied) {
        return out_of_scope(dir);
    }
    if store.workspace.is_dir(dir) {
        return json(StatusCode::OK, &listing(store, dir, access));
    }
    match store.workspace.get(dir) {
        Some(Node::File { .. }) => bad_request(format!("'{dir}' is a file, not a directory")),
        _ => not_found(format!("directory '{dir}' not found")),
    }
}

async fn list_files(
    State(state): State<Arc<AppState>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let store = state.sessions.store();
    if store.session(&id).is_none() {
        return session_not_found(&id);
    }
    let mut raw = None;
    for pair in query.as_deref().unwrap_or_default().split('&') {
        if let Some(value) = pair.strip_prefix("path=") {
            raw = Some(value);
        }
    }
    let dir = match raw {
        None | Some("") => String::new(),
        Some(raw) => {
            let Some(decoded) = percent_decode(raw, true) else {
                return invalid_path("path is not valid percent-encoded UTF-8");
            };
            match normalize(&decoded, true) {
                Ok(dir) => dir,
                Err(reason) => return invalid_path(reason),
            }
        }
    };
    list_dir(&store, &id, &dir)
}

/// Why a `/files/{path}` request is refused before its path is looked up.
enum Refusal {
    Unauthorized,
    NoRoute,
    NoSession(String),
    InvalidPath(String),
}

impl Refusal {
    fn response(self) -> Response {
        match self {
            Refusal::Unauthorized => unauthorized(),
            Refusal::NoRoute => not_found("No such route"),
            Refusal::NoSession(id) => session_not_found(&id),
            Refusal::InvalidPath(reason) => invalid_path(reason),
        }
    }
}

/// The checked target of a `/files/{path}` request.
struct Target {
    session_id: String,
    path: String,
    trailing_slash: bool,
}

/// The session id and the checked path of a `/files/{path}` request.
fn file_target(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    directory_read: bool,
) -> Result<Target, Refusal> {
    if !api_key_accepted(state, headers) {
        return Err(Refusal::Unauthorized);
    }
    let (session_id, raw_path) = split_file_uri(uri).ok_or(Refusal::NoRoute)?;
    if state.sessions.store().session(&session_id).is_none() {
        return Err(Refusal::NoSession(session_id));
    }
    let decoded = percent_decode(raw_path, false)
        .ok_or_else(|| Refusal::InvalidPath("path is not valid percent-encoded UTF-8".into()))?;
    let trailing_slash = decoded.ends_with('/');
    let path = normalize(&decoded, directory_read).map_err(Refusal::InvalidPath)?;
    Ok(Target {
        session_id,
        path,
        trailing_slash,
    })
}

async fn get_file(State(state): State<Arc<AppState>>, headers: HeaderMap, uri: Uri) -> Response {
    let Target {
        session_id: id,
        path,
        trailing_slash,
    } = match file_target(&state, &headers, &uri, true) {
        Ok(target) => target,
        Err(refusal) => return refusal.response(),
    };
    let store = state.sessions.store();
    let Some(session) = store.session(&id) else {
        return session_not_found(&id);
    };
    let data = match store.workspace.get(&path) {
        Some(Node::Dir { .. }) => return list_dir(&store, &id, &path),
        Some(Node::File { .. }) if trailing_slash => {
            return invalid_path("a trailing '/' is only allowed on directories");
        }
        Some(Node::File { data, .. }) if session.scope.can_read(&path) => data.clone(),
        _ if !session.scope.can_read(&path) => return out_of_scope(&path),
        _ => return not_found(format!("file '{path}' not found")),
    };
    drop(store);
    download(&path, data, headers.get(header::RANGE))
}

/// A single byte range, inclusive.
#[derive(Debug, PartialEq)]
struct ByteRange {
    start: u64,
    end: u64,
}

/// Parses one `bytes=` range against `size`; `Err` means 416 (malformed, several ranges, or
/// unsatisfiable).
fn parse_range(value: &str, size: u64) -> Result<ByteRange, ()> {
    let spec = value.trim().strip_prefix("bytes=").ok_or(())?.trim();
    if spec.contains(',') || size == 0 {
        return Err(());
    }
    let (first, last) = spec.split_once('-').ok_or(())?;
    let number = |s: &str| -> Result<u64, ()> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(());
        }
        s.parse().map_err(|_| ())
    };
    if first.is_empty() {
        let suffix = number(last)?;
        if suffix == 0 {
            return Err(());
        }
        return Ok(ByteRange {
            start: size.saturating_sub(suffix),
            end: size - 1,
        });
    }
    let start = number(first)?;
    if start >= size {
        return Err(());
    }
    let end = if last.is_empty() {
        size - 1
    } else {
        let end = number(last)?;
        if end < start {
            return Err(());
        }
        end.min(size - 1)
    };
    Ok(ByteRange { start, end })
}

fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "md" => "text/markdown",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

fn download(path: &str, data: Bytes, range: Option<&HeaderValue>) -> Response {
    let size = data.len() as u64;
    let (status, body, content_range) = match range {
        None => (StatusCode::OK, data, None),
        Some(value) => match value
            .to_str()
            .map_err(|_| ())
            .and_then(|v| parse_range(v, size))
        {
            Ok(ByteRange { start, end }) => (
                StatusCode::PARTIAL_CONTENT,
                data.slice(start as usize..=end as usize),
                Some(format!("bytes {start}-{end}/{size}")),
            ),
            Err(()) => {
                let mut response = api_error(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "range_not_satisfiable",
                    format!("cannot satisfy Range for a file of {size} bytes"),
                );
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                return response;
            }
        },
    };
    let length = body.len();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(value) = content_range.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::CONTENT_RANGE, value);
    }
    response
}

enum UploadError {
    TooLarge,
    Read,
    Busy,
}

/// Reads an upload body up to `limit` bytes without ever holding more.
async fn read_upload(body: Body, limit: u64) -> Result<Bytes, UploadError> {
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    let mut held = crate::budget::Held::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| UploadError::Read)?;
        if buf.len() as u64 + chunk.len() as u64 > limit {
            drop(buf);
            let drain = async {
                let mut seen = 0u64;
                while let Some(Ok(more)) = stream.next().await {
                    seen += more.len() as u64;
                    if seen > DRAIN_LIMIT_BYTES {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
            return Err(UploadError::TooLarge);
        }
        held.grow(buf.len() + chunk.len())
            .await
            .map_err(|_| UploadError::Busy)?;
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

async fn put_file(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let Target {
        session_id: id,
        path,
        ..
    } = match file_target(&state, &headers, &uri, false) {
        Ok(target) => target,
        Err(refusal) => return refusal.response(),
    };
    let limit = {
        let store = state.sessions.store();
        let Some(session) = store.session(&id) else {
            return session_not_found(&id);
        };
        if !session.scope.can_write(&path) {
            return out_of_scope(&path);
        }
        if store.workspace.is_dir(&path) {
            return bad_request(format!("'{path}' is a directory"));
        }
        store.config.upload_limit_bytes
    };
    let data = match read_upload(body, limit).await {
        Ok(data) => data,
        Err(UploadError::TooLarge) => {
            return payload_too_large(format!("upload exceeds the limit of {limit} bytes"));
        }
        Err(UploadError::Read) => return bad_request("failed to read the upload body"),
        Err(UploadError::Busy) => return service_unavailable(),
    };
    let now = state.sessions.now();
    let mut store = state.sessions.store();
    if store.session(&id).is_none() {
        return session_not_found(&id);
    }
    let after =
        store.workspace.total_bytes() - store.workspace.file_size(&path) + data.len() as u64;
    if after > store.config.workspace_limit_bytes {
        return payload_too_large("the workspace size limit would be exceeded");
    }
    let size = data.len();
    match store.workspace.put(&path, data, now) {
        Ok(()) => json(
            StatusCode::CREATED,
            &json!({"path": path, "size": size, "modified": now}),
        ),
        Err(WriteError::NotAFile(at)) => bad_request(format!("'{at}' is a directory or a file")),
    }
}

async fn delete_file(State(state): State<Arc<AppState>>, headers: HeaderMap, uri: Uri) -> Response {
    let Target {
        session_id: id,
        path,
        ..
    } = match file_target(&state, &headers, &uri, false) {
        Ok(target) => target,
        Err(refusal) => return refusal.response(),
    };
    let now = state.sessions.now();
    let mut store = state.sessions.store();
    let Some(session) = store.session(&id) else {
        return session_not_found(&id);
    };
    if !session.scope.can_write(&path) {
        return out_of_scope(&path);
    }
    match store.workspace.delete(&path, now) {
        Ok(()) => {
            let mut response = Response::default();
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        Err(super::workspace::DeleteError::Missing) => {
            not_found(format!("file '{path}' not found"))
        }
        Err(super::workspace::DeleteError::IsDirectory) => {
            bad_request(format!("'{path}' is a directory"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = |s: &str| parse_range(s, 100);
        assert_eq!(r("bytes=0-9"), Ok(ByteRange { start: 0, end: 9 }));
        assert_eq!(r("bytes=90-"), Ok(ByteRange { start: 90, end: 99 }));
        assert_eq!(r("bytes=-10"), Ok(ByteRange { start: 90, end: 99 }));
        assert_eq!(r("bytes=-500"), Ok(ByteRange { start: 0, end: 99 }));
        assert_eq!(r("bytes=50-1000"), Ok(ByteRange { start: 50, end: 99 }));
        for bad in [
            "bytes=100-",
            "bytes=5-1",
            "bytes=-0",
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=x-1",
            "bytes=",
            "bytes=-",
            "0-1",
            "bytes=+1-2",
        ] {
            assert_eq!(r(bad), Err(()), "{bad}");
        }
        assert_eq!(parse_range("bytes=0-", 0), Err(()));
    }

    #[test]
    fn file_uris() {
        let uri: Uri = "/v1/sessions/sess_1/files/a%20b/c.txt"
            .parse()
            .expect("uri");
        assert_eq!(
            split_file_uri(&uri),
            Some(("sess_1".to_owned(), "a%20b/c.txt"))
        );
        assert!(content_type("x/deck.PPTX").ends_with("presentationml.presentation"));
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
