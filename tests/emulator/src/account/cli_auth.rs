//! Device-code login: `POST /cli-auth/code` hands out a code pair, `GET /cli-auth/poll/{code}`
//! answers `pending` until the code is approved (after a number of polls, or by a control
//! route), expires, or is declared invalid.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::settings::LoginOutcome;
use crate::response::json;
use crate::state::{AppState, lock, random_hex};

pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/cli-auth/code", post(create_code))
        .route("/api/v1/cli-auth/poll/{device_code}", get(poll))
}

/// One login code and where it stands.
pub(super) struct LoginCode {
    device_code: String,
    pub(super) user_code: String,
    created: Instant,
    expires_in: Option<Duration>,
    polls: u32,
    /// Set by a control route, or once the outcome was handed out.
    pub(super) decided: Option<Decision>,
}

/// A code's final state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decision {
    Authenticated,
    Expired,
    Invalid,
    /// Authenticated and its token handed out: the code is used up.
    Consumed,
}

impl Decision {
    pub(super) fn parse(name: &str) -> Option<Self> {
        match name {
            "authenticated" => Some(Self::Authenticated),
            "expired" => Some(Self::Expired),
            "invalid" => Some(Self::Invalid),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Authenticated => "authenticated",
            Self::Expired => "expired",
            Self::Invalid => "invalid",
            Self::Consumed => "consumed",
        }
    }
}

impl LoginCode {
    pub(super) fn to_json(&self) -> Value {
        json!({
            "user_code": self.user_code,
            "polls": self.polls,
            "status": self.decided.map_or("pending", Decision::name),
        })
    }
}

async fn create_code(State(state): State<Arc<AppState>>) -> Response {
    let mut inner = lock(&state.account.inner);
    let hex = random_hex();
    let device_code = format!("dev_{hex}");
    let user_code = format!("{}-{}", &hex[..4], &hex[4..8]).to_uppercase();
    state.secrets.learn(&device_code);
    let settings = &inner.settings;
    let expires_in = settings
        .login_expires_in
        .filter(|_| settings.login_enforce_expiry)
        .and_then(|s| Duration::try_from_secs_f64(s).ok());
    let mut reply = Map::new();
    reply.insert("deviceCode".into(), json!(device_code));
    reply.insert("userCode".into(), json!(user_code));
    if let Some(interval) = settings.login_interval {
        reply.insert("interval".into(), json!(interval));
    }
    if let Some(expires) = settings.login_expires_in {
        reply.insert("expires_in".into(), json!(expires));
    }
    inner.codes.push(LoginCode {
        device_code,
        user_code,
        created: Instant::now(),
        expires_in,
        polls: 0,
        decided: None,
    });
    json(StatusCode::OK, &Value::Object(reply))
}

async fn poll(State(state): State<Arc<AppState>>, Path(device_code): Path<String>) -> Response {
    let mut guard = lock(&state.account.inner);
    let inner = &mut *guard;
    let settings = inner.settings.clone();
    let Some(code) = inner
        .codes
        .iter_mut()
        .find(|c| c.device_code == device_code)
    else {
        return status("invalid");
    };
    code.polls += 1;
    if code.decided.is_none() && code.expires_in.is_some_and(|e| code.created.elapsed() >= e) {
        code.decided = Some(Decision::Expired);
    }
    if code.decided.is_none() && settings.login_outcome != LoginOutcome::Manual {
        if code.polls <= settings.login_after_polls {
            return status("pending");
        }
        code.decided = Some(match settings.login_outcome {
            LoginOutcome::Expired => Decision::Expired,
            LoginOutcome::Invalid => Decision::Invalid,
            _ => Decision::Authenticated,
        });
    }
    match code.decided {
        None => status("pending"),
        Some(Decision::Authenticated) => {
            code.decided = Some(Decision::Consumed);
            let token = format!("poke_tok_{}", random_hex());
            state.secrets.learn(&token);
            inner.issued.insert(token.clone());
            if settings.login_reply_token {
                json(
                    StatusCode::OK,
                    &json!({"status": "authenticated", "token": token}),
                )
            } else {
                status("authenticated")
            }
        }
        Some(Decision::Consumed | Decision::Invalid) => status("invalid"),
        Some(Decision::Expired) => status("expired"),
    }
}

fn status(name: &str) -> Response {
    json(StatusCode::OK, &json!({"status": name}))
}
