//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`): the decoders that
//! see network or user bytes, reached without making them public. Not a stable API.

use crate::error::{ApiError, Error, Result};
use crate::http::{ByteStream, Flavor, build_api_error};
use crate::turn::{Opened, Reconnect, ResumePolicy, TurnSetup, TurnStream};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::StreamExt;
use std::sync::Arc;

/// The API error a non-2xx answer becomes; `pokee` picks the sessions API's wording.
pub fn api_error(
    pokee: bool,
    status: u16,
    headers: Vec<(String, String)>,
    body: &[u8],
) -> ApiError {
    let flavor = if pokee { Flavor::Pokee } else { Flavor::Poke };
    build_api_error(flavor, status, headers, body, None)
}

/// A workspace path checked and percent-encoded, as every files call does before sending.
pub fn workspace_path(path: &str, allow_trailing_slash: bool) -> Result<String> {
    crate::files::encode_path(path, allow_trailing_slash)
}

/// The token a credentials file with this text gives.
pub fn credentials_token(text: &str) -> Option<String> {
    crate::credentials::token_from_text(text)
}

/// The start of a `Content-Range` value, as a resumed download reads it.
pub fn content_range_start(value: &str) -> Option<u64> {
    crate::files::range_start(value)
}

/// The check every 2xx JSON reply passes before the caller sees it.
pub fn check_json_reply(body: &[u8]) -> Result<()> {
    crate::http::check_json(body, "Pokee API", 200)
}

/// A download's first body after the directory-listing check (a listing is read up to `cap`
/// bytes): the error when it is refused, else the chunks the caller reads.
pub async fn refuse_listing(
    path: &str,
    content_type: Option<&str>,
    chunks: Vec<Result<Bytes>>,
    cap: u64,
) -> Result<Vec<Result<Bytes>>> {
    let body = futures_util::stream::iter(chunks).boxed();
    let body = crate::files::refuse_listing(path, content_type, body, cap).await?;
    Ok(body.collect().await)
}

/// What the fake server of [`scripted_turn`] answers to one reconnect.
#[derive(Debug, Clone)]
pub enum Answer {
    /// An SSE body in these chunks, ending cleanly or (`reset`) with a broken connection.
    Events {
        /// The body's chunks as they arrive.
        chunks: Vec<Bytes>,
        /// The connection breaks after the last chunk instead of closing cleanly.
        reset: bool,
    },
    /// `204 No Content`: nothing more for this turn.
    NoContent,
    /// `503` with a `Retry-After` of this many milliseconds.
    Unavailable(u16),
    /// The connection was refused.
    Refused,
    /// `404`: the turn's events are gone.
    Gone,
}

/// The server a fuzz target plays: answers each reconnect, given the `Last-Event-ID` sent.
pub trait Server: Send + Sync + 'static {
    /// The answer to one reconnect.
    fn answer(&self, last_event_id: Option<&str>) -> Answer;
}

/// A turn read through [`TurnStream`]: `chunks` (then a reset when `reset`) is the body of the
/// message POST, and `server` answers every reconnect. Drive it on a runtime with time.
pub fn scripted_turn(
    chunks: Vec<Bytes>,
    reset: bool,
    server: Arc<dyn Server>,
    policy: ResumePolicy,
) -> TurnStream {
    TurnStream::new(TurnSetup {
        body: Some(body(chunks, reset)),
        response_id: Some("resp_fuzz".into()),
        last_event_id: None,
        reconnect: Some(Arc::new(Scripted(server))),
        policy,
        read_idle: None,
        control: None,
        idempotency_key: None,
        replayed: None,
    })
}

fn body(chunks: Vec<Bytes>, reset: bool) -> ByteStream {
    let broken = reset.then(|| {
        Err(Error::Connection {
            reason: "reset by the fuzz server".into(),
            maybe_sent: true,
            source: None,
        })
    });
    futures_util::stream::iter(chunks.into_iter().map(Ok).chain(broken)).boxed()
}

struct Scripted(Arc<dyn Server>);

impl Reconnect for Scripted {
    fn reconnect(
        &self,
        _response_id: Option<String>,
        last_event_id: Option<String>,
    ) -> BoxFuture<'static, Result<Opened>> {
        let opened = match self.0.answer(last_event_id.as_deref()) {
            Answer::Events { chunks, reset } => Ok(Opened::Events {
                body: body(chunks, reset),
                response_id: None,
            }),
            Answer::NoContent => Ok(Opened::NoContent),
            Answer::Unavailable(ms) => Err(Error::Api(Box::new(build_api_error(
                Flavor::Pokee,
                503,
                vec![("retry-after-ms".into(), ms.to_string())],
                br#"{"error":"unavailable","message":"try later"}"#,
                Some(std::time::Duration::from_millis(ms.into())),
            )))),
            Answer::Refused => Err(Error::Connection {
                reason: "[Errno 111] Connection refused".into(),
                maybe_sent: false,
                source: None,
            }),
            Answer::Gone => Err(Error::Api(Box::new(build_api_error(
                Flavor::Pokee,
                404,
                Vec::new(),
                br#"{"error":"not_found","message":"events evicted"}"#,
                None,
            )))),
        };
        Box::pin(async move { opened })
    }
}
