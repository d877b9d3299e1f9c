//! The sessions client end to end over real HTTP on 127.0.0.1, against a small scripted axum
//! server that serves just enough of the Pokee Enterprise API (spec §2) to exercise
//! streaming, resume, files and errors. Nothing here depends on timing.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use futures_util::StreamExt;
use poke::{
    BulkDelete, CallOptions, CreateSession, Error, ErrorKind, FileAccess, PokeeClient,
    ResumePolicy, RetryPolicy, TurnEventKind, WaitOptions,
};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "pk_canary_sessions_123";
const SID: &str = "sess_a86118c06688";
const RID: &str = "msg_0123456789abcdef01234567";

/// How one SSE connection ends after its events.
#[derive(Clone, Copy, Debug)]
enum End {
    /// Clean end of body, without a terminal event unless the range included it.
    Close,
    /// The body fails: the connection is cut.
    Fail,
    /// Nothing more is ever sent.
    Stall,
}

/// What one turn-stream request answers.
#[derive(Clone, Debug)]
enum Plan {
    /// Events from `last_event_id + 1 - back` (so `back` replays already-sent ids) to `upto`
    /// (exclusive), then `end`.
    Events {
        back: usize,
        upto: usize,
        end: End,
        crlf: bool,
    },
    /// An error status with a JSON error body.
    Status(u16, &'static str),
    /// A 200 JSON body instead of a stream.
    Json(Value),
}

#[derive(Default)]
struct Server {
    /// method, path and query, Last-Event-ID, Idempotency-Key, Authorization.
    journal: Vec<Logged>,
    events: Vec<String>,
    message_plans: VecDeque<Plan>,
    resume_plans: VecDeque<Plan>,
    session_records: VecDeque<Value>,
    files: HashMap<String, Vec<u8>>,
    /// Files served with their full Content-Length but cut after this many bytes.
    broken_files: HashMap<String, (Vec<u8>, usize)>,
}

#[derive(Clone, Debug)]
struct Logged {
    method: String,
    uri: String,
    last_event_id: Option<String>,
    idempotency_key: Option<String>,
    authorization: Option<String>,
}

type Shared = Arc<Mutex<Server>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Server> {
    s.lock().expect("server state")
}

fn turn_events(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let (name, data) = if i == 0 {
                (
                    "message.created",
                    json!({"id": RID, "session_id": SID, "status": "in_progress", "sequence_number": 0}),
                )
            } else if i + 1 == n {
                (
                    "message.completed",
                    json!({"id": RID, "status": "completed", "usage": {"total_tokens": 3}, "sequence_number": i}),
                )
            } else {
                (
                    "text.delta",
                    json!({"content": format!("w{i} "), "sequence_number": i}),
                )
            };
            format!("id: {i}\nevent: {name}\ndata: {data}\n\n")
        })
        .collect()
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn journal(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let entry = Logged {
        method: req.method().to_string(),
        uri: req.uri().to_string(),
        last_event_id: header(h, "last-event-id"),
        idempotency_key: header(h, "idempotency-key"),
        authorization: header(h, "authorization"),
    };
    lock(&s).journal.push(entry);
    next.run(req).await
}

fn error(status: u16, code: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [("content-type", "application/json")],
        json!({"error": code, "message": format!("{code} happened")}).to_string(),
    )
        .into_response()
}

