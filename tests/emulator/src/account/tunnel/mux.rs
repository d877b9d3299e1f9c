//! The server side of a yamux session (hashicorp's `spec.md`) over a WebSocket's binary
//! messages, as a piko server runs it: the emulator opens every stream (even ids) and the
//! agent answers them.
//!
//! Written here instead of taken from a crate, so the agent's yamux implementation is checked
//! against an independent one. Like piko's yamux fork, a frame's header and body go out as two
//! WebSocket messages, so an agent that treats message boundaries as frame boundaries fails.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::state::lock;

const VERSION: u8 = 0;
const TYPE_DATA: u8 = 0;
const TYPE_WINDOW_UPDATE: u8 = 1;
const TYPE_PING: u8 = 2;
const TYPE_GO_AWAY: u8 = 3;
const SYN: u16 = 1;
const ACK: u16 = 2;
const FIN: u16 = 4;
const RST: u16 = 8;
const HEADER_LEN: usize = 12;
/// Every stream's window at the start (spec: 256 KiB).
const INITIAL_WINDOW: u32 = 256 * 1024;
/// Largest data frame sent.
const MAX_DATA: usize = 64 * 1024;
const GO_AWAY_NORMAL: u32 = 0;
const GO_AWAY_PROTOCOL_ERROR: u32 = 1;
/// piko pings every 30 s and gives up on a ping unanswered for 10 s.
const PING_EVERY: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// A request for a new stream, answered with the stream.
pub(super) type OpenRequest = oneshot::Sender<io::Result<MuxStream>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Header {
    kind: u8,
    flags: u16,
    stream: u32,
    length: u32,
}

