use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

fn sse(id: u64, event: &str) -> String {
    format!("id: {id}\nevent: {event}\ndata: {{\"sequence_number\": {id}}}\n\n")
}

/// A turn of `n` events: created, deltas, completed.
fn turn(n: u64) -> Vec<String> {
    (0..n)
        .map(|i| {
            let name = if i == 0 {
                "message.created"
            } else if i + 1 == n {
                "message.completed"
            } else {
                "text.delta"
            };
            sse(i, name)
        })
        .collect()
}

/// A body made of `parts`, optionally failing at the end instead of closing cleanly.
fn body(parts: Vec<Vec<u8>>, fail: bool) -> ByteStream {
    let mut items: Vec<Result<Bytes>> = parts.into_iter().map(|p| Ok(Bytes::from(p))).collect();
    if fail {
        items.push(Err(Error::Connection {
            reason: "reset".into(),
            maybe_sent: true,
            source: None,
        }));
    }
    futures_util::stream::iter(items).boxed()
}

/// A body that sends `parts` and then never sends anything again.
fn stalling(parts: Vec<Vec<u8>>) -> ByteStream {
    futures_util::stream::iter(parts.into_iter().map(|p| Ok(Bytes::from(p))))
        .chain(futures_util::stream::pending())
        .boxed()
}

type Script = Mutex<VecDeque<Result<Opened>>>;

/// A scripted event source: each reconnect takes the next answer and records its position.
struct Fake {
    script: Script,
    calls: Mutex<Vec<Option<String>>>,
    count: AtomicUsize,
}

impl Fake {
    fn new(script: Vec<Result<Opened>>) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(script.into()),
            calls: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
        })
    }
    fn calls(&self) -> Vec<Option<String>> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl Reconnect for Fake {
    fn reconnect(
        &self,
        _response_id: Option<String>,
        last_event_id: Option<String>,
    ) -> BoxFuture<'static, Result<Opened>> {
        self.count.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut c) = self.calls.lock() {
            c.push(last_event_id);
        }
        let next = self
            .script
            .lock()
            .ok()
            .and_then(|mut s| s.pop_front())
            .unwrap_or_else(|| {
                Err(Error::Connection {
                    reason: "script exhausted".into(),
                    maybe_sent: false,
                    source: None,
                })
            });
        Box::pin(async move { next })
    }
}

fn events(body: ByteStream) -> Result<Opened> {
    Ok(Opened::Events {
        body,
        response_id: None,
    })
}

fn fast() -> ResumePolicy {
    ResumePolicy {
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(4),
        min_server_retry: Duration::from_millis(1),
        max_server_retry: Duration::from_millis(4),
        ..ResumePolicy::default()
    }
}

fn stream(first: ByteStream, fake: Arc<Fake>, policy: ResumePolicy) -> TurnStream {
    TurnStream::new(TurnSetup {
        body: Some(first),
        response_id: Some("msg_1".into()),
        last_event_id: None,
        reconnect: Some(fake),
        policy,
        read_idle: Some(Duration::from_secs(60)),
        control: None,
        idempotency_key: None,
        replayed: None,
    })
}

