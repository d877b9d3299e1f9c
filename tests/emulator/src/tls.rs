//! `--tls`: a throwaway CA made at start and a loopback server certificate signed by it.
//!
//! Clients trust the CA the standard way (`SSL_CERT_FILE`), so HTTPS can be tested and
//! benchmarked offline exactly as against the real API.

use std::io;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA certificate (PEM) clients must trust, and the acceptor that serves with it.
pub(crate) struct TlsMaterial {
    pub(crate) ca_pem: String,
    pub(crate) acceptor: TlsAcceptor,
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("TLS setup failed: {e}"))
}

/// Makes a fresh CA and a certificate for `localhost`, `127.0.0.1`, `::1` and `host`.
pub(crate) fn generate(host: &str) -> io::Result<TlsMaterial> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(other)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "poke emulator throwaway CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(other)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(other)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if !names.iter().any(|n| n == host) {
        names.push(host.to_owned());
    }
    let mut leaf_params = CertificateParams::new(names).map_err(other)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "poke emulator");
    let leaf_key = KeyPair::generate().map_err(other)?;
    let leaf_cert = leaf_params.signed_by(&leaf_key, &issuer).map_err(other)?;

    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(other)?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .map_err(other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        ca_pem: ca_cert.pem(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}
