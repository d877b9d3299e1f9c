use super::*;
use crate::http::ByteStream;
use std::sync::atomic::AtomicUsize;

fn download(body: ByteStream, content_length: Option<u64>) -> Download {
    Download {
        inner: body,
        content_length,
        content_type: None,
    }
}

fn reader_of(body: ByteStream, content_length: Option<u64>) -> ByteReader {
    let open = async move { Ok(download(body, content_length)) };
    ByteReader::new(Box::pin(open), tokio::runtime::Handle::current())
}

/// `total` bytes (a repeating pattern) in chunks of `chunk` bytes.
fn pattern(total: usize, chunk: usize) -> (Vec<u8>, ByteStream) {
    let data: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
    let chunks: Vec<Result<Bytes>> = data
        .chunks(chunk.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    (data, futures_util::stream::iter(chunks).boxed())
}

async fn read_all(reader: &ByteReader) -> Result<(Vec<u8>, Vec<usize>)> {
    let mut out = Vec::new();
    let mut sizes = Vec::new();
    while let Some(block) = reader.next().await? {
        sizes.push(block.len());
        let mut copy = vec![0; block.len()];
        block.copy_to(&mut copy);
        assert_eq!(copy, block.into_bytes());
        out.extend_from_slice(&copy);
    }
    Ok((out, sizes))
}

/// Lets the read-ahead task run until it stops making progress (it waits on a full queue).
async fn settle(progress: impl Fn() -> usize) {
    let mut last = usize::MAX;
    while progress() != last {
        last = progress();
        for _ in 0..64 {
            tokio::task::yield_now().await;
        }
    }
}

#[tokio::test]
async fn the_blocks_are_the_file_in_bounded_blocks() {
    for (total, chunk) in [
        (0, 1),
        (1, 1),
        (5000, 7),
        (3 << 20, 16 * 1024),
        (1 << 20, 1 << 20),
    ] {
        let (data, body) = pattern(total, chunk);
        let reader = reader_of(body, Some(total as u64));
        let (got, sizes) = read_all(&reader).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(got == data, "{total} bytes in chunks of {chunk}");
        assert_eq!(reader.delivered(), total as u64);
        assert_eq!(reader.content_length(), Some(total as u64));
        // A block holds at most BLOCK_BYTES, unless a single chunk is bigger.
        assert!(
            sizes.iter().all(|&n| n > 0 && n <= BLOCK_BYTES.max(chunk)),
            "{sizes:?}"
        );
        // After the end, reads keep seeing the end.
        assert!(matches!(reader.try_next(), NextBlock::End));
    }
}

#[tokio::test]
async fn the_read_ahead_is_bounded_when_the_reader_is_slow() {
    // An endless body that counts what was pulled from it.
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let body = futures_util::stream::repeat_with(move || {
        counter.fetch_add(16 * 1024, Ordering::SeqCst);
        Ok(Bytes::from(vec![7u8; 16 * 1024]))
    })
    // Yield between chunks, as a socket does, so blocks are cut by size and by readiness.
    .then(|c| async move {
        tokio::task::yield_now().await;
        c
    });
    let reader = reader_of(body.boxed(), None);
    let first = reader.next().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(first.is_some_and(|b| b.len() <= BLOCK_BYTES));
    settle(|| pulled.load(Ordering::SeqCst)).await;
    let bound = (FEED_DEPTH + 3) * BLOCK_BYTES;
    let read_ahead = pulled.load(Ordering::SeqCst);
    assert!(read_ahead <= bound, "{read_ahead} bytes read ahead");
    // Reading on pulls more.
    for _ in 0..20 {
        assert!(reader.next().await.is_ok_and(|b| b.is_some()));
    }
    assert!(pulled.load(Ordering::SeqCst) > read_ahead);
}

#[tokio::test]
async fn a_dropped_wait_loses_no_byte() {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<Bytes>>();
    let body = tokio_stream_of(rx);
    let reader = reader_of(body, None);
    let mut expected = Vec::new();
    for i in 0..50u8 {
        // A wait that is dropped while pending (as Ctrl-C or a cancelled task drops it)...
        {
            let wait = reader.wait();
            tokio::pin!(wait);
            let done = wait.as_mut().now_or_never().is_some();
            assert!(
                i > 0 || !done,
                "the first wait finished before any byte was sent"
            );
            let _ = tx.send(Ok(Bytes::from(vec![i; 100 + usize::from(i)])));
            // ...sometimes after the task sent the block, sometimes before.
            if i % 2 == 0 && !done {
                settle(|| 0).await;
                let _ = wait.as_mut().now_or_never();
            }
        }
        expected.extend(std::iter::repeat_n(i, 100 + usize::from(i)));
    }
    drop(tx);
    let (got, _) = read_all(&reader).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(got == expected, "{} bytes of {}", got.len(), expected.len());
}

fn tokio_stream_of(mut rx: tokio::sync::mpsc::UnboundedReceiver<Result<Bytes>>) -> ByteStream {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

#[tokio::test]
async fn a_failure_comes_after_the_bytes_before_it_once() {
    let parts: Vec<Result<Bytes>> = vec![
        Ok(Bytes::from_static(b"abc")),
        Ok(Bytes::from_static(b"def")),
        Err(Error::Connection {
            reason: "reset".into(),
            maybe_sent: true,
            source: None,
        }),
    ];
    let reader = reader_of(futures_util::stream::iter(parts).boxed(), Some(10));
    let block = reader.next().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        block.map(Block::into_bytes).as_deref(),
        Some(&b"abcdef"[..])
    );
    assert!(matches!(reader.next().await, Err(Error::Connection { .. })));
    assert!(matches!(reader.next().await, Ok(None)));
}

#[tokio::test]
async fn a_failed_request_is_the_first_read() {
    let open = async {
        Err(Error::InvalidInput {
            field: "path",
            reason: "bad".into(),
        })
    };
    let reader = ByteReader::new(Box::pin(open), tokio::runtime::Handle::current());
    assert!(matches!(
        reader.next().await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(reader.next().await, Ok(None)));
    assert_eq!(reader.content_length(), None);
}

#[tokio::test]
async fn nothing_is_sent_before_the_first_read_and_close_stops_the_download() {
    struct Dropped(Arc<AtomicBool>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let opened = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicBool::new(false));
    let (flag, guard) = (opened.clone(), Dropped(dropped.clone()));
    let open = async move {
        flag.store(true, Ordering::SeqCst);
        let endless = futures_util::stream::repeat_with(move || {
            let _ = &guard;
            Ok(Bytes::from_static(&[1; 1024]))
        });
        Ok(download(endless.boxed(), None))
    };
    let reader = ByteReader::new(Box::pin(open), tokio::runtime::Handle::current());
    settle(|| 0).await;
    assert!(!opened.load(Ordering::SeqCst));
    assert!(reader.next().await.is_ok_and(|b| b.is_some()));
    assert!(opened.load(Ordering::SeqCst));
    reader.close();
    // The task is aborted, which drops the body (its connection).
    let mut turns = 0;
    while !dropped.load(Ordering::SeqCst) {
        tokio::task::yield_now().await;
        turns += 1;
        assert!(turns < 10_000, "the body was not dropped");
    }
    assert!(matches!(reader.try_next(), NextBlock::End));
    assert!(matches!(reader.next().await, Ok(None)));
}

#[tokio::test]
async fn a_read_ahead_that_dies_is_a_failure_not_the_end() {
    let body = futures_util::stream::iter([Ok(Bytes::from_static(b"x"))]).chain(
        futures_util::stream::poll_fn(|_| -> std::task::Poll<Option<Result<Bytes>>> {
            panic!("the body panicked")
        }),
    );
    let reader = reader_of(body.boxed(), None);
    let mut got = Vec::new();
    let failure = loop {
        match reader.next().await {
            Ok(Some(block)) => got.extend_from_slice(&block.into_bytes()),
            Ok(None) => panic!("a dead read-ahead ended like a complete file"),
            Err(e) => break e,
        }
    };
    // The block being gathered when the task died goes with it; what was handed out is a
    // prefix of the body.
    assert!(b"x".starts_with(&got), "{got:?}");
    assert!(matches!(failure, Error::Connection { .. }), "{failure}");
}