impl Header {
    fn encode(self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = VERSION;
        out[1] = self.kind;
        out[2..4].copy_from_slice(&self.flags.to_be_bytes());
        out[4..8].copy_from_slice(&self.stream.to_be_bytes());
        out[8..12].copy_from_slice(&self.length.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, String> {
        if bytes[0] != VERSION {
            return Err(format!("unknown yamux version {}", bytes[0]));
        }
        if bytes[1] > TYPE_GO_AWAY {
            return Err(format!("unknown yamux frame type {}", bytes[1]));
        }
        let word = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        Ok(Header {
            kind: bytes[1],
            flags: u16::from_be_bytes([bytes[2], bytes[3]]),
            stream: word(4),
            length: word(8),
        })
    }
}

/// What streams hand to the session's writer.
enum Out {
    Frame(Header, Bytes),
    /// The stream is gone: forget it.
    Forget(u32),
}

/// What the session hands to a stream's reader.
enum Inbound {
    Data(Bytes),
    Fin,
    Reset,
}

/// A stream's send side, shared with the session (which adds window and wakes the writer).
#[derive(Default)]
struct SendSide {
    window: u32,
    waker: Option<Waker>,
    /// Reset by the agent, or the session ended.
    closed: bool,
}

impl SendSide {
    fn close(shared: &Mutex<SendSide>) {
        let mut side = lock(shared);
        side.closed = true;
        if let Some(w) = side.waker.take() {
            w.wake();
        }
    }
}

struct Entry {
    inbound: mpsc::UnboundedSender<Inbound>,
    send: Arc<Mutex<SendSide>>,
}

/// Runs one agent's session until the agent leaves, the protocol breaks, a stream stays
/// unacknowledged for `open_timeout` (hashicorp's `StreamOpenTimeout`: the session is closed),
/// `close` fires (its sender is dropped) or `stop_all` turns true; returns why it ended.
pub(super) async fn serve<S>(
    ws: WebSocketStream<S>,
    mut opens: mpsc::UnboundedReceiver<OpenRequest>,
    mut close: watch::Receiver<()>,
    mut stop_all: watch::Receiver<bool>,
    open_timeout: Duration,
) -> String
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut sink, mut source) = ws.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Out>();
    let mut streams: HashMap<u32, Entry> = HashMap::new();
    let mut next_id: u32 = 2;
    let mut buf = BytesMut::new();
    let mut ping_seq: u32 = 0;
    let mut ping_deadline: Option<(u32, Instant)> = None;
    let mut ping_every = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut opens_open = true;
    // Streams opened and not yet acknowledged, with when they were opened.
    let mut unacked: HashMap<u32, Instant> = HashMap::new();
    let reason = loop {
        let deadline = ping_deadline.map(|(_, at)| at);
        let open_deadline = unacked.values().min().map(|at| *at + open_timeout);
        tokio::select! {
            _ = close.changed() => {
                let _ = send_frame(&mut sink, go_away(GO_AWAY_NORMAL), Bytes::new()).await;
                break "closed by the emulator".to_owned();
            }
            () = super::stopped(&mut stop_all) => break "emulator stopped".to_owned(),
            request = opens.recv(), if opens_open => match request {
                Some(reply) => {
                    let id = next_id;
                    next_id = next_id.wrapping_add(2);
                    let (in_tx, in_rx) = mpsc::unbounded_channel();
                    let send = Arc::new(Mutex::new(SendSide { window: INITIAL_WINDOW, ..SendSide::default() }));
                    streams.insert(id, Entry { inbound: in_tx, send: send.clone() });
                    unacked.insert(id, Instant::now());
                    let open = Header { kind: TYPE_WINDOW_UPDATE, flags: SYN, stream: id, length: 0 };
                    if let Err(e) = send_frame(&mut sink, open, Bytes::new()).await {
                        let _ = reply.send(Err(io::Error::other(e.to_string())));
                        break format!("write failed: {e}");
                    }
                    let stream = MuxStream {
                        id,
                        inbound: in_rx,
                        pending: Bytes::new(),
                        send,
                        out: out_tx.clone(),
                        consumed: 0,
                        read_done: false,
                        fin_sent: false,
                    };
                    let _ = reply.send(Ok(stream));
                }
                None => opens_open = false,
            },
            out = out_rx.recv() => {
                // `out_tx` lives in this function, so the channel never closes here.
                let Some(out) = out else { continue };
                match out {
                    Out::Frame(header, body) => {
                        if let Err(e) = send_frame(&mut sink, header, body).await {
                            break format!("write failed: {e}");
                        }
                    }
                    Out::Forget(id) => { streams.remove(&id); }
                }
            }
            message = source.next() => match message {
                Some(Ok(Message::Binary(bytes))) => {
                    buf.extend_from_slice(&bytes);
                    match take_frames(&mut buf, &mut streams, &mut unacked, &mut ping_deadline) {
                        Ok(replies) => {
                            let mut failed = None;
                            for (header, body) in replies {
                                if let Err(e) = send_frame(&mut sink, header, body).await {
                                    failed = Some(format!("write failed: {e}"));
                                    break;
                                }
                            }
                            if let Some(reason) = failed { break reason; }
                        }
                        Err(Ended::GoAway) => break "the agent went away".to_owned(),
                        Err(Ended::Protocol(reason)) => {
                            let _ = send_frame(&mut sink, go_away(GO_AWAY_PROTOCOL_ERROR), Bytes::new()).await;
                            break format!("protocol error: {reason}");
                        }
                    }
                }
                Some(Ok(Message::Text(_))) => break "a text message ends the session".to_owned(),
                Some(Ok(Message::Close(_))) | None => break "the agent closed the connection".to_owned(),
                Some(Ok(_)) => {}
                Some(Err(e)) => break format!("read failed: {e}"),
            },
            _ = ping_every.tick() => {
                if ping_deadline.is_none() {
                    ping_seq = ping_seq.wrapping_add(1);
                    let ping = Header { kind: TYPE_PING, flags: SYN, stream: 0, length: ping_seq };
                    if let Err(e) = send_frame(&mut sink, ping, Bytes::new()).await {
                        break format!("write failed: {e}");
                    }
                    ping_deadline = Some((ping_seq, Instant::now() + PING_TIMEOUT));
                }
            }
            () = sleep_until(deadline) => break "ping unanswered".to_owned(),
            () = sleep_until(open_deadline) => {
                let _ = send_frame(&mut sink, go_away(GO_AWAY_NORMAL), Bytes::new()).await;
                break "a stream was not acknowledged in time".to_owned();
            }
        }
    };
    for entry in streams.values() {
        SendSide::close(&entry.send);
        let _ = entry.inbound.send(Inbound::Reset);
    }
    let _ = sink.close().await;
    reason
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn go_away(code: u32) -> Header {
    Header {
        kind: TYPE_GO_AWAY,
        flags: 0,
        stream: 0,
        length: code,
    }
}

/// Writes a frame as piko's fork does: the header, then the body, as separate messages.
async fn send_frame<K>(sink: &mut K, header: Header, body: Bytes) -> Result<(), K::Error>
where
    K: futures_util::Sink<Message> + Unpin,
{
    sink.feed(Message::Binary(Bytes::copy_from_slice(&header.encode())))
        .await?;
    if !body.is_empty() {
        sink.feed(Message::Binary(body)).await?;
    }
    sink.flush().await
}

enum Ended {
    GoAway,
    Protocol(String),
}

/// Takes every complete frame from `buf` and applies it; returns the frames to send back
/// (ping answers, resets of streams the agent tried to open).
fn take_frames(
    buf: &mut BytesMut,
    streams: &mut HashMap<u32, Entry>,
    unacked: &mut HashMap<u32, Instant>,
    ping_deadline: &mut Option<(u32, Instant)>,
) -> Result<Vec<(Header, Bytes)>, Ended> {
    let mut replies = Vec::new();
    while buf.len() >= HEADER_LEN {
        let header = Header::decode(&buf[..HEADER_LEN]).map_err(Ended::Protocol)?;
        let body_len = if header.kind == TYPE_DATA {
            header.length as usize
        } else {
            0
        };
        if buf.len() < HEADER_LEN + body_len {
            break;
        }
        buf.advance(HEADER_LEN);
        let body = buf.split_to(body_len).freeze();
        match header.kind {
            TYPE_PING if header.flags & SYN != 0 => replies.push((
                Header {
                    kind: TYPE_PING,
                    flags: ACK,
                    stream: 0,
                    length: header.length,
                },
                Bytes::new(),
            )),
            TYPE_PING => {
                if ping_deadline.is_some_and(|(seq, _)| seq == header.length) {
                    *ping_deadline = None;
                }
            }
            TYPE_GO_AWAY => return Err(Ended::GoAway),
            _ => {
                if header.flags & (ACK | RST) != 0 {
                    unacked.remove(&header.stream);
                }
                if let Some(reply) = stream_frame(header, body, streams) {
                    replies.push((reply, Bytes::new()));
                }
            }
        }
    }
    Ok(replies)
}

/// Applies a data or window-update frame to its stream; a frame that opens a stream is
/// answered with a reset (the agent never opens streams).
fn stream_frame(header: Header, body: Bytes, streams: &mut HashMap<u32, Entry>) -> Option<Header> {
    let Some(entry) = streams.get(&header.stream) else {
        return (header.flags & SYN != 0).then_some(Header {
            kind: TYPE_WINDOW_UPDATE,
            flags: RST,
            stream: header.stream,
            length: 0,
        });
    };
    if header.kind == TYPE_WINDOW_UPDATE && header.length > 0 {
        let mut side = lock(&entry.send);
        side.window = side.window.saturating_add(header.length);
        if let Some(w) = side.waker.take() {
            w.wake();
        }
    }
    if !body.is_empty() {
        let _ = entry.inbound.send(Inbound::Data(body));
    }
    if header.flags & FIN != 0 {
        let _ = entry.inbound.send(Inbound::Fin);
    }
    if header.flags & RST != 0 {
        let _ = entry.inbound.send(Inbound::Reset);
        SendSide::close(&entry.send);
        streams.remove(&header.stream);
    }
    None
}

/// One stream of a session, read and written like a socket.
pub(crate) struct MuxStream {
    id: u32,
    inbound: mpsc::UnboundedReceiver<Inbound>,
    pending: Bytes,
    send: Arc<Mutex<SendSide>>,
    out: mpsc::UnboundedSender<Out>,
    /// Bytes read since the last window update sent.
    consumed: u32,
    read_done: bool,
    fin_sent: bool,
}

impl MuxStream {
    fn frame(&self, kind: u8, flags: u16, length: u32, body: Bytes) -> io::Result<()> {
        let header = Header {
            kind,
            flags,
            stream: self.id,
            length,
        };
        self.out
            .send(Out::Frame(header, body))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the session ended"))
    }
}

impl AsyncRead for MuxStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if !self.pending.is_empty() {
                let n = self.pending.len().min(buf.remaining());
                buf.put_slice(&self.pending[..n]);
                self.pending.advance(n);
                self.consumed += n as u32;
                if self.consumed >= INITIAL_WINDOW / 2 {
                    let delta = std::mem::take(&mut self.consumed);
                    self.frame(TYPE_WINDOW_UPDATE, 0, delta, Bytes::new())?;
                }
                return Poll::Ready(Ok(()));
            }
            if self.read_done {
                return Poll::Ready(Ok(()));
            }
            match self.inbound.poll_recv(cx) {
                Poll::Ready(Some(Inbound::Data(bytes))) => self.pending = bytes,
                Poll::Ready(Some(Inbound::Fin)) => self.read_done = true,
                Poll::Ready(Some(Inbound::Reset)) => {
                    return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
                }
                Poll::Ready(None) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the session ended",
                    )));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl AsyncWrite for MuxStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.fin_sent {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let n = {
            let mut side = lock(&self.send);
            if side.closed {
                return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
            }
            if side.window == 0 {
                side.waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let n = buf.len().min(side.window as usize).min(MAX_DATA);
            side.window -= n as u32;
            n
        };
        self.frame(TYPE_DATA, 0, n as u32, Bytes::copy_from_slice(&buf[..n]))?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.fin_sent {
            self.fin_sent = true;
            self.frame(TYPE_WINDOW_UPDATE, FIN, 0, Bytes::new())?;
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for MuxStream {
    fn drop(&mut self) {
        // After the agent's reply ended, close our side; before that, the reader gave up on
        // the reply: reset, so the agent stops working on it.
        if !self.fin_sent {
            let flags = if self.read_done { FIN } else { RST };
            let _ = self.frame(TYPE_WINDOW_UPDATE, flags, 0, Bytes::new());
        }
        let _ = self.out.send(Out::Forget(self.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_in_network_order() {
        let h = Header {
            kind: TYPE_WINDOW_UPDATE,
            flags: SYN | ACK,
            stream: 0x0102_0304,
            length: 262_144,
        };
        let bytes = h.encode();
        assert_eq!(bytes, [0, 1, 0, 3, 1, 2, 3, 4, 0, 4, 0, 0]);
        assert_eq!(Header::decode(&bytes), Ok(h));
        assert!(Header::decode(&[1; 12]).is_err(), "version 1 is refused");
        assert!(Header::decode(&[0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn frames_split_anywhere_are_reassembled() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut streams = HashMap::new();
        let send = Arc::new(Mutex::new(SendSide::default()));
        streams.insert(
            2,
            Entry {
                inbound: tx,
                send: send.clone(),
            },
        );
        let data = Header {
            kind: TYPE_DATA,
            flags: ACK,
            stream: 2,
            length: 5,
        };
        let update = Header {
            kind: TYPE_WINDOW_UPDATE,
            flags: FIN,
            stream: 2,
            length: 1000,
        };
        let mut wire = Vec::new();
        wire.extend_from_slice(&data.encode());
        wire.extend_from_slice(b"hello");
        wire.extend_from_slice(&update.encode());
        let mut buf = BytesMut::new();
        let mut deadline = None;
        let mut unacked = HashMap::from([(2, Instant::now())]);
        for byte in wire {
            buf.extend_from_slice(&[byte]);
            let replies = take_frames(&mut buf, &mut streams, &mut unacked, &mut deadline);
            assert!(matches!(replies, Ok(r) if r.is_empty()));
        }
        assert!(matches!(rx.try_recv(), Ok(Inbound::Data(b)) if &b[..] == b"hello"));
        assert!(matches!(rx.try_recv(), Ok(Inbound::Fin)));
        assert_eq!(lock(&send).window, 1000);
        assert!(unacked.is_empty(), "the ACK flag acknowledged stream 2");
    }

    #[test]
    fn pings_are_answered_and_streams_opened_by_the_agent_reset() {
        let mut streams = HashMap::new();
        let mut buf = BytesMut::new();
        let ping = Header {
            kind: TYPE_PING,
            flags: SYN,
            stream: 0,
            length: 77,
        };
        let open = Header {
            kind: TYPE_WINDOW_UPDATE,
            flags: SYN,
            stream: 3,
            length: 0,
        };
        buf.extend_from_slice(&ping.encode());
        buf.extend_from_slice(&open.encode());
        let mut deadline = None;
        let Ok(replies) = take_frames(&mut buf, &mut streams, &mut HashMap::new(), &mut deadline)
        else {
            panic!("valid frames");
        };
        let headers: Vec<Header> = replies.into_iter().map(|(h, _)| h).collect();
        assert_eq!(
            headers,
            vec![
                Header {
                    kind: TYPE_PING,
                    flags: ACK,
                    stream: 0,
                    length: 77
                },
                Header {
                    kind: TYPE_WINDOW_UPDATE,
                    flags: RST,
                    stream: 3,
                    length: 0
                },
            ]
        );
    }
}
