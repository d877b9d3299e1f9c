//! A response body bounded by an idle timeout between chunks.

use super::failure::map_body_error;
use crate::error::{Error, Result, TimeoutPhase};
use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A response body bounded by an idle timeout: a wait for the next chunk that lasts longer
/// than `idle` ends the stream with [`TimeoutPhase::ReadIdle`].
///
/// One timer serves the whole body: each wait only notes when it began, and the timer is
/// re-armed lazily, when it fires early, instead of once per chunk.
pub(crate) struct IdleBody<S> {
    body: S,
    idle: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
    /// When the current wait for a chunk began; `None` between a chunk and the next poll.
    waiting_since: Option<tokio::time::Instant>,
    ended: bool,
}

impl<S> IdleBody<S> {
    pub(crate) fn new(body: S, idle: Duration) -> Self {
        Self {
            body,
            idle,
            sleep: Box::pin(tokio::time::sleep(idle)),
            waiting_since: None,
            ended: false,
        }
    }
}

impl<S> Stream for IdleBody<S>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        let since = *this
            .waiting_since
            .get_or_insert_with(tokio::time::Instant::now);
        match this.body.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.waiting_since = None;
                return Poll::Ready(Some(Ok(chunk)));
            }
            Poll::Ready(Some(Err(e))) => {
                this.ended = true;
                return Poll::Ready(Some(Err(map_body_error(e))));
            }
            Poll::Ready(None) => {
                this.ended = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        let deadline = since + this.idle;
        loop {
            if this.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            // The timer was armed for an earlier wait: move it to this one's deadline.
            if tokio::time::Instant::now() < deadline {
                this.sleep.as_mut().reset(deadline);
                continue;
            }
            this.ended = true;
            return Poll::Ready(Some(Err(Error::timeout(TimeoutPhase::ReadIdle, this.idle))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle_body(
        chunks: Vec<Bytes>,
        idle: Duration,
    ) -> IdleBody<futures_util::stream::BoxStream<'static, reqwest::Result<Bytes>>> {
        let body = futures_util::stream::iter(chunks.into_iter().map(Ok))
            .chain(futures_util::stream::pending())
            .boxed();
        IdleBody::new(body, idle)
    }

    #[tokio::test(start_paused = true)]
    async fn idle_body_times_out_only_on_a_silent_server() {
        let idle = Duration::from_secs(30);
        let mut body = idle_body(
            vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")],
            idle,
        );
        let start = tokio::time::Instant::now();
        assert!(matches!(body.next().await, Some(Ok(c)) if c == "a"));
        // A slow reader is not a silent server: the wait starts when it asks again.
        tokio::time::sleep(idle * 3).await;
        assert!(matches!(body.next().await, Some(Ok(c)) if c == "b"));
        let asked = tokio::time::Instant::now();
        assert!(matches!(
            body.next().await,
            Some(Err(Error::Timeout {
                phase: TimeoutPhase::ReadIdle,
                ..
            }))
        ));
        assert!(tokio::time::Instant::now() >= asked + idle);
        assert!(tokio::time::Instant::now() >= start + idle * 4);
        assert!(body.next().await.is_none());
    }
}
