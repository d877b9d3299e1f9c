//! How a blocking call learns that its caller wants it stopped.

/// Asked every 100 ms while a blocking call waits; true stops the call with
/// `PokeError::Cancelled`. A blocking call runs on the calling thread, so this is asked there:
/// the Kotlin package answers whether that thread was interrupted (`Thread.interrupt()`).
#[uniffi::export(with_foreign)]
pub trait BlockingInterruption: Send + Sync {
    /// True when the caller wants the blocking call it waits for stopped.
    fn is_interrupted(&self) -> bool;
}