fn answer(s: &Shared, plan: Option<Plan>, last_event_id: Option<&str>) -> Response {
    let Some(plan) = plan else {
        return error(500, "internal_error");
    };
    match plan {
        Plan::Status(status, code) => error(status, code),
        Plan::Json(v) => (
            StatusCode::OK,
            [("content-type", "application/json"), ("x-response-id", RID)],
            v.to_string(),
        )
            .into_response(),
        Plan::Events {
            back,
            upto,
            end,
            crlf,
        } => {
            let start = last_event_id
                .and_then(|v| v.parse::<usize>().ok())
                .map_or(0, |n| n + 1)
                .saturating_sub(back);
            let events = lock(s).events.clone();
            let mut chunks: Vec<Result<Bytes, std::io::Error>> = events
                .get(start..upto.min(events.len()))
                .unwrap_or_default()
                .iter()
                .map(|e| {
                    let text = if crlf {
                        e.replace('\n', "\r\n")
                    } else {
                        e.clone()
                    };
                    Ok(Bytes::from(text))
                })
                .collect();
            // A keep-alive comment, which must be ignored.
            chunks.insert(0, Ok(Bytes::from_static(b": ping\n\n")));
            let body = futures_util::stream::iter(chunks);
            let body = match end {
                End::Close => Body::from_stream(body),
                End::Fail => {
                    // Half an event, then the cut. The pause lets the server flush what it
                    // has before the error aborts the connection.
                    let cut = futures_util::stream::once(async {
                        tokio::task::yield_now().await;
                        Err(std::io::Error::other("cut"))
                    });
                    let half = Ok(Bytes::from_static(b"id: 99\nevent: text.delta\nda"));
                    Body::from_stream(body.chain(futures_util::stream::iter([half])).chain(cut))
                }
                End::Stall => Body::from_stream(body.chain(futures_util::stream::pending())),
            };
            Response::builder()
                .status(200)
                .header("content-type", "text/event-stream")
                .header("x-response-id", RID)
                .body(body)
                .unwrap_or_else(|_| error(500, "internal_error"))
        }
    }
}

/// One `bytes=a-b` or `bytes=a-` range, as the spec describes; anything else is 416.
fn ranged(data: &[u8], range: &str) -> Response {
    let parsed = range.strip_prefix("bytes=").and_then(|r| {
        let (a, b) = r.split_once('-')?;
        let a: usize = a.parse().ok()?;
        let b = if b.is_empty() {
            data.len().checked_sub(1)?
        } else {
            b.parse::<usize>().ok()?.min(data.len().checked_sub(1)?)
        };
        (a <= b).then_some((a, b))
    });
    match parsed {
        Some((a, b)) => Response::builder()
            .status(206)
            .header("content-range", format!("bytes {a}-{b}/{}", data.len()))
            .body(Body::from(data[a..=b].to_vec()))
            .unwrap_or_else(|_| error(500, "internal_error")),
        None => error(416, "range_not_satisfiable"),
    }
}

fn record(busy: bool, metadata: Value) -> Value {
    json!({
        "id": SID, "created_at": 1777222996.07, "last_activity": 1777222996.07,
        "busy": busy, "persistent": true, "ttl": 14400,
        "status": if busy { "busy" } else { "ready" },
        "metadata": metadata, "file_access": {"read": [""], "write": [""]}
    })
}

