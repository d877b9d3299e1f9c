//! The connect bound, applied per call: a layer around reqwest's connector (TCP, then TLS)
//! that reads the bound of the attempt it serves from the attempt's [`Watch`], so a per-call
//! `connect` works although reqwest only knows a per-client one.

use super::watch::Watch;
use futures_util::future::BoxFuture;
use std::fmt;
use std::task::{Context, Poll};
use std::time::Duration;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A new connection was not up within the bound.
#[derive(Debug)]
pub(crate) struct ConnectTimedOut(pub(crate) Duration);

impl fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no connection within {:.1}s", self.0.as_secs_f64())
    }
}

impl std::error::Error for ConnectTimedOut {}

/// The layer given to reqwest: `default` applies outside an attempt (e.g. a connection the
/// pool opens after the attempt that asked for it went on with another one).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectBound {
    pub(crate) default: Duration,
}

impl<S> tower_layer::Layer<S> for ConnectBound {
    type Service = Bounded<S>;

    fn layer(&self, inner: S) -> Bounded<S> {
        Bounded {
            inner,
            default: self.default,
        }
    }
}

/// The connector with the bound applied.
#[derive(Debug, Clone)]
pub(crate) struct Bounded<S> {
    inner: S,
    default: Duration,
}

impl<S, R> tower_service::Service<R> for Bounded<S>
where
    S: tower_service::Service<R, Error = BoxError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let watch = Watch::current();
        let limit = watch.as_ref().map_or(self.default, Watch::connecting);
        let connecting = self.inner.call(req);
        Box::pin(async move {
            let outcome = match tokio::time::timeout(limit, connecting).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Box::new(ConnectTimedOut(limit)) as BoxError),
            };
            if let (Some(w), Ok(_)) = (&watch, &outcome) {
                w.connected();
            }
            outcome
        })
    }
}
