//! The stateless endpoints on [`PokeeClient`]: E19 create (whole or streamed), E20 resume,
//! E21 cancel.

use super::request::CreateResponse;
use super::response::Response;
use super::stream::{ResponseReconnect, ResponseStream};
use super::tools::check_tools;
use crate::error::{Error, Result};
use crate::http::{Body, Idempotency};
use crate::sessions::{CancelResult, PokeeClient, id_segment};
use crate::turn::{Opened, Opening, Start, TurnControl, TurnSetup, TurnStream};
use bytes::Bytes;
use reqwest::Method;
use std::sync::Arc;

impl PokeeClient {
    pub(crate) fn response_events_url(&self, response_id: &str) -> Result<String> {
        let rid = id_segment("response_id", response_id)?;
        Ok(self.url(&format!("/v1/responses/{rid}/events")))
    }

    /// The body of E19: the request with `stream` set, after the tool limits are checked.
    fn response_body(request: &CreateResponse, stream: bool) -> Result<Bytes> {
        check_tools(&request.tools)?;
        let mut value = serde_json::to_value(request).map_err(|e| Error::InvalidInput {
            field: "request",
            reason: e.to_string(),
        })?;
        if let serde_json::Value::Object(fields) = &mut value {
            fields.insert("stream".into(), serde_json::Value::Bool(stream));
        }
        serde_json::to_vec(&value)
            .map(Bytes::from)
            .map_err(|e| Error::InvalidInput {
                field: "request",
                reason: e.to_string(),
            })
    }

    /// One stateless inference call (`POST /v1/responses`), answered whole: the output items,
    /// `output_text()`, usage and id. A failed response comes back with status `failed` and
    /// its `error`, as `OpenAI`'s API does.
    pub async fn create_response(&self, request: &CreateResponse) -> Result<Response> {
        let body = Body::Json(Self::response_body(request, false)?);
        let url = self.url("/v1/responses");
        // A stateless call changes nothing on the server, so repeating it after an ambiguous
        // failure is harmless (the server ignores the key of a whole response).
        self.call_json(self.request(Method::POST, url, body, Idempotency::Keyed))
            .await
    }

    /// The same call streamed: typed events in `OpenAI`'s sequence, resumed after a drop (E20
    /// with `Last-Event-ID`; each event once, in order). The `Idempotency-Key` (the call
    /// options', else a fresh one) is sent, reused on every retry, and makes a re-send replay
    /// the response instead of starting another.
    pub async fn stream_response(&self, request: &CreateResponse) -> Result<ResponseStream> {
        let body = Self::response_body(request, true)?;
        let key = self
            .opts
            .idempotency_key
            .clone()
            .unwrap_or_else(|| crate::ids::uuid_v4().to_string());
        let opening = Opening::Send {
            url: self.url("/v1/responses"),
            body,
            key: key.clone(),
        };
        let opened = self.open_events(&opening, &self.opts).await?;
        self.response_stream(opened, opening, Some(key), None)
    }

    /// Reopens a streamed response's events after `last_event_id` (from the start when
    /// `None`); only its creator may (404 otherwise).
    pub async fn resume_response(
        &self,
        response_id: &str,
        last_event_id: Option<&str>,
    ) -> Result<ResponseStream> {
        let opening = Opening::Resume {
            url: self.response_events_url(response_id)?,
            last_event_id: last_event_id.map(str::to_owned),
        };
        let opened = self
            .open_events(&opening, &self.opts)
            .await?
            .or_response_id(response_id);
        self.response_stream(opened, opening, None, last_event_id)
    }

    /// Cancels a streamed response (E21): `cancelling` (the stream ends with
    /// `response.cancelled`, nothing billed) or `already_complete`.
    pub async fn cancel_response(&self, response_id: &str) -> Result<CancelResult> {
        let rid = id_segment("response_id", response_id)?;
        let url = self.url(&format!("/v1/responses/{rid}/cancel"));
        // A repeated cancel is harmless (202 again, or 200 already_complete).
        self.call_json(self.request(Method::POST, url, Body::Empty, Idempotency::Safe))
            .await
    }

    fn response_stream(
        &self,
        opened: Opened,
        send: Opening,
        idempotency_key: Option<String>,
        last_event_id: Option<&str>,
    ) -> Result<ResponseStream> {
        let Start {
            body,
            response_id,
            replayed,
        } = opened.into_start("response", last_event_id)?;
        let reconnect = Arc::new(ResponseReconnect {
            client: self.clone(),
            send,
        });
        Ok(ResponseStream::new(TurnStream::new(TurnSetup {
            body,
            response_id,
            last_event_id: last_event_id.map(str::to_owned),
            reconnect: Some(reconnect),
            policy: self.inner.resume,
            read_idle: Some(self.inner.stream_read_idle),
            control: Some(TurnControl {
                client: self.clone(),
                session_id: None,
            }),
            idempotency_key,
            replayed,
        })))
    }
}
