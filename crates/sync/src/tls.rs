//! Transport security on the device side: which addresses may be spoken to without TLS, how a
//! server certificate is pinned by its SHA-256 fingerprint, and how a pin failure is told apart
//! from being offline.
//!
//! A server either has a certificate a public CA signed (checked the usual way, against the
//! WebPKI roots bundled into the app, because a phone's own store cannot be relied on) or a
//! self-signed one whose fingerprint the coordinator hands out inside invite codes. With a pin
//! the fingerprint is the server's identity: the name in the certificate, its issuer and its
//! dates are not looked at, because a stolen or mis-issued CA certificate must not be able to
//! stand in for the pinned one. The handshake signature is still verified against the pinned
//! certificate's key, so only the holder of that key can complete the handshake.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use crate::Error;
pub use porchlight_protocol::pin::{
    Fingerprint, fingerprint, format_fingerprint, parse_fingerprint,
};
use reqwest::Url;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

/// Where a checked server address may be reached.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// The base URL, without a trailing slash.
    pub base: String,
    /// For `http://localhost`: the loopback addresses the name must resolve to, so that plain
    /// HTTP cannot be sent elsewhere by a resolver that says otherwise.
    pub pinned_resolve: Option<(String, Vec<SocketAddr>)>,
}

/// Checks a server address before anything is sent: `https://` anywhere, plain `http://` only to
/// this machine (127.0.0.0/8, `::1`, `localhost`), and `https://` when a certificate is pinned.
/// Plain HTTP beyond loopback would show every token, change and drop to the network.
pub(crate) fn check_transport(base: &str, pin: Option<&Fingerprint>) -> Result<Target, Error> {
    let base = porchlight_protocol::check_server_url(base)?;
    let url = Url::parse(&base).map_err(|e| Error::InvalidUrl {
        url: base.clone(),
        reason: e.to_string(),
    })?;
    if url.scheme() == "https" {
        return Ok(Target {
            base,
            pinned_resolve: None,
        });
    }
    if pin.is_some() {
        return Err(Error::InvalidUrl {
            url: base,
            reason: "a pinned certificate fingerprint needs an https:// address".into(),
        });
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let host = url.host_str().unwrap_or_default();
    // The URL parser has already normalised the host (`[::1]`, `127.1` → `127.0.0.1`).
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        return Ok(Target {
            base,
            pinned_resolve: None,
        });
    }
    if host.eq_ignore_ascii_case("localhost") {
        let addrs = vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ];
        return Ok(Target {
            base,
            pinned_resolve: Some((host.to_ascii_lowercase(), addrs)),
        });
    }
    Err(Error::PlainHttpRefused { url: base })
}

/// Applies the TLS side of `pin` (and the loopback resolution of `target`) to a client builder.
/// `resumption`: whether TLS sessions may be resumed; the anonymous client turns it off so no
/// session ticket ties one anonymous request to another.
pub(crate) fn configure(
    mut builder: reqwest::ClientBuilder,
    target: &Target,
    pin: Option<&Fingerprint>,
    resumption: bool,
) -> Result<reqwest::ClientBuilder, Error> {
    if let Some((name, addrs)) = &target.pinned_resolve {
        builder = builder.resolve_to_addrs(name, addrs);
    }
    if target.base.starts_with("http://") {
        // A proxy from the environment would carry loopback plain text off this machine.
        builder = builder.no_proxy();
    }
    match pin {
        Some(pin) => Ok(builder
            .https_only(true)
            .use_preconfigured_tls(pinned_config(*pin, resumption)?)),
        // No pin: reqwest's rustls with the bundled WebPKI roots (feature `rustls-tls`).
        None => Ok(builder.use_rustls_tls()),
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn pinned_config(pin: Fingerprint, resumption: bool) -> Result<rustls::ClientConfig, Error> {
    let provider = provider();
    let verifier = Arc::new(PinnedVerifier {
        pin,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(Error::Tls)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    if !resumption {
        config.resumption = rustls::client::Resumption::disabled();
    }
    Ok(config)
}

/// Accepts exactly the certificate whose SHA-256 is the pin.
#[derive(Debug)]
struct PinnedVerifier {
    pin: Fingerprint,
    algorithms: WebPkiSupportedAlgorithms,
}

/// Carried inside the rustls error so the client can say which certificate it saw.
#[derive(Debug)]
struct PinMismatch {
    expected: Fingerprint,
    found: Fingerprint,
}

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate fingerprint {} is not the pinned {}",
            format_fingerprint(&self.found),
            format_fingerprint(&self.expected)
        )
    }
}

impl std::error::Error for PinMismatch {}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let found = fingerprint(end_entity);
        if found == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch {
                    expected: self.pin,
                    found,
                })),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Finds a certificate problem in a failed request's chain of causes: a pin mismatch, or a
/// certificate the WebPKI check refused. Both must never look like "offline, try later".
pub(crate) fn certificate_failure(e: &reqwest::Error) -> Option<Error> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cause {
        if let Some(rustls::Error::InvalidCertificate(problem)) =
            err.downcast_ref::<rustls::Error>()
        {
            if let CertificateError::Other(OtherError(other)) = problem
                && let Some(m) = other.downcast_ref::<PinMismatch>()
            {
                return Some(Error::CertificateMismatch {
                    expected: format_fingerprint(&m.expected),
                    found: format_fingerprint(&m.found),
                });
            }
            return Some(Error::CertificateRejected {
                reason: problem.to_string(),
            });
        }
        // io::Error hides the error it wraps from `source()` (it skips a level), so step into
        // it by hand; tokio-rustls wraps the rustls error in two of them.
        cause = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_for_this_machine() {
        for ok in [
            "http://127.0.0.1:8470",
            "http://127.8.9.10",
            "http://[::1]:8470/",
            "http://localhost:8470",
            "http://LOCALHOST",
            "https://192.0.2.1",
            "https://watch.example.org",
        ] {
            assert!(check_transport(ok, None).is_ok(), "{ok}");
        }
        for refused in [
            "http://192.0.2.1",
            "http://10.0.0.2:8470",
            "http://watch.example.org",
            "http://localhost.example.org",
            "http://[::ffff:192.0.2.1]",
            "http://0.0.0.0:8470",
        ] {
            assert!(
                matches!(
                    check_transport(refused, None),
                    Err(Error::PlainHttpRefused { .. })
                ),
                "{refused}"
            );
        }
        assert!(matches!(
            check_transport("http://127.0.0.1", Some(&[0; 32])),
            Err(Error::InvalidUrl { .. })
        ));
    }

    #[test]
    fn localhost_is_held_to_loopback_addresses() {
        let target = check_transport("http://localhost:9000", None).unwrap();
        let (name, addrs) = target.pinned_resolve.unwrap();
        assert_eq!(name, "localhost");
        assert!(
            addrs
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 9000)
        );
    }
}
