//! A turn's events as a blocking iterator.

use super::wait;
use crate::Result;
use crate::sessions::CancelResult;
use crate::turn::{TurnEvent, TurnStream};
use futures_util::StreamExt;

/// A turn being streamed: an iterator of its events, resumed after a drop like
/// [`TurnStream`]. Dropping it closes the connection; the turn keeps running on the server.
#[derive(Debug)]
pub struct Turn {
    stream: TurnStream,
    /// Set once `next` was refused: the iterator is over.
    refused: bool,
}

impl Turn {
    pub(super) fn new(stream: TurnStream) -> Self {
        Self {
            stream,
            refused: false,
        }
    }

    /// The response id, once known (for [`super::Session::resume`] and `cancel`).
    pub fn response_id(&self) -> Option<String> {
        self.stream.response_id()
    }

    /// The id of the last event delivered.
    pub fn last_event_id(&self) -> Option<String> {
        self.stream.last_event_id()
    }

    /// True once the terminal event was delivered (or a resume found the turn over).
    pub fn is_finished(&self) -> bool {
        self.stream.is_finished()
    }

    /// Asks the server to cancel the turn; the iterator then ends with `message.cancelled`.
    ///
    /// # Errors
    ///
    /// As [`TurnStream::cancel`].
    pub fn cancel(&self) -> Result<CancelResult> {
        wait(self.stream.cancel())
    }

    /// Closes the connection now; the turn keeps running on the server.
    pub fn close(&self) {
        self.stream.close();
    }
}

/// After its last item (the terminal event, or an error) it yields `None` for good, so
/// `filter_map(Result::ok)` cannot spin.
impl Iterator for Turn {
    type Item = Result<TurnEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.refused {
            return None;
        }
        match wait(async { Ok(self.stream.next().await) }) {
            Ok(next) => next,
            Err(e) => {
                // Refused (inside an async runtime): the stream ends here.
                self.refused = true;
                self.stream.close();
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for Turn {}
