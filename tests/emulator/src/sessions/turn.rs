//! One turn's event buffer: the numbered events, who is waiting for more, and the cancel and
//! abort requests the running agent reacts to.

use std::sync::Mutex;

use tokio::sync::{Notify, watch};

use crate::state::lock;

/// One buffered event; `payload` is its compact JSON object without `sequence_number`,
/// which the stream writer splices in, so replays are byte-identical.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub(crate) seq: u64,
    pub(crate) event: String,
    pub(crate) payload: String,
}

impl Frame {
    /// Appends the SSE frame (spec §4.1) to `out`; the old format has no `id:` line and no
    /// `sequence_number`.
    pub(crate) fn render(&self, old_format: bool, eol: &str, out: &mut Vec<u8>) {
        if !old_format {
            out.extend_from_slice(b"id: ");
            out.extend_from_slice(self.seq.to_string().as_bytes());
            out.extend_from_slice(eol.as_bytes());
        }
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(self.event.as_bytes());
        out.extend_from_slice(eol.as_bytes());
        out.extend_from_slice(b"data: ");
        if old_format {
            out.extend_from_slice(self.payload.as_bytes());
        } else {
            // Payloads are JSON objects, so dropping the one closing brace opens them up.
            let body = self.payload.strip_suffix('}').unwrap_or(&self.payload);
            out.extend_from_slice(body.as_bytes());
            if body != "{" {
                out.push(b',');
            }
            out.extend_from_slice(b"\"sequence_number\":");
            out.extend_from_slice(self.seq.to_string().as_bytes());
            out.push(b'}');
        }
        out.extend_from_slice(eol.as_bytes());
        out.extend_from_slice(eol.as_bytes());
    }
}

/// What stops a running agent early.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Interrupt {
    /// E9 asked to cancel: end with `message.cancelled`.
    Cancel,
    /// The session went away (deleted, expired, reset): end with `message.error`.
    Abort(String),
}

/// Outcome of a cancel request (E9).
pub(crate) enum CancelOutcome {
    Cancelling,
    AlreadyComplete,
}

#[derive(Default)]
struct TurnInner {
    frames: Vec<Frame>,
    finished: bool,
    closed_at: Option<f64>,
    cancel: bool,
    abort: Option<String>,
    status: &'static str,
}

/// A turn (one `POST …/messages`) and its buffer.
pub(crate) struct Turn {
    pub(crate) rid: String,
    pub(crate) session_id: String,
    pub(crate) started_at: f64,
    inner: Mutex<TurnInner>,
    /// The number of buffered events, so readers can wait for more.
    len: watch::Sender<usize>,
    /// Wakes the agent when a cancel or abort arrives.
    pub(crate) wake: Notify,
}

impl Turn {
    pub(crate) fn new(rid: String, session_id: String, started_at: f64) -> Self {
        Turn {
            rid,
            session_id,
            started_at,
            inner: Mutex::new(TurnInner {
                status: "in_progress",
                ..TurnInner::default()
            }),
            len: watch::channel(0).0,
            wake: Notify::new(),
        }
    }

    /// Appends an event and returns its sequence number; ignored once the turn finished.
    pub(crate) fn push(&self, event: &str, payload: String) -> Option<u64> {
        let len = {
            let mut inner = lock(&self.inner);
            if inner.finished {
                return None;
            }
            let seq = inner.frames.len() as u64;
            inner.frames.push(Frame {
                seq,
                event: event.to_owned(),
                payload,
            });
            inner.frames.len()
        };
        self.len.send_replace(len);
        Some(len as u64 - 1)
    }

    /// Appends the terminal event and closes the buffer at virtual time `now`.
    pub(crate) fn finish(&self, event: &str, payload: String, now: f64) {
        let len = {
            let mut inner = lock(&self.inner);
            if inner.finished {
                return;
            }
            let seq = inner.frames.len() as u64;
            inner.frames.push(Frame {
                seq,
                event: event.to_owned(),
                payload,
            });
            inner.finished = true;
            inner.closed_at = Some(now);
            // Stateless responses (E19) share these buffers with their own terminal names.
            inner.status = match event {
                "message.completed" | "response.completed" => "completed",
                "message.cancelled" | "response.cancelled" => "cancelled",
                _ => "error",
            };
            inner.frames.len()
        };
        self.len.send_replace(len);
    }

