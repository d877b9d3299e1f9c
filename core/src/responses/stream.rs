//! A streamed stateless response: the session turns' reading loop ([`TurnStream`]) with its
//! own reconnect (E20 with `Last-Event-ID`, or the same POST and `Idempotency-Key` while the id
//! is unknown), yielding typed [`ResponseEvent`]s.

use super::event::ResponseEvent;
use super::response::Response;
use crate::error::{Error, Result};
use crate::http::CallOptions;
use crate::sessions::{CancelResult, PokeeClient, ReplayNotice};
use crate::turn::{Opened, Opening, Reconnect, TurnHandle, TurnStream};
use futures_util::future::BoxFuture;
use futures_util::stream::{Stream, StreamExt};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The events of one streamed response, resumed automatically after a drop: each event
/// once, in order; a `Stream` of `Result<ResponseEvent>`.
///
/// It ends after the terminal event (`response.completed`, `response.failed`,
/// `response.cancelled`), after [`ResponseStream::close`], or with [`Error::Stream`] when
/// resuming is impossible or keeps failing.
#[derive(Debug)]
pub struct ResponseStream {
    inner: TurnStream,
}

impl ResponseStream {
    pub(crate) fn new(inner: TurnStream) -> Self {
        Self { inner }
    }

    /// The response id (`X-Response-Id`, else `response.created`'s).
    pub fn response_id(&self) -> Option<String> {
        self.inner.response_id()
    }

    /// The id of the last event delivered, for a manual
    /// [`PokeeClient::resume_response`].
    pub fn last_event_id(&self) -> Option<String> {
        self.inner.last_event_id()
    }

    /// The `Idempotency-Key` the request was sent with (none for a resumed stream).
    pub fn idempotency_key(&self) -> Option<&str> {
        self.inner.idempotency_key()
    }

    /// True once the terminal event was delivered.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// Set when a re-sent request found the response long finished: no events follow.
    pub fn replayed(&self) -> Option<&ReplayNotice> {
        self.inner.replayed()
    }

    /// The position and controls, usable while another task reads.
    pub fn handle(&self) -> TurnHandle {
        self.inner.handle()
    }

    /// Stops reading now; the response goes on on the server.
    pub fn close(&self) {
        self.inner.close();
    }

    /// Asks the server to cancel the response (E21); the stream then ends with
    /// `response.cancelled`.
    pub async fn cancel(&self) -> Result<CancelResult> {
        self.inner.cancel().await
    }

    /// The next event, `Ok(None)` at the end.
    pub async fn next_event(&mut self) -> Result<Option<ResponseEvent>> {
        self.next().await.transpose()
    }

    /// Reads to the end and returns the final response (the terminal event's snapshot): the
    /// completed response, or a failed or cancelled one with its status and error.
    pub async fn final_response(&mut self) -> Result<Response> {
        let mut last = None;
        while let Some(event) = self.next_event().await? {
            if event.is_terminal() {
                last = event.response();
            }
        }
        last.ok_or_else(|| Error::Stream {
            reason: "the stream ended without a terminal response event".into(),
            last_event_id: self.last_event_id(),
        })
    }

    /// The underlying turn stream, for readers built on it (bindings' `TurnReader`); its
    /// events convert with `ResponseEvent::from`.
    pub fn into_turn_stream(self) -> TurnStream {
        self.inner
    }
}

impl Stream for ResponseStream {
    type Item = Result<ResponseEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner
            .poll_next_unpin(cx)
            .map(|item| item.map(|r| r.map(ResponseEvent::from)))
    }
}

/// Reopens a dropped response stream: E20 once the id is known, else the same POST with the
/// same `Idempotency-Key`, which the server answers by replaying the response.
pub(crate) struct ResponseReconnect {
    pub(crate) client: PokeeClient,
    pub(crate) send: Opening,
}

impl Reconnect for ResponseReconnect {
    fn reconnect(
        &self,
        response_id: Option<String>,
        last_event_id: Option<String>,
    ) -> BoxFuture<'static, Result<Opened>> {
        let client = self.client.clone();
        let send = self.send.clone();
        Box::pin(async move {
            // The resume loop owns retrying and backoff: each reconnect is a single try.
            let single = CallOptions {
                max_retries: Some(0),
                ..CallOptions::default()
            };
            let opening = match response_id {
                Some(rid) => Opening::Resume {
                    url: client.response_events_url(&rid)?,
                    last_event_id,
                },
                None => send,
            };
            client.open_events(&opening, &single).await
        })
    }
}
