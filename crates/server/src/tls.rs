//! TLS for `porchlight serve`: the operator's certificate, or a self-signed one made on first
//! start and kept beside the database so its fingerprint (which devices pin, see
//! `porchlight_sync::tls`) never changes; and an accept loop that does the handshakes off the
//! listener so one slow client cannot hold up the others.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::settings::TlsMode;
use crate::{Error, Settings};

/// File names inside the self-signed certificate's directory.
const CERT_FILE: &str = "cert.pem";
const KEY_FILE: &str = "key.pem";
/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes under way at once; past that, new connections wait in the kernel's backlog.
const MAX_HANDSHAKES: usize = 256;

/// A certificate chain and its private key, ready to serve.
pub struct ServerCertificate {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for ServerCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCertificate")
            .field("fingerprint", &porchlight_model::hex(&self.fingerprint()))
            .field("key", &"<hidden>")
            .finish()
    }
}

impl ServerCertificate {
    /// The SHA-256 of the end-entity certificate: what devices pin.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.chain
            .first()
            .map_or([0; 32], |c| porchlight_protocol::pin::fingerprint(c))
    }
}

/// The certificate `settings` serve with, `None` when TLS is off. A self-signed certificate is
/// made (and stored) the first time, so calling this before the server starts gives the
/// fingerprint it will serve with. Blocking (file I/O, key generation).
pub fn load_certificate(settings: &Settings) -> Result<Option<ServerCertificate>, Error> {
    match settings.tls {
        TlsMode::Off => Ok(None),
        TlsMode::Certificate => {
            let (Some(cert), Some(key)) = (&settings.tls_cert, &settings.tls_key) else {
                return Err(Error::Config(
                    "tls = \"certificate\" needs both tls_cert and tls_key".into(),
                ));
            };
            read_pair(cert, key).map(Some)
        }
        TlsMode::SelfSigned => self_signed(&self_signed_dir(settings)?).map(Some),
    }
}

/// The SHA-256 fingerprint of the certificate `settings` serve with (`None` when TLS is off),
/// for `porchlight serve` to print and the desktop app to show in invites. Blocking.
pub fn tls_fingerprint(settings: &Settings) -> Result<Option<[u8; 32]>, Error> {
    Ok(load_certificate(settings)?.map(|c| c.fingerprint()))
}

/// Where the self-signed certificate lives: `tls_dir`, or beside the SQLite file
/// (`server.db` → `server.db.tls/`).
pub fn self_signed_dir(settings: &Settings) -> Result<PathBuf, Error> {
    if let Some(dir) = &settings.tls_dir {
        return Ok(dir.clone());
    }
    let Some(path) = settings.database.strip_prefix("sqlite://") else {
        return Err(Error::Config(
            "set tls_dir: the self-signed certificate's directory cannot be derived from this database URL".into(),
        ));
    };
    let mut dir = PathBuf::from(path).into_os_string();
    dir.push(".tls");
    Ok(PathBuf::from(dir))
}

fn cert_error(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Certificate {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn read_pair(cert: &Path, key: &Path) -> Result<ServerCertificate, Error> {
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| cert_error(cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(cert, e))?;
    if chain.is_empty() {
        return Err(cert_error(cert, "the file holds no PEM certificate"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| cert_error(key, e))?;
    Ok(ServerCertificate {
        chain,
        key: key_der,
    })
}

/// Loads the self-signed certificate in `dir`, making it first if there is none. Once the
/// certificate file exists it is never replaced: its fingerprint is in every invite.
fn self_signed(dir: &Path) -> Result<ServerCertificate, Error> {
    let cert = dir.join(CERT_FILE);
    let key = dir.join(KEY_FILE);
    if cert.exists() {
        if !key.exists() {
            return Err(cert_error(
                &key,
                "the self-signed certificate's key is missing; restore it from a backup (a new certificate would need new invites for every device)",
            ));
        }
        return read_pair(&cert, &key);
    }
    std::fs::create_dir_all(dir).map_err(|e| cert_error(dir, e))?;
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .map_err(|e| cert_error(&cert, e))?;
    // Key first, certificate last: a certificate file means the pair is complete.
    write_new(&key, made.signing_key.serialize_pem().as_bytes(), true)?;
    write_new(&cert, made.cert.pem().as_bytes(), false)?;
    read_pair(&cert, &key)
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place, so a crash never
/// leaves half a file; `private` makes it readable by the owner only.
fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<(), Error> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&tmp).map_err(|e| cert_error(&tmp, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| cert_error(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| cert_error(path, e))
}

/// The rustls configuration for `certificate` (ring, TLS 1.2 and 1.3, HTTP/1.1).
pub(crate) fn server_config(certificate: ServerCertificate) -> Result<Arc<ServerConfig>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certificate.chain, certificate.key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A listener that hands axum connections whose TLS handshake is done. The handshakes run in
/// their own tasks (at most [`MAX_HANDSHAKES`] at once, each at most [`HANDSHAKE_TIMEOUT`]).
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub(crate) fn new(listener: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let accepting = tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), tx));
        Ok(Self {
            ready,
            local,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // Closes the socket when axum stops serving (graceful shutdown).
        self.accepting.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // A client that gave up is nothing to wait for; anything else (too many open
                // files) gets a moment to clear before the next try.
                use std::io::ErrorKind as K;
                if !matches!(
                    e.kind(),
                    K::ConnectionRefused | K::ConnectionAborted | K::ConnectionReset
                ) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            // A failed handshake is not logged: the log must say nothing about who connected.
            if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
            {
                let _ = tx.send((tls, peer)).await;
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept loop only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
