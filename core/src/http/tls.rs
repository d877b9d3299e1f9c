//! The TLS settings of a client, made once and shared by the clients made from it.
//!
//! reqwest builds them again for every client, and on Linux that means reading and parsing
//! the system's root certificates (about 2 ms). Building them here keeps what reqwest would
//! build (its crypto provider, TLS 1.2 and 1.3, the platform verifier, ALPN for HTTP/2 and
//! HTTP/1.1), so a client made with its own pool (one per blocking lane) costs microseconds.

use crate::error::{Error, Result};
use rustls_platform_verifier::BuilderVerifierExt;
use std::sync::Arc;

/// The TLS settings every client of one configuration uses.
pub(crate) fn client_config() -> Result<rustls::ClientConfig> {
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| Error::Config(format!("could not set up TLS: {e}")))?
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tls)
}
