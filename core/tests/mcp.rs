//! The MCP callback chain against the emulator's callback endpoint.

use poke::{CallbackChain, CallbackPolicy, CallbackSender, ChainStep, Secret};
use poke_emulator::{Emulator, EmulatorConfig, Fault};
use std::time::Duration;

const PATH: &str = "/api/v1/mcp/callback";

fn sender(policy: CallbackPolicy) -> CallbackSender {
    CallbackSender::new(policy).expect("sender")
}

fn fast() -> CallbackPolicy {
    CallbackPolicy::default()
        .with_default_backoff(Duration::from_millis(5))
        .with_post_timeout(Duration::from_secs(2))
}

#[tokio::test]
async fn chains_tokens_until_the_last_post() {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emu");
    let info = emu.new_callback_chain(None);
    let mut chain = CallbackChain::new(sender(fast()), &info.url, Secret::new(info.token.clone()));
    assert_eq!(chain.send("a", true).await.expect("a"), ChainStep::Continue);
    assert_eq!(chain.send("b", true).await.expect("b"), ChainStep::Continue);
    assert_eq!(
        chain.send("c", false).await.expect("c"),
        ChainStep::Stop { failure: None }
    );
    let posts = &emu.callback_chains()[0].posts;
    let contents: Vec<_> = posts.iter().map(|p| p.content.clone()).collect();
    assert_eq!(contents, ["a", "b", "c"]);
    assert_eq!(posts[0].token, info.token);
    assert_ne!(posts[1].token, posts[0].token);
    assert_eq!(posts[2].has_more, serde_json::json!(false));
    assert_eq!(posts[0].raw_body, r#"{"content":"a","hasMore":true}"#);
}

#[tokio::test]
async fn server_ending_the_chain_stops_it() {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emu");
    let info = emu.new_callback_chain(Some(1));
    let mut chain = CallbackChain::new(sender(fast()), &info.url, Secret::new(info.token));
    assert_eq!(
        chain.send("a", true).await.expect("a"),
        ChainStep::Stop { failure: None }
    );
    // A stopped chain posts nothing more.
    assert_eq!(
        chain.send("b", true).await.expect("b"),
        ChainStep::Stop { failure: None }
    );
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn rate_limit_retried_with_hint_then_bounded() {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emu");
    let info = emu.new_callback_chain(None);
    emu.add_fault(Fault {
        path: PATH.into(),
        status: Some(429),
        body: Some(r#"{"retryAfterMs": 5}"#.into()),
        times: 2,
        ..Fault::default()
    });
    let mut chain = CallbackChain::new(sender(fast()), &info.url, Secret::new(info.token.clone()));
    assert_eq!(chain.send("a", true).await.expect("a"), ChainStep::Continue);
    assert_eq!(emu.requests().len(), 3);

    emu.add_fault(Fault {
        path: PATH.into(),
        status: Some(429),
        times: 100,
        ..Fault::default()
    });
    let step = chain.send("b", true).await.expect("b");
    match step {
        ChainStep::Stop { failure: Some(why) } => {
            assert!(why.contains("rate limited 5 times"), "{why}");
            assert!(!why.contains(&info.token));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(emu.requests().len(), 3 + 5);
}

#[tokio::test]
async fn stall_and_errors_stop_with_a_reason() {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emu");
    let info = emu.new_callback_chain(None);
    emu.add_fault(Fault {
        path: PATH.into(),
        stall_ms: Some(5_000),
        ..Fault::default()
    });
    let policy = fast().with_post_timeout(Duration::from_millis(200));
    let mut chain = CallbackChain::new(sender(policy), &info.url, Secret::new(info.token.clone()));
    assert!(matches!(
        chain.send("a", true).await.expect("a"),
        ChainStep::Stop { failure: Some(w) } if w.contains("no reply")
    ));
    emu.add_fault(Fault {
        path: PATH.into(),
        status: Some(500),
        ..Fault::default()
    });
    let mut chain = CallbackChain::new(sender(fast()), &info.url, Secret::new(info.token));
    assert!(matches!(
        chain.send("a", true).await.expect("a"),
        ChainStep::Stop { failure: Some(w) } if w == "HTTP 500"
    ));
}

#[test]
fn extracts_context_from_headers() {
    let ctx = poke::extract_callback_context([
        ("X-Poke-Callback-Token", "t"),
        ("x-poke-callback-url", "u"),
    ])
    .expect("ctx");
    assert_eq!(ctx.callback_token.as_ref().map(Secret::expose), Some("t"));
    assert_eq!(ctx.callback_url.as_deref(), Some("u"));
    assert!(poke::extract_callback_context([("other", "x")]).is_none());
    assert!(!format!("{ctx:?}").contains("\"t\""));
}
