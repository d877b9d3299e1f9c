#![allow(clippy::unwrap_used)]

use super::*;
use std::sync::{Arc, Mutex};

fn boom() -> PokeError {
    PokeError::Internal { msg: "boom".into() }
}

#[tokio::test]
async fn the_first_failure_ends_the_call_and_later_reports_are_skipped() {
    let calls = Arc::new(Mutex::new(0));
    let c = calls.clone();
    let result: Result<(), PokeError> = run(
        Some(()),
        |reports: Reporter<u32>| async move {
            for i in 0..3 {
                reports.send(i);
                tokio::task::yield_now().await;
            }
            std::future::pending::<()>().await;
            Ok(())
        },
        move |_: &(), _| {
            *c.lock().unwrap() += 1;
            Err(boom())
        },
    )
    .await;
    assert_eq!(result.unwrap_err().to_string(), "boom");
    assert_eq!(*calls.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_failure_in_the_last_report_still_wins_and_success_passes_through() {
    let r = run(
        Some(()),
        |reports: Reporter<u32>| async move {
            reports.send(1);
            Ok(7)
        },
        |_: &(), _| Err(boom()),
    )
    .await;
    assert!(r.is_err());
    let r = run(
        Some(()),
        |reports: Reporter<u32>| async move {
            reports.send(1);
            Ok(7)
        },
        |_: &(), _| Ok(()),
    )
    .await;
    assert_eq!(r.unwrap(), 7);
}
