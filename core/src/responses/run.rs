//! The function-tool loop, shared by every language: send, run each `function_call` with a
//! local function, send the outputs with the whole history, stop at a reply with no call.

use super::request::{CreateResponse, InputItem, ResponseInput};
use super::response::{FunctionCall, Response};
use crate::error::{Error, Result};
use crate::sessions::PokeeClient;
use std::future::Future;

/// Rounds (requests) a tool loop makes at most unless told otherwise.
pub const DEFAULT_MAX_ROUNDS: u32 = 10;

/// What a finished tool loop produced.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ToolRun {
    /// The last response: the one with no function call.
    pub response: Response,
    /// The whole conversation: the input, every output item and every function output.
    pub history: Vec<InputItem>,
    /// Requests made.
    pub rounds: u32,
}

impl PokeeClient {
    /// Runs the function-tool loop: sends `request`, runs every `function_call` of the answer
    /// through `call` (in order), sends the outputs with the whole history, and repeats until
    /// a response asks for no call, making at most `max_rounds` requests
    /// ([`Error::ToolRounds`] beyond). A failing `call` stops the loop with
    /// [`Error::Tool`], which carries its error unchanged.
    pub async fn run_tools<F, Fut, E>(
        &self,
        request: &CreateResponse,
        max_rounds: u32,
        mut call: F,
    ) -> Result<ToolRun>
    where
        F: FnMut(FunctionCall) -> Fut,
        Fut: Future<Output = std::result::Result<String, E>>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let mut request = request.clone();
        let mut history = std::mem::take(&mut request.input).into_items();
        for round in 1..=max_rounds.max(1) {
            request.input = ResponseInput::Items(history.clone());
            let response = self.create_response(&request).await?;
            let calls: Vec<FunctionCall> = response.function_calls().into_iter().cloned().collect();
            history.extend(response.output.iter().cloned().map(InputItem::from));
            if calls.is_empty() {
                return Ok(ToolRun {
                    response,
                    history,
                    rounds: round,
                });
            }
            for function in calls {
                let (call_id, name) = (function.call_id.clone(), function.name.clone());
                let output = call(function).await.map_err(|e| Error::Tool {
                    name,
                    source: Box::new(e),
                })?;
                history.push(InputItem::function_call_output(call_id, output));
            }
        }
        Err(Error::ToolRounds {
            rounds: max_rounds.max(1),
        })
    }
}
