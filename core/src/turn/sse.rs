//! A byte-level server-sent events decoder following the WHATWG parsing rules.
//!
//! Hand-written rather than taken from a crate because resuming needs exact control over ids:
//! id-only blocks move the last event id, ids containing NUL are ignored, and a block cut off by
//! the end of a connection is never dispatched.

use std::time::Duration;

/// The UTF-8 byte order mark, skipped once at the very start of a stream.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `id:` field of this event's own block, when it had a valid one.
    pub id: Option<String>,
    /// The stream's last event id once this event was dispatched (WHATWG `lastEventId`); it
    /// persists across events that carry no `id:` line.
    pub last_event_id: String,
    /// The `event:` field, `"message"` when absent or empty.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bom {
    /// This many leading bytes matched the BOM so far.
    Pending(usize),
    Done,
}

/// Incremental decoder: feed it the body's chunks as they arrive, in any sizes.
#[derive(Debug, Clone)]
pub struct SseDecoder {
    bom: Bom,
    /// Bytes of the line being read; kept as bytes so a UTF-8 sequence split across chunks is
    /// decoded whole.
    line: Vec<u8>,
    /// The previous byte was CR, so a LF that follows ends nothing new.
    after_cr: bool,
    data: String,
    event_type: String,
    /// WHATWG "last event ID buffer": set by `id:` lines, committed at dispatch.
    id_buffer: String,
    own_id: Option<String>,
    last_event_id: String,
    retry: Option<Duration>,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    /// A decoder for a new stream.
    pub fn new() -> Self {
        Self {
            bom: Bom::Pending(0),
            line: Vec::new(),
            after_cr: false,
            data: String::new(),
            event_type: String::new(),
            id_buffer: String::new(),
            own_id: None,
            last_event_id: String::new(),
            retry: None,
        }
    }

    /// A decoder for a reconnection: the last event id and retry delay carry over, as they do
    /// for a browser `EventSource`.
    pub fn resumed(last_event_id: impl Into<String>, retry: Option<Duration>) -> Self {
        let id = last_event_id.into();
        Self {
            id_buffer: id.clone(),
            last_event_id: id,
            retry,
            ..Self::new()
        }
    }

    /// The last event id committed so far (id-only blocks count); empty when none.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection delay the server asked for with `retry:`, if any.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Bytes held for the event being assembled, so callers can bound memory.
    pub fn buffered_len(&self) -> usize {
        self.line.len() + self.data.len() + self.event_type.len()
    }

