//! The turn endpoints: send a message (E7), resume its events (E8), cancel it (E9); and
//! reopening a dropped stream for [`TurnStream`](super::TurnStream).

use super::handle::TurnControl;
use super::stream::{TurnSetup, TurnStream};
use crate::error::{Error, Result};
use crate::http::ByteStream;
use crate::http::{Body, CallOptions, Idempotency, header, map_body_error, read_capped};
use crate::sessions::{CancelResult, PokeeClient, ReplayNotice, id_segment, json_body};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::StreamExt;
use reqwest::Method;
use std::sync::Arc;

/// What opening an event stream produced.
pub(crate) enum Opened {
    /// An SSE body.
    Events {
        body: ByteStream,
        response_id: Option<String>,
    },
    /// `204 No Content`: the server says there is nothing more to read.
    NoContent,
    /// A JSON "replayed" answer: the turn finished and its events are gone.
    Replayed(ReplayNotice),
}

/// A stream's first read, as [`Opened::into_start`] splits it.
pub(crate) struct Start {
    /// The SSE body (none after a replay notice).
    pub(crate) body: Option<ByteStream>,
    /// The turn's or response's id, when known.
    pub(crate) response_id: Option<String>,
    /// The server's notice that the events are gone.
    pub(crate) replayed: Option<ReplayNotice>,
}

impl Opened {
    /// Names the stream `id` when the server's headers did not: resuming, the caller knows it.
    pub(crate) fn or_response_id(self, id: &str) -> Self {
        match self {
            Opened::Events { body, response_id } => Opened::Events {
                body,
                response_id: response_id.or_else(|| Some(id.to_owned())),
            },
            other => other,
        }
    }

    /// Splits what the server answered into a stream's start; a 204 is an error, since a
    /// stream opened for reading has nothing to read (`what`: "turn" or "response").
    pub(crate) fn into_start(self, what: &str, last_event_id: Option<&str>) -> Result<Start> {
        Ok(match self {
            Opened::Events { body, response_id } => Start {
                body: Some(body),
                response_id,
                replayed: None,
            },
            Opened::Replayed(notice) => Start {
                body: None,
                response_id: Some(notice.response_id.clone()),
                replayed: Some(notice),
            },
            Opened::NoContent => {
                return Err(Error::Stream {
                    reason: format!(
                        "the server answered 204 No Content: it has no events for this {what}"
                    ),
                    last_event_id: last_event_id.map(str::to_owned),
                });
            }
        })
    }
}

/// Reopens a turn's event stream after a drop.
pub(crate) trait Reconnect: Send + Sync {
    /// Opens the stream after `last_event_id` (from the start when `None`).
    fn reconnect(
        &self,
        response_id: Option<String>,
        last_event_id: Option<String>,
    ) -> BoxFuture<'static, Result<Opened>>;
}

impl PokeeClient {
    /// Runs a turn and streams its events, resuming automatically after a drop.
    pub async fn send_message(&self, session_id: &str, message: &str) -> Result<TurnStream> {
        self.send_message_with(session_id, message, &self.opts.clone())
            .await
    }

    /// [`PokeeClient::send_message`] with options (a caller-chosen idempotency key, time
    /// bounds and retries for opening the stream).
    #[doc(hidden)]
    pub async fn send_message_with(
        &self,
        session_id: &str,
        message: &str,
        opts: &CallOptions,
    ) -> Result<TurnStream> {
        let url = self.session_url(session_id, "/messages")?;
        let key = opts
            .idempotency_key
            .clone()
            .unwrap_or_else(|| crate::ids::uuid_v4().to_string());
        let Body::Json(body) = json_body(&serde_json::json!({ "message": message }))? else {
            return Err(Error::InvalidInput {
                field: "message",
                reason: "could not be encoded".into(),
            });
        };
        // The server honours Idempotency-Key on this endpoint (spec §5), so a retry after an
        // ambiguous failure replays the same turn instead of starting another.
        let opening = Opening::Send {
            url,
            body,
            key: key.clone(),
        };
        let opened = self.open_events(&opening, opts).await?;
        let reconnect = Arc::new(HttpReconnect {
            client: self.clone(),
            session_id: session_id.to_owned(),
            send: Some(opening),
        });
        self.turn_stream(opened, reconnect, session_id, Some(key), None)
    }

