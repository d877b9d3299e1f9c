//! Progress reports of long operations (downloads, uploads, waits), delivered to a callback
//! that may fail, with no lock of the operation held.
//!
//! An operation reports through a [`Reporter`], which only queues (it is called from inside
//! the operation, sometimes under its own lock). [`Delivery::run`] awaits the operation and
//! hands each report to the callback as it comes, and the ones still queued when the
//! operation ends. If the callback fails, the operation is dropped (which cancels it: a
//! download then leaves no file) and the call fails with [`Error::Callback`] carrying the
//! callback's own error, which a binding can take back out unchanged.

use crate::error::{Error, Result};
use std::future::Future;
use tokio::sync::mpsc;

/// The sending half of a report channel, moved into an operation's progress closure.
#[derive(Debug)]
pub struct Reporter<M>(Option<mpsc::UnboundedSender<M>>);

impl<M> Clone for Reporter<M> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<M> Reporter<M> {
    /// Queues a report; never blocks, and does nothing when nobody listens.
    pub fn send(&self, report: M) {
        if let Some(tx) = &self.0 {
            // The receiver only goes away with the awaiting call, when nobody cares anymore.
            let _ = tx.send(report);
        }
    }
}

/// The receiving half: delivers the reports while the operation runs.
#[derive(Debug)]
pub struct Delivery<M> {
    rx: Option<mpsc::UnboundedReceiver<M>>,
}

/// A report channel; without `listening`, reports are dropped at once.
pub fn channel<M>(listening: bool) -> (Reporter<M>, Delivery<M>) {
    if !listening {
        return (Reporter(None), Delivery { rx: None });
    }
    let (tx, rx) = mpsc::unbounded_channel();
    (Reporter(Some(tx)), Delivery { rx: Some(rx) })
}

impl<M> Delivery<M> {
    /// Awaits `op`, handing each report to `deliver` as it comes, and those still queued when
    /// `op` ends; the first failure of `deliver` ends the call with [`Error::Callback`].
    pub async fn run<T, E, D, Fut>(
        self,
        op: impl Future<Output = Result<T>>,
        mut deliver: D,
    ) -> Result<T>
    where
        D: FnMut(M) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let failed = |e: E| Error::Callback {
            source: Box::new(e),
        };
        let Some(mut rx) = self.rx else {
            return op.await;
        };
        let mut op = std::pin::pin!(op);
        loop {
            tokio::select! {
                biased;
                Some(report) = rx.recv() => deliver(report).await.map_err(failed)?,
                result = &mut op => {
                    while let Ok(report) = rx.try_recv() {
                        deliver(report).await.map_err(failed)?;
                    }
                    return result;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[derive(Debug, PartialEq)]
    struct Refused(u32);

    impl std::fmt::Display for Refused {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "refused {}", self.0)
        }
    }

    impl std::error::Error for Refused {}

    #[tokio::test]
    async fn every_report_is_delivered_in_order() {
        let (tx, delivery) = channel::<u32>(true);
        let op = async move {
            for i in 0..5 {
                tx.send(i);
                tokio::task::yield_now().await;
            }
            Ok::<_, Error>("done")
        };
        let mut seen = Vec::new();
        let out = delivery
            .run(op, |i| {
                seen.push(i);
                async { Ok::<(), Refused>(()) }
            })
            .await;
        assert_eq!(out.ok(), Some("done"));
        assert_eq!(seen, [0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_failed_delivery_stops_the_operation_and_keeps_its_error() {
        let (tx, delivery) = channel::<u32>(true);
        let dropped = Arc::new(AtomicBool::new(false));
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let flag = Flag(dropped.clone());
        let op = async move {
            let _flag = flag;
            tx.send(7);
            std::future::pending::<Result<()>>().await
        };
        let err = delivery
            .run(op, |i| async move { Err::<(), _>(Refused(i)) })
            .await
            .expect_err("the callback failed");
        match err {
            Error::Callback { source } => {
                assert_eq!(source.downcast_ref::<Refused>(), Some(&Refused(7)));
            }
            other => panic!("{other:?}"),
        }
        assert!(dropped.load(Ordering::SeqCst), "the operation was dropped");
    }

    #[tokio::test]
    async fn without_a_listener_reports_are_dropped() {
        let (tx, delivery) = channel::<u32>(false);
        tx.send(1);
        let out = delivery
            .run(async { Ok(3) }, |_| async { Err::<(), _>(Refused(0)) })
            .await;
        assert_eq!(out.ok(), Some(3));
    }
}