    /// Decodes one chunk and returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let mut chunk = chunk;
        if let Bom::Pending(matched) = self.bom {
            let mut n = matched;
            let mut i = 0;
            while n < BOM.len() && i < chunk.len() && chunk[i] == BOM[n] {
                n += 1;
                i += 1;
            }
            if n == BOM.len() {
                self.bom = Bom::Done;
                chunk = &chunk[i..];
            } else if i == chunk.len() {
                // Still a BOM prefix: decide when more bytes arrive.
                self.bom = Bom::Pending(n);
                return out;
            } else {
                // Not a BOM after all: the held-back bytes are ordinary content.
                self.bom = Bom::Done;
                self.process(&BOM[..n], &mut out);
                chunk = &chunk[i..];
            }
        }
        self.process(chunk, &mut out);
        out
    }

    fn process(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) {
        while !chunk.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if chunk[0] == b'\n' {
                    chunk = &chunk[1..];
                    continue;
                }
            }
            if let Some(i) = memchr::memchr2(b'\n', b'\r', chunk) {
                if self.line.is_empty() {
                    // The whole line is in this chunk: read it in place.
                    self.process_line(&chunk[..i], out);
                } else {
                    let mut line = std::mem::take(&mut self.line);
                    line.extend_from_slice(&chunk[..i]);
                    self.process_line(&line, out);
                    line.clear();
                    self.line = line;
                }
                self.after_cr = chunk[i] == b'\r';
                chunk = &chunk[i + 1..];
            } else {
                self.line.extend_from_slice(chunk);
                break;
            }
        }
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"event" => self.event_type = String::from_utf8_lossy(value).into_owned(),
            b"data" => {
                let value = String::from_utf8_lossy(value);
                // One allocation for the usual single-line payload (the `\n` included).
                self.data.reserve(value.len() + 1);
                self.data.push_str(&value);
                self.data.push('\n');
            }
            // An id containing NUL is ignored entirely (it could not be sent back in a header).
            b"id" if !value.contains(&0) => {
                let id = String::from_utf8_lossy(value).into_owned();
                self.id_buffer.clone_from(&id);
                self.own_id = Some(id);
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // All digits, so only overflow can fail; an absurd value is ignored.
                if let Ok(ms) = std::str::from_utf8(value).unwrap_or("").parse::<u64>() {
                    self.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        self.last_event_id.clone_from(&self.id_buffer);
        let own_id = self.own_id.take();
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        let event = match std::mem::take(&mut self.event_type) {
            e if e.is_empty() => "message".to_owned(),
            e => e,
        };
        out.push(SseEvent {
            id: own_id,
            last_event_id: self.last_event_id.clone(),
            event,
            data,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode(input: &[u8]) -> (Vec<SseEvent>, SseDecoder) {
        let mut d = SseDecoder::new();
        let events = d.feed(input);
        (events, d)
    }

    fn ev(id: Option<&str>, last: &str, event: &str, data: &str) -> SseEvent {
        SseEvent {
            id: id.map(str::to_owned),
            last_event_id: last.to_owned(),
            event: event.to_owned(),
            data: data.to_owned(),
        }
    }

    #[test]
    fn pokee_frame() {
        let (events, d) = decode(b"id: 3\nevent: text.delta\ndata: {\"content\": \"NVIDIA \"}\n\n");
        assert_eq!(
            events,
            vec![ev(
                Some("3"),
                "3",
                "text.delta",
                "{\"content\": \"NVIDIA \"}"
            )]
        );
        assert_eq!(d.last_event_id(), "3");
    }

    #[test]
    fn multi_line_data_is_joined_with_lf() {
        let (events, _) = decode(b"data: a\ndata:b\ndata\ndata:  c\n\n");
        assert_eq!(events, vec![ev(None, "", "message", "a\nb\n\n c")]);
    }

    #[test]
    fn empty_data_line_still_dispatches() {
        let (events, _) = decode(b"data\n\ndata:\n\n");
        assert_eq!(
            events,
            vec![ev(None, "", "message", ""), ev(None, "", "message", "")]
        );
    }

    #[test]
    fn blocks_without_data_dispatch_nothing_but_reset_event_type() {
        let (events, _) = decode(b"event: x\n\ndata: y\n\n");
        assert_eq!(events, vec![ev(None, "", "message", "y")]);
    }

    #[test]
    fn id_persists_and_id_only_blocks_count() {
        let (events, d) = decode(b"id: 1\ndata: a\n\ndata: b\n\nid: 7\n\n");
        assert_eq!(
            events,
            vec![
                ev(Some("1"), "1", "message", "a"),
                ev(None, "1", "message", "b")
            ]
        );
        assert_eq!(d.last_event_id(), "7");
    }

    #[test]
    fn id_is_committed_only_at_the_blank_line() {
        let (events, d) = decode(b"id: 1\ndata: a\n\nid: 2\ndata: partial\n");
        assert_eq!(events.len(), 1);
        assert_eq!(d.last_event_id(), "1");
    }

    #[test]
    fn id_with_nul_is_ignored_and_empty_id_resets() {
        let (events, d) = decode(b"id: 5\ndata: a\n\nid: 6\0x\ndata: b\n\nid\ndata: c\n\n");
        assert_eq!(
            events,
            vec![
                ev(Some("5"), "5", "message", "a"),
                ev(None, "5", "message", "b"),
                ev(Some(""), "", "message", "c"),
            ]
        );
        assert_eq!(d.last_event_id(), "");
    }

    #[test]
    fn retry_takes_digits_only() {
        let (_, d) = decode(b"retry: 1500\n\n");
        assert_eq!(d.retry(), Some(Duration::from_millis(1500)));
        let (_, d) = decode(
            b"retry: 1500\nretry: 15x\nretry: -1\nretry:\nretry: 99999999999999999999999\n\n",
        );
        assert_eq!(d.retry(), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn comments_and_unknown_fields_are_ignored() {
        let (events, _) = decode(b": ping\n:\nfoo: bar\nEvent: X\ndata: z\n\n");
        assert_eq!(events, vec![ev(None, "", "message", "z")]);
    }

    #[test]
    fn field_without_colon_has_empty_value() {
        let (events, _) = decode(b"data\nevent\n\n");
        assert_eq!(events, vec![ev(None, "", "message", "")]);
    }

    #[test]
    fn only_one_leading_space_is_stripped() {
        let (events, _) = decode(b"event:  two\ndata:\tx\n\n");
        assert_eq!(events, vec![ev(None, "", " two", "\tx")]);
    }

    #[test]
    fn crlf_cr_and_lf_line_endings() {
        for input in [
            &b"id: 1\r\nevent: e\r\ndata: d\r\n\r\n"[..],
            b"id: 1\revent: e\rdata: d\r\r",
            b"id: 1\nevent: e\ndata: d\n\n",
            b"id: 1\r\nevent: e\rdata: d\n\r\n",
        ] {
            let (events, _) = decode(input);
            assert_eq!(events, vec![ev(Some("1"), "1", "e", "d")], "{input:?}");
        }
    }

    #[test]
    fn cr_then_lf_across_chunks_is_one_line_end() {
        let mut d = SseDecoder::new();
        let mut events = d.feed(b"data: a\r");
        events.extend(d.feed(b"\ndata: b\r"));
        events.extend(d.feed(b"\n\r"));
        events.extend(d.feed(b"\n"));
        assert_eq!(events, vec![ev(None, "", "message", "a\nb")]);
    }

    #[test]
    fn leading_bom_is_skipped_once_even_when_split() {
        let (events, _) = decode(b"\xEF\xBB\xBFdata: a\n\n");
        assert_eq!(events, vec![ev(None, "", "message", "a")]);

        let mut d = SseDecoder::new();
        assert!(d.feed(b"\xEF").is_empty());
        assert!(d.feed(b"\xBB").is_empty());
        let events = d.feed(b"\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n");
        // A second BOM is content: it makes an unknown field name.
        assert_eq!(events, vec![ev(None, "", "message", "a")]);
    }

    #[test]
    fn bom_prefix_that_is_not_a_bom_is_kept() {
        let mut d = SseDecoder::new();
        assert!(d.feed(b"\xEF\xBB").is_empty());
        let events = d.feed(b"x\n\ndata: \xEF\xBB\n\n");
        assert_eq!(events, vec![ev(None, "", "message", "\u{FFFD}")]);
    }

    #[test]
    fn utf8_split_inside_a_character() {
        let text = "data: héllo 🦀\n\n".as_bytes();
        let mut d = SseDecoder::new();
        let mut events = Vec::new();
        for b in text {
            events.extend(d.feed(std::slice::from_ref(b)));
        }
        assert_eq!(events, vec![ev(None, "", "message", "héllo 🦀")]);
    }

    #[test]
    fn incomplete_block_at_end_is_not_dispatched() {
        let (events, d) = decode(b"data: a\n\ndata: b\n");
        assert_eq!(events.len(), 1);
        assert!(d.buffered_len() > 0);
    }

    #[test]
    fn resumed_decoder_keeps_id_and_retry() {
        let mut d = SseDecoder::resumed("4", Some(Duration::from_secs(2)));
        let events = d.feed(b"data: x\n\n");
        assert_eq!(events, vec![ev(None, "4", "message", "x")]);
        assert_eq!(d.retry(), Some(Duration::from_secs(2)));
    }

    /// One generated event: (id, event name, data lines, comment before it).
    type GenEvent = (Option<String>, Option<String>, Vec<String>, bool);

    fn text() -> impl Strategy<Value = String> {
        // Printable text including multi-byte characters, without CR/LF.
        proptest::collection::vec(
            prop_oneof![
                proptest::char::range('a', 'z'),
                Just(' '),
                Just(':'),
                Just('é'),
                Just('€'),
                Just('🦀'),
                Just('{'),
                Just('"'),
            ],
            0..12,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    fn gen_event() -> impl Strategy<Value = GenEvent> {
        (
            proptest::option::of("[0-9]{1,4}"),
            proptest::option::of("[a-z]{1,6}(\\.[a-z]{1,6})?"),
            proptest::collection::vec(text(), 1..4),
            any::<bool>(),
        )
    }

    fn render(events: &[GenEvent], eol: &str, bom: bool) -> (Vec<u8>, Vec<SseEvent>, String) {
        let mut out = String::new();
        if bom {
            out.push('\u{FEFF}');
        }
        let mut expected = Vec::new();
        let mut last = String::new();
        for (id, name, data, comment) in events {
            if *comment {
                out.push_str(": keep-alive");
                out.push_str(eol);
            }
            if let Some(id) = id {
                out.push_str(&format!("id: {id}{eol}"));
                last.clone_from(id);
            }
            if let Some(name) = name {
                out.push_str(&format!("event: {name}{eol}"));
            }
            for line in data {
                out.push_str(&format!("data: {line}{eol}"));
            }
            out.push_str(eol);
            expected.push(SseEvent {
                id: id.clone(),
                last_event_id: last.clone(),
                event: name.clone().unwrap_or_else(|| "message".into()),
                data: data.join("\n"),
            });
        }
        (out.into_bytes(), expected, last)
    }

    proptest! {
        #[test]
        fn rechunking_never_changes_the_result(
            events in proptest::collection::vec(gen_event(), 0..8),
            eol in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
            bom in any::<bool>(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..20),
            one_byte in any::<bool>(),
        ) {
            let (bytes, expected, last) = render(&events, eol, bom);
            let mut points: Vec<usize> = if one_byte {
                (0..=bytes.len()).collect()
            } else {
                cuts.iter().map(|i| i.index(bytes.len() + 1)).collect()
            };
            points.push(0);
            points.push(bytes.len());
            points.sort_unstable();
            points.dedup();
            let mut d = SseDecoder::new();
            let mut got = Vec::new();
            for w in points.windows(2) {
                got.extend(d.feed(&bytes[w[0]..w[1]]));
            }
            prop_assert_eq!(got, expected);
            prop_assert_eq!(d.last_event_id(), last.as_str());
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16),
        ) {
            let mut d = SseDecoder::new();
            for c in &chunks {
                for e in d.feed(c) {
                    prop_assert!(!e.event.is_empty());
                }
            }
        }

        #[test]
        fn sse_alphabet_soup_never_panics_and_is_chunking_invariant(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(&b"\r"[..]), Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b":"[..]),
                    Just(&b"data"[..]), Just(&b"id"[..]), Just(&b"event"[..]), Just(&b"retry"[..]),
                    Just(&b" "[..]), Just(&b"\0"[..]), Just(&b"\xEF\xBB\xBF"[..]), Just(&b"7"[..]),
                    Just(&b"\xC3"[..]), Just(&b"\xA9"[..]),
                ],
                0..60,
            ),
            cut in any::<prop::sample::Index>(),
        ) {
            let bytes: Vec<u8> = parts.concat();
            let mut whole = SseDecoder::new();
            let expected = whole.feed(&bytes);
            let at = cut.index(bytes.len() + 1);
            let mut split = SseDecoder::new();
            let mut got = split.feed(&bytes[..at]);
            got.extend(split.feed(&bytes[at..]));
            prop_assert_eq!(got, expected);
            prop_assert_eq!(split.last_event_id(), whole.last_event_id());
            prop_assert_eq!(split.retry(), whole.retry());
        }
    }
}