    /// Reopens a turn's event stream after `last_event_id` (from the start when `None`).
    pub async fn resume(
        &self,
        session_id: &str,
        response_id: &str,
        last_event_id: Option<&str>,
    ) -> Result<TurnStream> {
        self.resume_with(session_id, response_id, last_event_id, &self.opts.clone())
            .await
    }

    /// [`PokeeClient::resume`] with time bounds and retries for opening the stream.
    #[doc(hidden)]
    pub async fn resume_with(
        &self,
        session_id: &str,
        response_id: &str,
        last_event_id: Option<&str>,
        opts: &CallOptions,
    ) -> Result<TurnStream> {
        let opening = Opening::Resume {
            url: self.events_url(session_id, response_id)?,
            last_event_id: last_event_id.map(str::to_owned),
        };
        let opened = self
            .open_events(&opening, opts)
            .await?
            .or_response_id(response_id);
        let reconnect = Arc::new(HttpReconnect {
            client: self.clone(),
            session_id: session_id.to_owned(),
            send: None,
        });
        self.turn_stream(opened, reconnect, session_id, None, last_event_id)
    }

    /// Asks the server to cancel a turn; the partial turn is not billed.
    pub async fn cancel(&self, session_id: &str, response_id: &str) -> Result<CancelResult> {
        self.cancel_with(session_id, response_id, &self.opts.clone())
            .await
    }

    /// [`PokeeClient::cancel`] with per-call options.
    #[doc(hidden)]
    pub async fn cancel_with(
        &self,
        session_id: &str,
        response_id: &str,
        opts: &CallOptions,
    ) -> Result<CancelResult> {
        let rid = id_segment("response_id", response_id)?;
        let url = self.session_url(session_id, &format!("/responses/{rid}/cancel"))?;
        // A second cancel is harmless (202 again or 200 already_complete), so retries are safe.
        self.call_json_with(
            self.request(Method::POST, url, Body::Empty, Idempotency::Safe),
            opts,
        )
        .await
    }

    fn events_url(&self, session_id: &str, response_id: &str) -> Result<String> {
        let rid = id_segment("response_id", response_id)?;
        self.session_url(session_id, &format!("/responses/{rid}/events"))
    }

    fn turn_stream(
        &self,
        opened: Opened,
        reconnect: Arc<HttpReconnect>,
        session_id: &str,
        idempotency_key: Option<String>,
        last_event_id: Option<&str>,
    ) -> Result<TurnStream> {
        let Start {
            body,
            response_id,
            replayed,
        } = opened.into_start("turn", last_event_id)?;
        Ok(TurnStream::new(TurnSetup {
            body,
            response_id,
            last_event_id: last_event_id.map(str::to_owned),
            reconnect: Some(reconnect),
            policy: self.inner.resume,
            read_idle: Some(self.inner.stream_read_idle),
            control: Some(TurnControl {
                client: self.clone(),
                session_id: Some(session_id.to_owned()),
            }),
            idempotency_key,
            replayed,
        }))
    }

