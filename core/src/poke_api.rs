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

/// Reply of a fired webhook.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct WebhookResponse {
    /// True when Poke accepted the event.
    pub success: bool,
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
    fn post_json(url: String, auth: &Secret, body: bytes::Bytes) -> Request<'_> {
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

    /// Sends a message to Poke (`POST /inbound/api-message`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) when Poke refuses it (401 bad key, 429 rate limited,
    /// ...), [`Error::Connection`](crate::Error::Connection) or
    /// [`Error::Timeout`](crate::Error::Timeout) when it could not be delivered,
    /// [`Error::Decode`](crate::Error::Decode) when the reply is not the documented shape.
    pub async fn send_message(&self, message: &str) -> Result<SendMessageResponse> {
        self.send_message_with(message, &self.opts).await?.json()
    }

    /// Creates a webhook trigger (`POST /api-keys/webhook`): when `condition` happens, Poke
    /// does `action`. Fire it with [`Client::send_webhook`].
    ///
    /// # Errors
    ///
    /// As [`Client::send_message`].
    pub async fn create_webhook(&self, condition: &str, action: &str) -> Result<Webhook> {
        self.create_webhook_with(condition, action, &self.opts)
            .await?
            .json()
    }

    /// Fires a webhook made by [`Client::create_webhook`]: POSTs `data` to its URL with its
    /// token.
    ///
    /// # Errors
    ///
    /// As [`Client::send_message`]; [`Error::InvalidInput`](crate::Error::InvalidInput) when
    /// `data` cannot be encoded as JSON.
    pub async fn send_webhook<T: Serialize + ?Sized>(
        &self,
        webhook: &Webhook,
        data: &T,
    ) -> Result<WebhookResponse> {
        self.send_webhook_to(&webhook.webhook_url, &webhook.webhook_token, data)
            .await
    }

    /// Fires a webhook from its stored URL and token.
    ///
    /// # Errors
    ///
    /// As [`Client::send_webhook`]; [`Error::InvalidInput`](crate::Error::InvalidInput) for an
    /// empty token (the API key is never sent to a webhook URL).
    pub async fn send_webhook_to<T: Serialize + ?Sized>(
        &self,
        webhook_url: &str,
        webhook_token: &Secret,
        data: &T,
    ) -> Result<WebhookResponse> {
        if webhook_token.is_empty() {
            return Err(crate::Error::InvalidInput {
                field: "webhook_token",
                reason: "must not be empty".into(),
            });
        }
        self.send_webhook_with(webhook_url, Some(webhook_token), data, &self.opts)
            .await?
            .json()
    }

    /// Sends `{"message": message}` and returns the reply as received (the bindings).
    #[doc(hidden)]
    pub async fn send_message_with<T: Serialize + ?Sized>(
        &self,
        message: &T,
        opts: &CallOptions,
    ) -> Result<JsonResponse> {
        let body = self.encode(&MessageBody { message })?;
        let url = format!("{}/inbound/api-message", self.base_url());
        self.http
            .json(&Self::post_json(url, &self.api_key, body), opts)
            .await
    }

    /// Creates a webhook trigger and returns the reply as received (the bindings).
    #[doc(hidden)]
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
            .json(&Self::post_json(url, &self.api_key, body), opts)
            .await
    }

    /// Fires a webhook and returns the reply as received (the bindings). An empty token falls
    /// back to the API key, as the official Python SDK does.
    #[doc(hidden)]
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
            .json(&Self::post_json(webhook_url.to_owned(), token, body), opts)
            .await
    }
}
