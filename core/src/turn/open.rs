//! The turn endpoints: send a message (E7), resume its events (E8), cancel it (E9); and
//! reopening a dropped stream for [`TurnStream`](super::TurnStream).

use super::handle::TurnControl;
use super::stream::{TurnSetup, TurnStream};
use crate::error::{Error, Result};
use crate::http::ByteStream;
use crate::http::{Body, CallOptions, Idempotency, Timeouts, header, map_body_error, read_capped};
use crate::sessions::{CancelResult, PokeeClient, ReplayNotice, id_segment, json_body};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{StreamExt, TryStreamExt};
use reqwest::Method;
use std::sync::Arc;

/// Options of [`PokeeClient::send_message_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageOptions {
    /// The `Idempotency-Key` (a fresh UUIDv4 otherwise); re-sending the same message with the
    /// same key replays the turn instead of starting another.
    pub idempotency_key: Option<String>,
}

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
        self.send_message_with(session_id, message, &MessageOptions::default())
            .await
    }

    /// [`PokeeClient::send_message`] with options (a caller-chosen idempotency key).
    pub async fn send_message_with(
        &self,
        session_id: &str,
        message: &str,
        opts: &MessageOptions,
    ) -> Result<TurnStream> {
        let url = self.session_url(session_id, "/messages")?;
        let key = opts
            .idempotency_key
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let Body::Json(body) = json_body(&serde_json::json!({ "message": message }))? else {
            return Err(Error::InvalidInput {
                field: "message",
                reason: "could not be encoded".into(),
            });
        };
        // The server honours Idempotency-Key on this endpoint (spec §5), so a retry after an
        // ambiguous failure replays the same turn instead of starting another.
        let opened = self
            .open_events(
                Method::POST,
                url.clone(),
                Body::Json(body.clone()),
                Idempotency::Keyed,
                Some(key.clone()),
                None,
                None,
            )
            .await?;
        let reconnect = Arc::new(HttpReconnect {
            client: self.clone(),
            session_id: session_id.to_owned(),
            post: Some(PostTurn {
                url,
                body,
                key: key.clone(),
            }),
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
        let url = self.events_url(session_id, response_id)?;
        let opened = self
            .open_events(
                Method::GET,
                url,
                Body::Empty,
                Idempotency::Safe,
                None,
                last_event_id,
                None,
            )
            .await?;
        let opened = match opened {
            Opened::Events {
                body,
                response_id: rid,
            } => Opened::Events {
                body,
                response_id: rid.or_else(|| Some(response_id.to_owned())),
            },
            other => other,
        };
        let reconnect = Arc::new(HttpReconnect {
            client: self.clone(),
            session_id: session_id.to_owned(),
            post: None,
        });
        self.turn_stream(opened, reconnect, session_id, None, last_event_id)
    }

    /// Asks the server to cancel a turn; the partial turn is not billed.
    pub async fn cancel(&self, session_id: &str, response_id: &str) -> Result<CancelResult> {
        let rid = id_segment("response_id", response_id)?;
        let url = self.session_url(session_id, &format!("/responses/{rid}/cancel"))?;
        // A second cancel is harmless (202 again or 200 already_complete), so retries are safe.
        self.call_json(self.request(Method::POST, url, Body::Empty, Idempotency::Safe))
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
        let (body, response_id, replayed) = match opened {
            Opened::Events { body, response_id } => (Some(body), response_id, None),
            Opened::Replayed(notice) => (None, Some(notice.response_id.clone()), Some(notice)),
            Opened::NoContent => {
                return Err(Error::Stream {
                    reason: "the server answered 204 No Content: it has no events for this turn"
                        .into(),
                    last_event_id: last_event_id.map(str::to_owned),
                });
            }
        };
        Ok(TurnStream::new(TurnSetup {
            body,
            response_id,
            last_event_id: last_event_id.map(str::to_owned),
            reconnect: Some(reconnect),
            policy: self.inner.resume,
            read_idle: Some(self.inner.stream_read_idle),
            control: Some(TurnControl {
                client: self.clone(),
                session_id: session_id.to_owned(),
            }),
            idempotency_key,
            replayed,
        }))
    }

    /// Sends a request whose success answer is an event stream and returns the open body.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn open_events(
        &self,
        method: Method,
        url: String,
        body: Body,
        idempotency: Idempotency,
        idempotency_key: Option<String>,
        last_event_id: Option<&str>,
        max_retries: Option<u32>,
    ) -> Result<Opened> {
        let mut req = self.request(method, url, body, idempotency);
        req.headers.push(("accept", "text/event-stream".into()));
        if let Some(id) = last_event_id.filter(|id| !id.is_empty()) {
            req.headers.push(("last-event-id", id.to_owned()));
        }
        let idle = self.inner.stream_read_idle;
        // Streams have no total bound; `total` here only covers the wait for the headers,
        // because `execute` returns as soon as they arrive.
        let opts = CallOptions {
            timeouts: Some(Timeouts {
                connect: self.inner.http.config.timeouts.connect,
                read_idle: Some(idle),
                total: Some(idle),
            }),
            max_retries,
            idempotency_key,
        };
        let resp = self
            .inner
            .http
            .execute(&req, &opts, |resp| async move { Ok(resp) })
            .await?;
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
            let raw = read_capped(resp, self.inner.http.config.max_response_bytes).await?;
            let mut notice: ReplayNotice =
                serde_json::from_slice(&raw).map_err(|e| Error::Decode {
                    what: "ReplayNotice",
                    detail: e.to_string(),
                    status,
                })?;
            if notice.response_id.is_empty() {
                notice.response_id = response_id.unwrap_or_default();
            }
            return Ok(Opened::Replayed(notice));
        }
        let body = resp.bytes_stream().map_err(map_body_error).boxed();
        Ok(Opened::Events { body, response_id })
    }
}

#[derive(Clone)]
struct PostTurn {
    url: String,
    body: Bytes,
    key: String,
}

/// Reconnects over HTTP: the events endpoint when the response id is known, else the same
/// POST with the same idempotency key, which the server answers by replaying the turn.
struct HttpReconnect {
    client: PokeeClient,
    session_id: String,
    post: Option<PostTurn>,
}

impl Reconnect for HttpReconnect {
    fn reconnect(
        &self,
        response_id: Option<String>,
        last_event_id: Option<String>,
    ) -> BoxFuture<'static, Result<Opened>> {
        let client = self.client.clone();
        let session_id = self.session_id.clone();
        let post = self.post.clone();
        Box::pin(async move {
            // The resume loop owns retrying and backoff, so each attempt here is a single try.
            match (response_id, post) {
                (Some(rid), _) => {
                    let url = client.events_url(&session_id, &rid)?;
                    client
                        .open_events(
                            Method::GET,
                            url,
                            Body::Empty,
                            Idempotency::Safe,
                            None,
                            last_event_id.as_deref(),
                            Some(0),
                        )
                        .await
                }
                (None, Some(p)) => {
                    client
                        .open_events(
                            Method::POST,
                            p.url,
                            Body::Json(p.body),
                            Idempotency::Keyed,
                            Some(p.key),
                            None,
                            Some(0),
                        )
                        .await
                }
                (None, None) => Err(Error::InvalidInput {
                    field: "response_id",
                    reason: "unknown, so the turn cannot be resumed".into(),
                }),
            }
        })
    }
}
