#![allow(clippy::unwrap_used)]

use super::*;

fn boom() -> PokeError {
    PokeError::Internal { msg: "boom".into() }
}

#[tokio::test]
async fn the_first_failure_ends_the_call_and_later_reports_are_skipped() {
    let failure = ListenerFailure::default();
    let calls = Arc::new(Mutex::new(0));
    let (f, c) = (failure.clone(), calls.clone());
    let result: Result<(), PokeError> = failure
        .run(async move {
            for _ in 0..3 {
                f.report(|| {
                    *c.lock().unwrap() += 1;
                    Err(boom())
                });
                tokio::task::yield_now().await;
            }
            std::future::pending::<()>().await;
            Ok(())
        })
        .await;
    assert_eq!(result.unwrap_err().to_string(), "boom");
    assert_eq!(*calls.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_failure_in_the_last_report_still_wins_and_success_passes_through() {
    let failure = ListenerFailure::default();
    let f = failure.clone();
    let r = failure
        .run(async move {
            f.report(|| Err(boom()));
            Ok(7)
        })
        .await;
    assert!(r.is_err());
    let ok = ListenerFailure::default();
    let f = ok.clone();
    let r = ok
        .run(async move {
            f.report(|| Ok(()));
            Ok(7)
        })
        .await;
    assert_eq!(r.unwrap(), 7);
}
