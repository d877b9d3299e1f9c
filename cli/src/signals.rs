//! Ctrl+C, SIGTERM and SIGHUP as a stream of names, for commands that clean up before they
//! exit (and exit at once on the second one).

use tokio::sync::mpsc;

/// Stop signals received since [`Signals::install`].
pub struct Signals {
    rx: mpsc::UnboundedReceiver<&'static str>,
}

impl Signals {
    /// Starts catching the stop signals (the default action, dying, no longer applies).
    pub fn install() -> std::io::Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            for (kind, name) in [
                (SignalKind::interrupt(), "SIGINT"),
                (SignalKind::terminate(), "SIGTERM"),
                (SignalKind::hangup(), "SIGHUP"),
            ] {
                let mut stream = signal(kind)?;
                let tx = tx.clone();
                tokio::spawn(async move {
                    while stream.recv().await.is_some() {
                        if tx.send(name).is_err() {
                            break;
                        }
                    }
                });
            }
        }
        #[cfg(not(unix))]
        {
            tokio::spawn(async move {
                while tokio::signal::ctrl_c().await.is_ok() {
                    if tx.send("Ctrl+C").is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Self { rx })
    }

    /// The next signal's name.
    pub async fn next(&mut self) -> &'static str {
        match self.rx.recv().await {
            Some(name) => name,
            None => std::future::pending().await,
        }
    }
}