async fn ids(s: &mut TurnStream) -> (Vec<String>, Option<Error>) {
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        match item {
            Ok(ev) => out.push(ev.id.unwrap_or_default()),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

fn expected(n: u64) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

#[tokio::test(start_paused = true)]
async fn drops_and_replays_deliver_each_id_once_in_order() {
    let t = turn(10);
    let bytes = |r: std::ops::Range<usize>| t[r].concat().into_bytes();
    // First connection: events 0..4 then a reset in the middle of event 4.
    let mut first = bytes(0..4);
    first.extend_from_slice(&t[4].as_bytes()[..7]);
    // Second: replays 2..6 (duplicates 2 and 3), then ends cleanly without a terminal.
    // Third: replays 5..10 with 1-byte chunks and CRLF line endings.
    let third: Vec<Vec<u8>> = t[5..10]
        .concat()
        .replace('\n', "\r\n")
        .into_bytes()
        .into_iter()
        .map(|b| vec![b])
        .collect();
    let fake = Fake::new(vec![
        events(body(vec![bytes(2..6)], false)),
        events(body(third, false)),
    ]);
    let mut s = stream(body(vec![first], true), fake.clone(), fast());
    let (got, err) = ids(&mut s).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, expected(10));
    assert_eq!(fake.calls(), vec![Some("3".into()), Some("5".into())]);
    assert!(s.is_finished());
    assert_eq!(s.last_event_id().as_deref(), Some("9"));
}

#[tokio::test(start_paused = true)]
async fn read_idle_timeout_triggers_resume() {
    let t = turn(4);
    let fake = Fake::new(vec![events(body(
        vec![t[1..4].concat().into_bytes()],
        false,
    ))]);
    let mut s = stream(
        stalling(vec![t[0].clone().into_bytes()]),
        fake.clone(),
        fast(),
    );
    let (got, err) = ids(&mut s).await;
    assert!(err.is_none());
    assert_eq!(got, expected(4));
    assert_eq!(fake.calls(), vec![Some("0".into())]);
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_n_reconnects_without_progress() {
    let t = turn(6);
    let empty = || events(body(vec![], false));
    let fake = Fake::new((0..10).map(|_| empty()).collect());
    let policy = ResumePolicy {
        max_attempts_without_progress: 3,
        ..fast()
    };
    let mut s = stream(
        body(vec![t[0..2].concat().into_bytes()], false),
        fake.clone(),
        policy,
    );
    let (got, err) = ids(&mut s).await;
    assert_eq!(got, expected(2));
    match err {
        Some(Error::Stream {
            last_event_id,
            reason,
        }) => {
            assert_eq!(last_event_id.as_deref(), Some("1"));
            assert!(reason.contains("3 reconnects"), "{reason}");
        }
        other => panic!("expected a stream error, got {other:?}"),
    }
    assert_eq!(fake.count.load(Ordering::SeqCst), 3);
    assert!(s.next().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn progress_resets_the_attempt_budget() {
    let t = turn(8);
    // Each reconnect yields exactly one new event then drops: never two in a row empty.
    let script = (1..8)
        .map(|i| events(body(vec![t[i].clone().into_bytes()], true)))
        .collect();
    let fake = Fake::new(script);
    let policy = ResumePolicy {
        max_attempts_without_progress: 1,
        ..fast()
    };
    let mut s = stream(body(vec![t[0].clone().into_bytes()], true), fake, policy);
    let (got, err) = ids(&mut s).await;
    assert!(err.is_none());
    assert_eq!(got, expected(8));
}

#[tokio::test(start_paused = true)]
async fn permanent_answers_stop_resuming() {
    for (answer, needle) in [
        (Ok(Opened::NoContent), "204"),
        (
            Err(Error::Api(Box::new(crate::http::build_api_error(
                crate::http::Flavor::Pokee,
                404,
                vec![],
                br#"{"error":"not_found","message":"evicted"}"#,
                None,
            )))),
            "404",
        ),
    ] {
        let t = turn(4);
        let fake = Fake::new(vec![answer]);
        let mut s = stream(
            body(vec![t[0].clone().into_bytes()], true),
            fake.clone(),
            fast(),
        );
        let (got, err) = ids(&mut s).await;
        assert_eq!(got, expected(1));
        match err {
            Some(Error::Stream {
                reason,
                last_event_id,
            }) => {
                assert!(reason.contains(needle), "{reason}");
                assert_eq!(last_event_id.as_deref(), Some("0"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(fake.count.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn transient_reconnect_failures_are_retried() {
    let t = turn(3);
    let api503 = Err(Error::Api(Box::new(crate::http::build_api_error(
        crate::http::Flavor::Pokee,
        503,
        vec![],
        b"",
        Some(Duration::from_millis(2)),
    ))));
    let refused = Err(Error::Connection {
        reason: "refused".into(),
        maybe_sent: false,
        source: None,
    });
    let fake = Fake::new(vec![
        api503,
        refused,
        events(body(vec![t[1..3].concat().into_bytes()], false)),
    ]);
    let mut s = stream(
        body(vec![t[0].clone().into_bytes()], true),
        fake.clone(),
        fast(),
    );
    let (got, err) = ids(&mut s).await;
    assert!(err.is_none());
    assert_eq!(got, expected(3));
    assert_eq!(fake.calls(), vec![Some("0".into()); 3]);
}

#[tokio::test(start_paused = true)]
async fn id_only_block_moves_the_resume_position() {
    let t = turn(5);
    let mut first = t[0..2].concat();
    first.push_str("id: 2\n\n");
    let fake = Fake::new(vec![events(body(
        vec![t[3..5].concat().into_bytes()],
        false,
    ))]);
    let mut s = stream(body(vec![first.into_bytes()], false), fake.clone(), fast());
    let (got, err) = ids(&mut s).await;
    assert!(err.is_none());
    assert_eq!(got, vec!["0", "1", "3", "4"]);
    assert_eq!(fake.calls(), vec![Some("2".into())]);
}

/// A stream the caller opens at a known position, as a manual resume does.
fn resumed_at(position: &str, fake: Arc<Fake>) -> TurnStream {
    TurnStream::new(TurnSetup {
        body: None,
        response_id: Some("msg_1".into()),
        last_event_id: Some(position.into()),
        reconnect: Some(fake),
        policy: fast(),
        read_idle: Some(Duration::from_secs(60)),
        control: None,
        idempotency_key: None,
        replayed: None,
    })
}

#[tokio::test(start_paused = true)]
async fn resuming_from_the_terminal_event_ends_with_nothing() {
    // The server's answer to a position at the end of a finished turn: 200, no events, EOF.
    let fake = Fake::new(vec![events(body(vec![], false))]);
    let mut s = resumed_at("4", fake.clone());
    let (got, err) = ids(&mut s).await;
    assert!(err.is_none(), "{err:?}");
    assert!(got.is_empty());
    assert!(s.is_finished());
    assert_eq!(fake.calls(), vec![Some("4".into())]);
}

#[tokio::test(start_paused = true)]
async fn a_resume_cut_before_its_first_event_is_resumed_again() {
    // A network error is a cut even with nothing read; the next connection brings the rest.
    let t = turn(5);
    let fake = Fake::new(vec![
        events(body(vec![], true)),
        events(body(vec![t[3..5].concat().into_bytes()], false)),
    ]);
    let mut s = resumed_at("2", fake.clone());
    let (got, err) = ids(&mut s).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, vec!["3", "4"]);
    assert_eq!(fake.calls(), vec![Some("2".into()), Some("2".into())]);
}

#[tokio::test(start_paused = true)]
async fn streams_without_ids_are_not_resumed_after_delivery() {
    let first = "event: message.created\ndata: {}\n\n".as_bytes().to_vec();
    let fake = Fake::new(vec![]);
    let mut s = stream(body(vec![first], true), fake.clone(), fast());
    let (got, err) = ids(&mut s).await;
    assert_eq!(got.len(), 1);
    assert!(matches!(
        err,
        Some(Error::Stream {
            last_event_id: None,
            ..
        })
    ));
    assert_eq!(fake.count.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn close_stops_a_pending_read_at_once() {
    let t = turn(3);
    let fake = Fake::new(vec![]);
    let mut s = stream(
        stalling(vec![t[0].clone().into_bytes()]),
        fake.clone(),
        fast(),
    );
    let first = s.next().await;
    assert!(matches!(first, Some(Ok(_))));
    let handle = s.cancel_handle();
    let reader = tokio::spawn(async move {
        let next = s.next().await;
        (next.is_none(), s)
    });
    tokio::task::yield_now().await;
    handle.cancel();
    let (ended, s) = reader.await.unwrap_or_else(|e| panic!("{e}"));
    assert!(ended);
    assert!(!s.is_finished());
    assert_eq!(fake.count.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn message_created_supplies_a_missing_response_id() {
    let raw = "id: 0\nevent: message.created\ndata: {\"id\": \"msg_abc\"}\n\n";
    let mut s = TurnStream::new(TurnSetup {
        body: Some(body(vec![raw.as_bytes().to_vec()], false)),
        response_id: None,
        last_event_id: None,
        reconnect: None,
        policy: fast(),
        read_idle: None,
        control: None,
        idempotency_key: None,
        replayed: None,
    });
    assert!(matches!(s.next().await, Some(Ok(_))));
    assert_eq!(s.response_id().as_deref(), Some("msg_abc"));
    // No reconnect source: the drop is reported with the position reached.
    assert!(matches!(
        s.next().await,
        Some(Err(Error::Stream { last_event_id: Some(ref id), .. })) if id == "0"
    ));
}

/// A server that resumes after the `Last-Event-ID` it is given, re-sending `replay` events
/// the client already has, from the same bytes as the first connection.
struct Resumer {
    frames: Vec<String>,
    replay: usize,
    asked: Mutex<Vec<Option<String>>>,
}

impl Reconnect for Resumer {
    fn reconnect(
        &self,
        _response_id: Option<String>,
        last_event_id: Option<String>,
    ) -> BoxFuture<'static, Result<Opened>> {
        let next = last_event_id
            .as_deref()
            .and_then(|id| id.parse::<usize>().ok())
            .map_or(0, |i| i + 1);
        if let Ok(mut asked) = self.asked.lock() {
            asked.push(last_event_id);
        }
        let rest = self.frames[next.saturating_sub(self.replay)..].concat();
        Box::pin(async move { events(body(vec![rest.into_bytes()], false)) })
    }
}

/// The events of a whole turn, as the caller sees them.
async fn drain(s: &mut TurnStream) -> Result<Vec<TurnEvent>> {
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        out.push(item?);
    }
    Ok(out)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// A connection cut at any byte (mid-line, mid-CRLF, mid-character), read in any chunk
    /// size, ending with a reset or a clean close, then resumed by a server that replays some
    /// events: the caller gets exactly the turn's events, once each, in order.
    #[test]
    fn resume_from_any_cut_point_yields_exactly_the_original_events(
        n in 2u64..16,
        cut in proptest::prelude::any::<proptest::sample::Index>(),
        chunk in 0usize..9,
        replay in 0usize..4,
        crlf in proptest::prelude::any::<bool>(),
        reset in proptest::prelude::any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        // Multi-byte text in every event, so some cuts fall inside a character.
        let frames: Vec<String> = turn(n)
            .into_iter()
            .map(|f| f.replace("}\n", ", \"t\": \"é🦀\"}\n").replace('\n', eol))
            .collect();
        let whole = frames.concat().into_bytes();
        let at = cut.index(whole.len() + 1);
        let first: Vec<Vec<u8>> = match chunk {
            0 => vec![whole[..at].to_vec()],
            k => whole[..at].chunks(k).map(<[u8]>::to_vec).collect(),
        };
        let resumer = Arc::new(Resumer {
            frames: frames.clone(),
            replay,
            asked: Mutex::new(Vec::new()),
        });
        let mut s = TurnStream::new(TurnSetup {
            body: Some(body(first, reset)),
            response_id: Some("msg_1".into()),
            last_event_id: None,
            reconnect: Some(resumer.clone()),
            policy: fast(),
            read_idle: None,
            control: None,
            idempotency_key: None,
            replayed: None,
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let got = rt.block_on(drain(&mut s)).unwrap_or_else(|e| panic!("{e}"));
        let original: Vec<TurnEvent> = frames
            .iter()
            .flat_map(|f| SseDecoder::new().feed(f.as_bytes()))
            .map(TurnEvent::from)
            .collect();
        proptest::prop_assert_eq!(original.len() as u64, n);
        proptest::prop_assert_eq!(got, original);
        proptest::prop_assert!(s.is_finished());
        // One reconnect at most (the cut), and only when the cut came before the end.
        let asked = resumer.asked.lock().map(|a| a.len()).unwrap_or(99);
        proptest::prop_assert!(asked <= 1);
        // The terminal event is dispatched by its blank line: the LF of LF endings, the CR of
        // CRLF ones.
        let complete = at == whole.len() || (crlf && at + 1 == whole.len());
        proptest::prop_assert_eq!(asked == 0, complete);
    }
}
