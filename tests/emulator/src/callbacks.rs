//! MCP callback chains: per-chain token rotation and the posts each chain received.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::state::{lock, random_hex};

/// Where and with which first token a client posts callbacks for one tool call.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CallbackChain {
    /// Bearer token for the first callback.
    pub token: String,
    /// Absolute callback URL (`.../api/v1/mcp/callback` on this emulator).
    pub url: String,
}

/// One chain and every callback it accepted, in order.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CallbackChainRecord {
    /// The token the chain was created with.
    pub first_token: String,
    /// Accepted callbacks (faulted, rejected and replayed posts are not included).
    pub posts: Vec<CallbackPost>,
}

/// One accepted callback.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CallbackPost {
    /// Bearer token the callback carried.
    pub token: String,
    /// The `content` field as sent (`null` when absent).
    pub content: Value,
    /// The `hasMore` field as sent.
    pub has_more: Value,
    /// The request body as lossy UTF-8.
    pub raw_body: String,
}

/// What the callback route should answer after a post was accepted.
pub(crate) enum Accepted {
    /// The chain goes on; the next callback must carry this token.
    Continue(String),
    /// The chain ended (last message or `max_callbacks` reached).
    Stop,
}

struct ChainState {
    first_token: String,
    /// `None` once the chain has ended: no token is accepted any more.
    current_token: Option<String>,
    max_callbacks: Option<u32>,
    posts: Vec<CallbackPost>,
}

/// Every chain created on this emulator.
#[derive(Default)]
pub(crate) struct CallbackChains {
    chains: Mutex<Vec<ChainState>>,
}

impl CallbackChains {
    /// Starts a chain that stops after `max_callbacks` accepted posts (`None`: never, `0`
    /// behaves like `1`); `url` is the callback endpoint to hand out.
    pub(crate) fn create(&self, max_callbacks: Option<u32>, url: String) -> CallbackChain {
        let token = new_token();
        lock(&self.chains).push(ChainState {
            first_token: token.clone(),
            current_token: Some(token.clone()),
            max_callbacks,
            posts: Vec::new(),
        });
        CallbackChain { token, url }
    }

    pub(crate) fn records(&self) -> Vec<CallbackChainRecord> {
        lock(&self.chains)
            .iter()
            .map(|c| CallbackChainRecord {
                first_token: c.first_token.clone(),
                posts: c.posts.clone(),
            })
            .collect()
    }

    pub(crate) fn clear(&self) {
        lock(&self.chains).clear();
    }

    /// Whether `token` is the current token of some chain.
    pub(crate) fn is_current(&self, token: &str) -> bool {
        lock(&self.chains)
            .iter()
            .any(|c| c.current_token.as_deref() == Some(token))
    }

    /// Records `post` on the chain whose current token it carries and rotates the token;
    /// `None` when no chain currently accepts that token.
    pub(crate) fn accept(&self, post: CallbackPost, has_more: bool) -> Option<Accepted> {
        let mut chains = lock(&self.chains);
        let chain = chains
            .iter_mut()
            .find(|c| c.current_token.as_deref() == Some(post.token.as_str()))?;
        chain.posts.push(post);
        let limit_reached = chain
            .max_callbacks
            .is_some_and(|max| chain.posts.len() >= max.max(1) as usize);
        if !has_more || limit_reached {
            chain.current_token = None;
            return Some(Accepted::Stop);
        }
        let next = new_token();
        chain.current_token = Some(next.clone());
        Some(Accepted::Continue(next))
    }
}

fn new_token() -> String {
    format!("cbt_{}", random_hex())
}