    /// Up to `max` events starting at index `from`, and whether the turn has finished.
    pub(crate) fn read(&self, from: usize, max: usize) -> (Vec<Frame>, bool) {
        let inner = lock(&self.inner);
        let end = inner.frames.len().min(from.saturating_add(max));
        let frames = inner.frames.get(from..end).unwrap_or_default().to_vec();
        (frames, inner.finished)
    }

    /// A receiver that changes whenever an event is buffered.
    pub(crate) fn subscribe(&self) -> watch::Receiver<usize> {
        self.len.subscribe()
    }

    /// When the terminal event was buffered, in virtual time.
    pub(crate) fn closed_at(&self) -> Option<f64> {
        lock(&self.inner).closed_at
    }

    /// `in_progress`, `completed`, `cancelled` or `error`.
    pub(crate) fn status(&self) -> &'static str {
        lock(&self.inner).status
    }

    pub(crate) fn event_count(&self) -> usize {
        lock(&self.inner).frames.len()
    }

    /// Asks the agent to cancel (E9).
    pub(crate) fn request_cancel(&self) -> CancelOutcome {
        {
            let mut inner = lock(&self.inner);
            if inner.finished {
                return CancelOutcome::AlreadyComplete;
            }
            inner.cancel = true;
        }
        self.wake.notify_one();
        CancelOutcome::Cancelling
    }

    /// Tells the agent to stop with `message.error` `reason` (session gone).
    pub(crate) fn abort(&self, reason: &str) {
        {
            let mut inner = lock(&self.inner);
            if inner.finished || inner.abort.is_some() {
                return;
            }
            inner.abort = Some(reason.to_owned());
        }
        self.wake.notify_one();
    }

    /// The pending interrupt, if any; an abort wins over a cancel.
    pub(crate) fn interrupt(&self) -> Option<Interrupt> {
        let inner = lock(&self.inner);
        match (&inner.abort, inner.cancel) {
            (Some(reason), _) => Some(Interrupt::Abort(reason.clone())),
            (None, true) => Some(Interrupt::Cancel),
            (None, false) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(frame: &Frame, old: bool, eol: &str) -> String {
        let mut out = Vec::new();
        frame.render(old, eol, &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn frames_follow_the_spec() {
        let frame = Frame {
            seq: 3,
            event: "text.delta".into(),
            payload: r#"{"content":"NVIDIA "}"#.into(),
        };
        assert_eq!(
            rendered(&frame, false, "\n"),
            "id: 3\nevent: text.delta\ndata: {\"content\":\"NVIDIA \",\"sequence_number\":3}\n\n"
        );
        assert_eq!(
            rendered(&frame, true, "\r\n"),
            "event: text.delta\r\ndata: {\"content\":\"NVIDIA \"}\r\n\r\n"
        );
        let nested = Frame {
            seq: 2,
            event: "tool_use.executing".into(),
            payload: r#"{"input":{"a":{}}}"#.into(),
        };
        assert!(
            rendered(&nested, false, "\n").contains(r#"{"input":{"a":{}},"sequence_number":2}"#)
        );
        let empty = Frame {
            seq: 1,
            event: "text.start".into(),
            payload: "{}".into(),
        };
        assert_eq!(
            rendered(&empty, false, "\r"),
            "id: 1\revent: text.start\rdata: {\"sequence_number\":1}\r\r"
        );
    }

    #[test]
    fn buffer_and_interrupts() {
        let turn = Turn::new("msg_1".into(), "sess_1".into(), 0.0);
        assert_eq!(turn.push("message.created", "{}".into()), Some(0));
        assert!(turn.interrupt().is_none());
        assert!(matches!(turn.request_cancel(), CancelOutcome::Cancelling));
        assert_eq!(turn.interrupt(), Some(Interrupt::Cancel));
        turn.abort("gone");
        assert_eq!(turn.interrupt(), Some(Interrupt::Abort("gone".into())));
        turn.finish("message.cancelled", "{}".into(), 5.0);
        assert_eq!(turn.push("late", "{}".into()), None);
        assert_eq!(turn.event_count(), 2);
        assert_eq!(turn.status(), "cancelled");
        assert_eq!(turn.closed_at(), Some(5.0));
        assert!(matches!(
            turn.request_cancel(),
            CancelOutcome::AlreadyComplete
        ));
        let (frames, finished) = turn.read(1, 10);
        assert!(finished);
        assert_eq!(frames.len(), 1);
        assert_eq!(turn.read(7, 10).0.len(), 0);
    }
}
