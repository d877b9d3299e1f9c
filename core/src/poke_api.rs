//! The three calls of the Poke developer API: send a message, create and fire a webhook.

use crate::Result;
use crate::client::Client;
use crate::http::{Body, CallOptions, Flavor, Idempotency, JsonResponse, Request};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// Reply of `send_message` as documented.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct SendMessageResponse {
    /// True when Poke accepted the message for processing.
    pub success: bool,
    /// Human-readable status.
    #[serde(default)]
    pub message: Option<String>,
}

/// A webhook trigger created by `create_webhook`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Webhook {
    /// Trigger id.
    #[serde(rename = "triggerId")]
    pub trigger_id: String,
    /// Absolute URL to POST to.
    #[serde(rename = "webhookUrl")]
    pub webhook_url: String,
    /// Bearer token for the webhook URL.
    #[serde(rename = "webhookToken")]
    pub webhook_token: Secret,
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

#[derive(Serialize)]
struct MessageBody<'a, T: ?Sized> {
    message: &'a T,
}

#[derive(Serialize)]
struct WebhookBody<'a, C: ?Sized, A: ?Sized> {
    condition: &'a C,
    action: &'a A,
}

impl Client {
    fn post_json<'a>(&'a self, url: String, auth: &'a Secret, body: bytes::Bytes) -> Request<'a> {
        Request {
            method: reqwest::Method::POST,
            url,
            auth: Some(auth),
            body: Body::Json(body),
            // poke.com documents no Idempotency-Key support, so a maybe-processed POST is not
            // repeated: a duplicate message would reach the user twice.
            idempotency: Idempotency::Unsafe,
            flavor: Flavor::Poke,
            headers: Vec::new(),
        }
    }

    /// Sends `{"message": message}` to `POST /inbound/api-message`.
    pub async fn send_message<T: Serialize + ?Sized>(&self, message: &T) -> Result<JsonResponse> {
        self.send_message_with(message, &CallOptions::default())
            .await
    }

    /// [`Client::send_message`] with per-call options.
    pub async fn send_message_with<T: Serialize + ?Sized>(
        &self,
        message: &T,
        opts: &CallOptions,
    ) -> Result<JsonResponse> {
        let body = self.encode(&MessageBody { message })?;
        let url = format!("{}/inbound/api-message", self.base_url());
        self.http
            .json(&self.post_json(url, &self.api_key, body), opts)
            .await
    }

    /// Creates a webhook trigger with `POST /api-keys/webhook`.
    pub async fn create_webhook<C, A>(&self, condition: &C, action: &A) -> Result<JsonResponse>
    where
        C: Serialize + ?Sized,
        A: Serialize + ?Sized,
    {
        self.create_webhook_with(condition, action, &CallOptions::default())
            .await
    }

    /// [`Client::create_webhook`] with per-call options.
    pub async fn create_webhook_with<C, A>(
        &self,
        condition: &C,
        action: &A,
        opts: &CallOptions,
    ) -> Result<JsonResponse>
    where
        C: Serialize + ?Sized,
        A: Serialize + ?Sized,
    {
        let body = self.encode(&WebhookBody { condition, action })?;
        let url = format!("{}/api-keys/webhook", self.base_url());
        self.http
            .json(&self.post_json(url, &self.api_key, body), opts)
            .await
    }

    /// Fires a webhook: POSTs `data` to `webhook_url` with the webhook token.
    ///
    /// An empty token falls back to the API key, as the official SDK does.
    pub async fn send_webhook<T: Serialize + ?Sized>(
        &self,
        webhook_url: &str,
        webhook_token: Option<&Secret>,
        data: &T,
    ) -> Result<JsonResponse> {
        self.send_webhook_with(webhook_url, webhook_token, data, &CallOptions::default())
            .await
    }

    /// [`Client::send_webhook`] with per-call options.
    pub async fn send_webhook_with<T: Serialize + ?Sized>(
        &self,
        webhook_url: &str,
        webhook_token: Option<&Secret>,
        data: &T,
        opts: &CallOptions,
    ) -> Result<JsonResponse> {
        let token = webhook_token
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.api_key);
        let body = self.encode(data)?;
        self.http
            .json(&self.post_json(webhook_url.to_owned(), token, body), opts)
            .await
    }
}