fn app(state: Shared) -> Router {
    Router::new()
        .route(
            "/v1/sessions",
            post(|body: Bytes| async move {
                let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let mut rec = record(false, req.get("metadata").cloned().unwrap_or(json!({})));
                rec["persistent"] = req.get("persistent").cloned().unwrap_or(json!(false));
                (StatusCode::CREATED, axum::Json(rec))
            })
            .delete(|| async { axum::Json(json!({"deleted": 2})) }),
        )
        .route(
            "/v1/sessions/{id}",
            get(
                |State(s): State<Shared>, Path(id): Path<String>| async move {
                    if id != SID {
                        return error(404, "not_found");
                    }
                    let mut st = lock(&s);
                    let rec = if st.session_records.len() > 1 {
                        st.session_records.pop_front()
                    } else {
                        st.session_records.front().cloned()
                    };
                    axum::Json(rec.unwrap_or_else(|| record(false, json!({})))).into_response()
                },
            )
            .delete(|| async { StatusCode::NO_CONTENT }),
        )
        .route(
            "/v1/sessions/{id}/messages",
            post(
                |State(s): State<Shared>, Path(id): Path<String>, _body: Bytes| async move {
                    if id == "sess_busy" {
                        return error(409, "session.busy");
                    }
                    let plan = lock(&s).message_plans.pop_front();
                    answer(&s, plan, None)
                },
            ),
        )
        .route(
            "/v1/sessions/{id}/responses/{rid}/events",
            get(|State(s): State<Shared>, headers: HeaderMap| async move {
                let plan = lock(&s).resume_plans.pop_front();
                answer(&s, plan, header(&headers, "last-event-id").as_deref())
            }),
        )
        .route(
            "/v1/sessions/{id}/responses/{rid}/cancel",
            post(|Path((_id, rid)): Path<(String, String)>| async move {
                (
                    StatusCode::ACCEPTED,
                    axum::Json(json!({"response_id": rid, "status": "cancelling"})),
                )
            }),
        )
        .route(
            "/v1/sessions/{id}/files",
            get(|| async {
                axum::Json(json!([
                    {"name": "charts", "type": "directory", "size": 0, "modified": 1777222990.5},
                    {"name": "deck.pptx", "type": "file", "size": 1234, "modified": 1777222996.07}
                ]))
            }),
        )
        .route(
            "/v1/sessions/{id}/files/{*path}",
            get(
                |State(s): State<Shared>,
                 Path((_id, path)): Path<(String, String)>,
                 headers: HeaderMap| async move {
                    let st = lock(&s);
                    if let Some(data) = st.files.get(&path) {
                        if let Some(range) = header(&headers, "range") {
                            return ranged(data, &range);
                        }
                        return Response::builder()
                            .header("content-type", "application/octet-stream")
                            .body(Body::from(data.clone()))
                            .unwrap_or_else(|_| error(500, "internal_error"));
                    }
                    if let Some((data, cut)) = st.broken_files.get(&path) {
                        let first = Bytes::copy_from_slice(&data[..*cut]);
                        let body = futures_util::stream::iter([
                            Ok(first),
                            Err(std::io::Error::other("disk on fire")),
                        ]);
                        return Response::builder()
                            .header("content-length", data.len().to_string())
                            .body(Body::from_stream(body))
                            .unwrap_or_else(|_| error(500, "internal_error"));
                    }
                    error(404, "not_found")
                },
            )
            .put(
                |State(s): State<Shared>,
                 Path((_id, path)): Path<(String, String)>,
                 body: Bytes| async move {
                    let size = body.len();
                    lock(&s).files.insert(path.clone(), body.to_vec());
                    (
                        StatusCode::CREATED,
                        axum::Json(json!({"path": path, "size": size, "modified": 1777222996.07})),
                    )
                },
            )
            .delete(|| async { StatusCode::NO_CONTENT }),
        )
        .layer(axum::middleware::from_fn_with_state(state.clone(), journal))
        .with_state(state)
}

struct Harness {
    state: Shared,
    client: PokeeClient,
}

impl Harness {
    async fn start() -> Self {
        let state: Shared = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = app(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let client = PokeeClient::builder()
            .api_key(KEY)
            .base_url(format!("http://{addr}/"))
            .retry_policy(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
            )
            .resume_policy(
                ResumePolicy::default()
                    .with_delay(Duration::from_millis(1), Duration::from_millis(2))
                    .with_server_retry_bounds(Duration::from_millis(1), Duration::from_millis(2)),
            )
            .build()
            .expect("client");
        Self { state, client }
    }

    fn journal(&self) -> Vec<Logged> {
        lock(&self.state).journal.clone()
    }

    fn script(&self, events: usize, message: Vec<Plan>, resume: Vec<Plan>) {
        let mut st = lock(&self.state);
        st.events = turn_events(events);
        st.message_plans = message.into();
        st.resume_plans = resume.into();
    }
}

/// Guards against a hang; not a timing assertion.
async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .expect("test did not finish")
}