    /// Sends the request that opens a turn's events and returns the open body. The call's
    /// bounds cover opening only: a stream has no total bound, and its read bound is the
    /// client's stream read-idle bound unless the call sets one.
    pub(crate) async fn open_events(
        &self,
        opening: &Opening,
        opts: &CallOptions,
    ) -> Result<Opened> {
        let mut req = match opening {
            Opening::Send { url, body, .. } => self.request(
                Method::POST,
                url.clone(),
                Body::Json(body.clone()),
                Idempotency::Keyed,
            ),
            Opening::Resume { url, last_event_id } => {
                let mut req =
                    self.request(Method::GET, url.clone(), Body::Empty, Idempotency::Safe);
                if let Some(id) = last_event_id.as_deref().filter(|id| !id.is_empty()) {
                    req.headers.push(("last-event-id", id.to_owned()));
                }
                req
            }
        };
        req.headers.push(("accept", "text/event-stream".into()));
        let stream_bounds = self
            .config()
            .timeouts
            .with_read(self.inner.stream_read_idle)
            .with_total(None);
        let opts = CallOptions {
            timeouts: Some(opts.resolve(stream_bounds)),
            max_retries: opts.max_retries,
            idempotency_key: match opening {
                Opening::Send { key, .. } => Some(key.clone()),
                Opening::Resume { .. } => None,
            },
            total: None,
        };
        let max_bytes = self.config().max_response_bytes;
        self.inner
            .http
            .execute(&req, &opts, |resp, slot| async move {
                let status = resp.status().as_u16();
                let response_id = header(&resp, "x-response-id").filter(|v| !v.is_empty());
                if status == 204 {
                    return Ok(Opened::NoContent);
                }
                let is_json = header(&resp, "content-type").is_some_and(|v| {
                    v.trim()
                        .to_ascii_lowercase()
                        .starts_with("application/json")
                });
                if is_json {
                    let raw = read_capped(resp, max_bytes).await?;
                    let mut notice: ReplayNotice =
                        serde_json::from_slice(&raw).map_err(|e| Error::Decode {
                            api: "Pokee API",
                            what: "ReplayNotice".into(),
                            detail: e.to_string(),
                            status,
                        })?;
                    if notice.response_id.is_empty() {
                        // A JSON answer is a replay notice only if it names the turn; anything
                        // else would end the turn silently with no events.
                        notice.response_id = response_id.ok_or_else(|| Error::Decode {
                            api: "Pokee API",
                            what: "ReplayNotice".into(),
                            detail: "a JSON reply to a message names no response_id".into(),
                            status,
                        })?;
                    }
                    return Ok(Opened::Replayed(notice));
                }
                // The slot goes with the body: the connection is in use until it is dropped.
                let body = resp
                    .bytes_stream()
                    .map(move |chunk| {
                        let _slot = &slot;
                        chunk.map_err(map_body_error)
                    })
                    .boxed();
                Ok(Opened::Events { body, response_id })
            })
            .await
    }
}

/// The request that opens a turn's events.
#[derive(Clone)]
pub(crate) enum Opening {
    /// E7: the message itself, with its idempotency key (a re-send replays the turn).
    Send {
        url: String,
        body: Bytes,
        key: String,
    },
    /// E8: the events of a known response, after a position.
    Resume {
        url: String,
        last_event_id: Option<String>,
    },
}

/// Reconnects over HTTP: the events endpoint when the response id is known, else the same
/// message POST with the same idempotency key, which the server answers by replaying the turn.
struct HttpReconnect {
    client: PokeeClient,
    session_id: String,
    send: Option<Opening>,
}

impl Reconnect for HttpReconnect {
    fn reconnect(
        &self,
        response_id: Option<String>,
        last_event_id: Option<String>,
    ) -> BoxFuture<'static, Result<Opened>> {
        let client = self.client.clone();
        let session_id = self.session_id.clone();
        let send = self.send.clone();
        Box::pin(async move {
            // The resume loop owns retrying and backoff, so each reconnect is a single try.
            let single = CallOptions {
                max_retries: Some(0),
                ..CallOptions::default()
            };
            let opening = match (response_id, send) {
                (Some(rid), _) => Opening::Resume {
                    url: client.events_url(&session_id, &rid)?,
                    last_event_id,
                },
                (None, Some(send)) => send,
                (None, None) => {
                    return Err(Error::InvalidInput {
                        field: "response_id",
                        reason: "unknown, so the turn cannot be resumed".into(),
                    });
                }
            };
            client.open_events(&opening, &single).await
        })
    }
}
