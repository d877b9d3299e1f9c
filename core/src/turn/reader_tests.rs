use super::*;
use crate::http::ByteStream;
use crate::turn::policy::ResumePolicy;
use crate::turn::stream::TurnSetup;
use bytes::Bytes;
use futures_util::StreamExt;
use std::time::Duration;

/// A turn of `n` events (created, deltas, completed), sent in one chunk per event, then
/// (with `stall`) silence instead of the terminal event.
fn body(n: u64, stall_before_last: bool) -> ByteStream {
    let events: Vec<Result<Bytes>> = (0..n)
        .filter(|i| !(stall_before_last && i + 1 == n))
        .map(|i| {
            let name = match i {
                0 => "message.created",
                i if i + 1 == n => "message.completed",
                _ => "text.delta",
            };
            Ok(Bytes::from(format!(
                "id: {i}\nevent: {name}\ndata: {{\"content\": \"{i}\"}}\n\n"
            )))
        })
        .collect();
    let s = futures_util::stream::iter(events);
    if stall_before_last {
        s.chain(futures_util::stream::pending()).boxed()
    } else {
        s.boxed()
    }
}

fn reader(body: ByteStream) -> TurnReader<TurnEvent> {
    let stream = TurnStream::new(TurnSetup {
        body: Some(body),
        response_id: Some("msg_1".into()),
        last_event_id: None,
        reconnect: None,
        policy: ResumePolicy::never(),
        read_idle: None,
        control: None,
        idempotency_key: None,
        replayed: None,
    });
    TurnReader::new(
        stream,
        tokio::runtime::Handle::current(),
        Box::new(|batch| batch),
    )
}

async fn ids(r: &TurnReader<TurnEvent>) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(e) = r.next().await.expect("no failure") {
        out.push(e.id.unwrap_or_default());
    }
    out
}

#[tokio::test]
async fn every_event_once_in_order_then_the_end() {
    let r = reader(body(600, false));
    let got = ids(&r).await;
    assert_eq!(got, (0..600).map(|i| i.to_string()).collect::<Vec<_>>());
    let p = r.position();
    assert_eq!(p.last_event_id.as_deref(), Some("599"));
    assert!(p.finished);
    assert_eq!(p.response_id.as_deref(), Some("msg_1"));
    assert!(matches!(r.try_next(), Next::End));
}

#[tokio::test]
async fn the_position_follows_the_events_handed_out_not_the_read_ahead() {
    let r = reader(body(10, false));
    let first = r.next().await.expect("ok").expect("event");
    assert_eq!(first.id.as_deref(), Some("0"));
    // The task has read further ahead by now; the position says where the reader is.
    tokio::task::yield_now().await;
    assert_eq!(r.position().last_event_id.as_deref(), Some("0"));
    assert!(!r.position().finished);
}

#[tokio::test]
async fn a_cancelled_wait_loses_nothing() {
    let r = reader(body(5, true));
    // Events 0..4 come, then silence: waits that time out must not swallow anything.
    let mut got = Vec::new();
    for _ in 0..20 {
        match tokio::time::timeout(Duration::from_millis(5), r.next()).await {
            Ok(Ok(Some(e))) => got.push(e.id.unwrap_or_default()),
            Ok(other) => panic!("{other:?}"),
            Err(_) => {}
        }
    }
    assert_eq!(got, ["0", "1", "2", "3"]);
}

#[tokio::test]
async fn an_unconfirmed_tracked_read_hands_its_event_to_the_next_read() {
    let r = reader(body(4, false));
    let lost = r.next_tracked(1).await.expect("ok").expect("event");
    assert_eq!(lost.id.as_deref(), Some("0"));
    // Its reader went away without confirming: the next read gets the same event.
    let again = r.next_tracked(2).await.expect("ok").expect("event");
    assert_eq!(again.id.as_deref(), Some("0"));
    assert!(!r.confirm(1), "read 1's event was taken over");
    assert!(r.confirm(2));
    assert!(!r.confirm(2), "confirmed once");
    let next = r.next().await.expect("ok").expect("event");
    assert_eq!(next.id.as_deref(), Some("1"));
}

#[tokio::test]
async fn a_failure_comes_once_after_the_events_then_the_end() {
    let r = reader(
        futures_util::stream::iter(vec![
            Ok(Bytes::from_static(
                b"id: 0\nevent: message.created\ndata: {}\n\n",
            )),
            Err(Error::Connection {
                reason: "reset".into(),
                maybe_sent: true,
                source: None,
            }),
        ])
        .boxed(),
    );
    assert!(matches!(r.next().await, Ok(Some(_))));
    assert!(matches!(r.next().await, Err(Error::Stream { .. })));
    assert!(matches!(r.next().await, Ok(None)));
    assert_eq!(r.position().last_event_id.as_deref(), Some("0"));
}

#[tokio::test]
async fn close_ends_a_waiting_read() {
    let r = reader(body(3, true));
    assert!(matches!(r.next().await, Ok(Some(_))));
    assert!(matches!(r.next().await, Ok(Some(_))));
    let waiting = r.clone();
    let read = tokio::spawn(async move { waiting.next().await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    r.close();
    let ended = read.await.expect("joined");
    assert!(matches!(ended, Ok(None)), "{ended:?}");
    assert!(matches!(r.try_next(), Next::End));
}

#[tokio::test]
async fn ticketed_reads_are_served_in_the_order_taken() {
    let r = reader(body(50, false));
    let tickets: Vec<_> = (0..5).map(|_| r.ticket()).collect();
    assert!(r.try_next_in_order().is_none(), "reads are waiting in line");
    // Started in reverse order, served in ticket order.
    let mut reads = Vec::new();
    for t in tickets.into_iter().rev() {
        let reader = r.clone();
        reads.push(tokio::spawn(async move {
            let e = reader.next_in_order(&t).await;
            assert!(reader.confirm(t.number()));
            (t.number(), e.ok().flatten().and_then(|e| e.id))
        }));
    }
    let mut got = Vec::new();
    for read in reads {
        got.push(read.await.expect("joined"));
    }
    got.sort();
    let ids: Vec<_> = got
        .into_iter()
        .map(|(_, id)| id.unwrap_or_default())
        .collect();
    assert_eq!(ids, ["0", "1", "2", "3", "4"]);
}

#[tokio::test]
async fn an_abandoned_ticket_lets_the_line_move_on() {
    let r = reader(body(10, false));
    let first = r.ticket();
    let second = r.ticket();
    drop(second);
    let e = r.next_in_order(&first).await.expect("ok").expect("event");
    assert!(r.confirm(first.number()));
    drop(first);
    assert_eq!(e.id.as_deref(), Some("0"));
    let third = r.ticket();
    let e = r.next_in_order(&third).await.expect("ok").expect("event");
    assert_eq!(e.id.as_deref(), Some("1"));
}