fn events(back: usize, upto: usize, end: End) -> Plan {
    Plan::Events {
        back,
        upto,
        end,
        crlf: false,
    }
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("poke-sessions-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn dir_names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn create_then_stream_with_drops_resumes_and_delivers_each_event_once() {
    bounded(async {
        let h = Harness::start().await;
        // 12 events. The POST sends 0..4 and is cut; the first resume replays 2 old ids and
        // closes after 8 without a terminal; the second finishes with CRLF line endings.
        h.script(
            12,
            vec![events(0, 4, End::Fail)],
            vec![
                events(2, 8, End::Close),
                Plan::Events {
                    back: 1,
                    upto: 12,
                    end: End::Close,
                    crlf: true,
                },
            ],
        );
        let session = h
            .client
            .create_session(
                &CreateSession::new()
                    .persistent(true)
                    .metadata("project", "acme")
                    .file_access(FileAccess::new([""], [""])),
            )
            .await
            .expect("create");
        assert_eq!(session.id, SID);
        assert!(session.persistent);
        assert_eq!(session.metadata["project"], "acme");

        let mut stream = h
            .client
            .with_options(CallOptions::new().idempotency_key("key-1"))
            .send_message(&session.id, "Build a deck")
            .await
            .expect("send");
        assert_eq!(stream.response_id().as_deref(), Some(RID));
        assert_eq!(stream.idempotency_key(), Some("key-1"));
        let mut ids = Vec::new();
        let mut text = String::new();
        let mut kinds = Vec::new();
        while let Some(ev) = stream.next_event().await.expect("event") {
            ids.push(ev.id.clone().unwrap_or_default());
            if let Some(t) = ev.content() {
                text.push_str(t);
            }
            kinds.push(ev.kind());
        }
        let want: Vec<String> = (0..12).map(|i| i.to_string()).collect();
        assert_eq!(ids, want);
        assert_eq!(text, (1..11).map(|i| format!("w{i} ")).collect::<String>());
        assert_eq!(kinds.first(), Some(&TurnEventKind::MessageCreated));
        assert_eq!(kinds.last(), Some(&TurnEventKind::MessageCompleted));
        assert!(stream.is_finished());
        assert_eq!(stream.last_event_id().as_deref(), Some("11"));

        let journal = h.journal();
        let post = journal
            .iter()
            .find(|l| l.uri.ends_with("/messages"))
            .expect("post");
        assert_eq!(post.idempotency_key.as_deref(), Some("key-1"));
        assert_eq!(
            post.authorization.as_deref(),
            Some(&*format!("Bearer {KEY}"))
        );
        let resumes: Vec<_> = journal
            .iter()
            .filter(|l| l.uri.ends_with(&format!("/responses/{RID}/events")))
            .map(|l| l.last_event_id.clone())
            .collect();
        assert_eq!(resumes, vec![Some("3".into()), Some("7".into())]);
    })
    .await;
}

#[tokio::test]
async fn resume_stops_on_404_with_the_last_event_id() {
    bounded(async {
        let h = Harness::start().await;
        h.script(
            6,
            vec![events(0, 2, End::Close)],
            vec![Plan::Status(404, "not_found")],
        );
        let mut stream = h.client.send_message(SID, "hi").await.expect("send");
        let mut got = Vec::new();
        let err = loop {
            match stream.next().await {
                Some(Ok(ev)) => got.push(ev.id.unwrap_or_default()),
                Some(Err(e)) => break e,
                None => panic!("stream ended without the error"),
            }
        };
        assert_eq!(got, ["0", "1"]);
        match &err {
            Error::Stream {
                reason,
                last_event_id,
            } => {
                assert_eq!(last_event_id.as_deref(), Some("1"));
                assert!(reason.contains("404"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(stream.next().await.is_none());
        // One resume attempt only: 404 is final.
        let resumes = h
            .journal()
            .iter()
            .filter(|l| l.uri.contains("/events"))
            .count();
        assert_eq!(resumes, 1);
    })
    .await;
}

#[tokio::test]
async fn busy_session_is_a_typed_conflict_and_is_not_retried() {
    bounded(async {
        let h = Harness::start().await;
        let err = h
            .client
            .send_message("sess_busy", "hi")
            .await
            .expect_err("409");
        let api = err.api().expect("api error");
        assert_eq!(api.status, 409);
        assert_eq!(api.kind, ErrorKind::Conflict);
        assert_eq!(api.code.as_deref(), Some("session.busy"));
        assert_eq!(h.journal().len(), 1);
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(KEY), "{shown}");

        let missing = h.client.get_session("sess_nope").await.expect_err("404");
        assert_eq!(missing.api().map(|a| a.kind), Some(ErrorKind::NotFound));
    })
    .await;
}

#[tokio::test]
async fn replayed_answer_yields_an_empty_stream_with_the_notice() {
    bounded(async {
        let h = Harness::start().await;
        h.script(
            3,
            vec![Plan::Json(
                json!({"response_id": RID, "status": "replayed", "note": "buffer evicted"}),
            )],
            vec![],
        );
        let mut stream = h.client.send_message(SID, "again").await.expect("send");
        let notice = stream.replayed().expect("notice").clone();
        assert_eq!(notice.response_id, RID);
        assert_eq!(notice.note.as_deref(), Some("buffer evicted"));
        assert_eq!(stream.response_id().as_deref(), Some(RID));
        assert!(stream.next().await.is_none());
    })
    .await;
}

#[tokio::test]
async fn close_ends_a_stalled_stream_and_cancel_calls_the_endpoint() {
    bounded(async {
        let h = Harness::start().await;
        h.script(5, vec![events(0, 2, End::Stall)], vec![]);
        let mut stream = h.client.send_message(SID, "hi").await.expect("send");
        assert!(matches!(stream.next().await, Some(Ok(_))));
        assert!(matches!(stream.next().await, Some(Ok(_))));
        let cancelled = stream.cancel().await.expect("cancel");
        assert!(cancelled.is_cancelling());
        assert_eq!(cancelled.response_id.as_deref(), Some(RID));

        let handle = stream.cancel_handle();
        let reader = tokio::spawn(async move { stream.next().await.is_none() });
        handle.cancel();
        assert!(reader.await.expect("join"));
        let cancel_calls: Vec<_> = h
            .journal()
            .into_iter()
            .filter(|l| l.uri.ends_with("/cancel"))
            .collect();
        assert_eq!(cancel_calls.len(), 1);
        assert!(cancel_calls[0].uri.contains(RID));
    })
    .await;
}

#[tokio::test]
async fn explicit_resume_sends_last_event_id() {
    bounded(async {
        let h = Harness::start().await;
        h.script(6, vec![], vec![events(0, 6, End::Close)]);
        let mut stream = h.client.resume(SID, RID, Some("3")).await.expect("resume");
        let mut ids = Vec::new();
        while let Some(ev) = stream.next_event().await.expect("event") {
            ids.push(ev.id.unwrap_or_default());
        }
        assert_eq!(ids, ["4", "5"]);
        let journal = h.journal();
        assert_eq!(journal[0].last_event_id.as_deref(), Some("3"));
    })
    .await;
}

#[tokio::test]
async fn download_saves_atomically_and_a_cut_body_leaves_no_file() {
    bounded(async {
        let h = Harness::start().await;
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        {
            let mut st = lock(&h.state);
            st.files.insert("output/deck.pptx".into(), data.clone());
            st.broken_files
                .insert("output/broken.bin".into(), (data.clone(), 100_000));
        }
        let dir = scratch_dir();
        let dest = dir.join("deck.pptx");
        let mut last = (0, None);
        let mut calls = 0;
        let size = h
            .client
            .download_to(SID, "output/deck.pptx", &dest, |done, total| {
                calls += 1;
                last = (done, total);
            })
            .await
            .expect("download");
        assert_eq!(size, data.len() as u64);
        assert_eq!(std::fs::read(&dest).expect("read"), data);
        assert_eq!(last, (data.len() as u64, Some(data.len() as u64)));
        assert!(calls >= 2);
        assert_eq!(dir_names(&dir), ["deck.pptx"]);

        // The same name again, from a body cut mid-way: the good file must survive untouched
        // and no partial file may appear.
        let broken = dir.join("broken.bin");
        let err = h
            .client
            .download_to(SID, "output/broken.bin", &broken, |_, _| {})
            .await
            .expect_err("cut body");
        assert!(
            matches!(err, Error::Connection { .. } | Error::Timeout { .. }),
            "{err:?}"
        );
        assert!(!broken.exists());
        assert_eq!(dir_names(&dir), ["deck.pptx"]);

        // As a stream of chunks.
        let dl = h
            .client
            .download(SID, "output/deck.pptx")
            .await
            .expect("dl");
        assert_eq!(dl.content_length(), Some(data.len() as u64));
        let chunks: Vec<Bytes> = dl.map(|c| c.expect("chunk")).collect().await;
        assert_eq!(chunks.concat(), data);

        // A partial read, as used to continue an interrupted download.
        let tail = h
            .client
            .download_range(SID, "output/deck.pptx", 299_990, None)
            .await
            .expect("range");
        assert_eq!(tail.content_length(), Some(10));
        let tail: Vec<Bytes> = tail.map(|c| c.expect("chunk")).collect().await;
        assert_eq!(tail.concat(), &data[299_990..]);
        let unsatisfiable = h
            .client
            .download_range(SID, "output/deck.pptx", 400_000, Some(400_010))
            .await
            .expect_err("416");
        assert_eq!(
            unsatisfiable.api().map(|a| a.kind),
            Some(ErrorKind::RangeNotSatisfiable)
        );

        let missing = h
            .client
            .download_to(SID, "output/none.bin", dir.join("none.bin"), |_, _| {})
            .await
            .expect_err("404");
        assert_eq!(missing.status(), Some(404));
        assert_eq!(dir_names(&dir), ["deck.pptx"]);
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

#[tokio::test]
async fn an_own_pool_client_downloads_inline_and_shares_close() {
    bounded(async {
        let h = Harness::start().await;
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        {
            let mut st = lock(&h.state);
            st.files.insert("output/big.bin".into(), data.clone());
            st.broken_files
                .insert("output/broken.bin".into(), (data.clone(), 1_500_000));
        }
        let own = h.client.with_own_pool().expect("own pool");
        let dir = scratch_dir();
        let dest = dir.join("big.bin");
        let mut reports = Vec::new();
        let size = own
            .download(SID, "output/big.bin")
            .await
            .expect("download")
            .save_to_inline(&dest, |done, total| reports.push((done, total)))
            .await
            .expect("saved");
        assert_eq!(size, data.len() as u64);
        assert_eq!(std::fs::read(&dest).expect("read"), data);
        let total = Some(data.len() as u64);
        assert_eq!(reports.first(), Some(&(0, total)));
        assert_eq!(reports.last(), Some(&(data.len() as u64, total)));
        assert!(reports.windows(2).all(|w| w[0].0 < w[1].0), "{reports:?}");

        let broken = dir.join("broken.bin");
        let err = own
            .download(SID, "output/broken.bin")
            .await
            .expect("response")
            .save_to_inline(&broken, |_, _| {})
            .await
            .expect_err("cut body");
        assert!(
            matches!(err, Error::Connection { .. } | Error::Timeout { .. }),
            "{err:?}"
        );
        assert_eq!(dir_names(&dir), ["big.bin"]);

        // Closing the client it came from closes it too.
        h.client.close();
        let closed = own
            .download(SID, "output/big.bin")
            .await
            .expect_err("closed");
        assert!(matches!(closed, Error::Closed), "{closed:?}");
        assert_eq!(dir_names(&dir), ["big.bin"]);
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

#[tokio::test]
async fn upload_streams_a_file_and_bad_paths_never_leave_the_client() {
    bounded(async {
        let h = Harness::start().await;
        let dir = scratch_dir();
        let src = dir.join("notes.md");
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 97) as u8).collect();
        std::fs::write(&src, &data).expect("write");
        let progress = Arc::new(Mutex::new(Vec::new()));
        let seen = progress.clone();
        let res = h
            .client
            .upload_file(SID, "inputs/my notes.md", &src, move |done, total| {
                seen.lock().expect("progress").push((done, total));
            })
            .await
            .expect("upload");
        assert_eq!(res.size, data.len() as u64);
        assert_eq!(res.path, "inputs/my notes.md");
        assert_eq!(lock(&h.state).files.get("inputs/my notes.md"), Some(&data));
        let steps = progress.lock().expect("progress").clone();
        assert_eq!(
            steps.last(),
            Some(&(data.len() as u64, Some(data.len() as u64)))
        );
        let uri = &h.journal()[0].uri;
        assert!(uri.ends_with("/files/inputs/my%20notes.md"), "{uri}");

        let res = h
            .client
            .upload_bytes(SID, "inputs/small.txt", &b"hello"[..])
            .await
            .expect("upload bytes");
        assert_eq!(res.size, 5);
        // Past the small-body threshold the bytes are streamed like a file.
        let big: Vec<u8> = (0..1_500_000u32).map(|i| (i % 13) as u8).collect();
        let res = h
            .client
            .upload_bytes(SID, "inputs/big.bin", big.clone())
            .await
            .expect("upload big bytes");
        assert_eq!(res.size, big.len() as u64);
        assert_eq!(lock(&h.state).files.get("inputs/big.bin"), Some(&big));

        let before = h.journal().len();
        for bad in ["../escape", "/abs", "a/./b", "nul\0byte", "a//b", ""] {
            let err = h
                .client
                .upload_bytes(SID, bad, &b"x"[..])
                .await
                .expect_err(bad);
            assert!(
                matches!(err, Error::InvalidInput { field: "path", .. }),
                "{bad:?}: {err:?}"
            );
            let err = h
                .client
                .download_to(SID, bad, dir.join("x"), |_, _| {})
                .await
                .expect_err(bad);
            assert!(
                matches!(err, Error::InvalidInput { .. }),
                "{bad:?}: {err:?}"
            );
        }
        assert_eq!(h.journal().len(), before, "nothing was sent");

        let missing = h
            .client
            .upload_file(SID, "inputs/x", dir.join("does-not-exist"), |_, _| {})
            .await
            .expect_err("missing source");
        assert!(matches!(missing, Error::File { .. }), "{missing:?}");
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

#[tokio::test]
async fn list_delete_bulk_and_usage_shapes() {
    bounded(async {
        let h = Harness::start().await;
        let entries = h
            .client
            .list_files(SID, Some("output/sub dir"))
            .await
            .expect("list");
        assert_eq!(entries.len(), 2);
        assert!(entries[0].is_dir());
        assert_eq!(entries[1].name, "deck.pptx");
        h.client
            .delete_file(SID, "output/deck.pptx")
            .await
            .expect("delete file");
        h.client.delete_session(SID).await.expect("delete session");
        let bulk = h
            .client
            .delete_sessions(&BulkDelete::new().idle().older_than(Duration::from_secs(90)))
            .await
            .expect("bulk");
        assert_eq!(bulk.deleted, 2);
        let calls: Vec<(String, String)> =
            h.journal().into_iter().map(|l| (l.method, l.uri)).collect();
        let call = |m: &str, u: String| (m.to_owned(), u);
        assert_eq!(
            calls,
            [
                call(
                    "GET",
                    format!("/v1/sessions/{SID}/files?path=output/sub%20dir")
                ),
                call(
                    "DELETE",
                    format!("/v1/sessions/{SID}/files/output/deck.pptx")
                ),
                call("DELETE", format!("/v1/sessions/{SID}")),
                call(
                    "DELETE",
                    "/v1/sessions?status=idle&older_than=90s".to_owned()
                ),
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn wait_idle_reports_each_changed_record_then_returns_the_idle_one() {
    bounded(async {
        let h = Harness::start().await;
        {
            let mut st = lock(&h.state);
            st.session_records = [
                record(true, json!({"temasek_status": "researching"})),
                record(true, json!({"temasek_status": "researching"})),
                record(true, json!({"temasek_status": "drafting"})),
                record(true, json!({"temasek_status": "rendering"})),
                record(true, json!({"temasek_status": "rendering"})),
                record(false, json!({"temasek_status": "done"})),
            ]
            .into();
        }
        let mut seen = Vec::new();
        let done = h
            .client
            .wait_idle(
                SID,
                WaitOptions::default()
                    .with_poll_interval(Duration::from_millis(1), Duration::from_millis(2)),
                |rec| {
                    seen.push(
                        rec.progress("temasek_status")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                    )
                },
            )
            .await
            .expect("wait");
        assert!(!done.is_busy());
        assert_eq!(seen, ["researching", "drafting", "rendering", "done"]);
        assert_eq!(h.journal().len(), 6);
    })
    .await;
}

#[tokio::test]
async fn missing_configuration_is_a_clear_error() {
    if std::env::var_os("POKEE_KEY").is_none() {
        let err = PokeeClient::builder()
            .base_url("http://127.0.0.1:1")
            .build()
            .expect_err("no key");
        assert!(matches!(
            err,
            Error::MissingSetting {
                env: "POKEE_KEY",
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "no Pokee API key found: pass one when creating the client or set POKEE_KEY"
        );
        assert_eq!(
            poke::binding::python_text(&err),
            "No Pokee API key found. Pass api_key= or set POKEE_KEY."
        );
    }
    if std::env::var_os("POKEE_API").is_none() {
        let err = PokeeClient::builder()
            .api_key(KEY)
            .build()
            .expect_err("no url");
        assert!(
            matches!(
                err,
                Error::MissingSetting {
                    env: "POKEE_API",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!format!("{err:?}").contains(KEY));
    }
}
