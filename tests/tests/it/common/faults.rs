//! A TCP front on a loopback port for the reliability tests (TARGETS.md R2, R3): it forwards to
//! an upstream that can change (a server restarted after SIGKILL listens on a new port) and, when
//! asked, breaks connections the way a bad link does, chosen by a seeded random generator.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use porchlight_tests::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What the front may do to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The connection closes: the request never reaches the server.
    Drop,
    /// The request reaches the server; only the first bytes of the answer come back, then the
    /// connection closes.
    Truncate,
    /// The request reaches the server twice (again on a connection of its own once the first
    /// is answered).
    Duplicate,
    /// Held for up to 50 ms before it is forwarded.
    Delay,
    /// Held until the next request starts (at most 100 ms), so that one goes first.
    Reorder,
}

/// The faults, in the order the generator picks them.
const FAULTS: [Fault; 5] = [
    Fault::Drop,
    Fault::Truncate,
    Fault::Duplicate,
    Fault::Delay,
    Fault::Reorder,
];

#[derive(Default)]
struct Shared {
    upstream: Mutex<Option<SocketAddr>>,
    /// `Some` while faults are on.
    rng: Mutex<Option<Rng>>,
    injected: Mutex<std::collections::HashMap<Fault, u64>>,
    forwarded: AtomicU64,
    progress: Notify,
    arrived: Notify,
}

pub struct FaultyFront {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultyFront {
    /// A front forwarding to `upstream` (`host:port`), with no faults.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared::default());
        *shared.upstream.lock().unwrap() = Some(upstream);
        let accepting = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, accepting.clone()));
            }
        });
        Self { url, shared, task }
    }

    /// Forwards new connections to `upstream` from now on.
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.shared.upstream.lock().unwrap() = Some(upstream);
    }

    /// Breaks connections from now on, choosing with `seed`; `None` stops.
    pub fn faults(&self, seed: Option<u64>) {
        *self.shared.rng.lock().unwrap() = seed.map(|s| Rng(s | 1));
    }

    /// How many requests each fault was applied to.
    pub fn injected(&self) -> std::collections::HashMap<Fault, u64> {
        self.shared.injected.lock().unwrap().clone()
    }

    /// Bytes forwarded to the server so far.
    pub fn forwarded(&self) -> u64 {
        self.shared.forwarded.load(Ordering::SeqCst)
    }

    /// Waits until at least `bytes` have been forwarded to the server in total.
    pub async fn wait_forwarded(&self, bytes: u64) {
        loop {
            let progressed = self.shared.progress.notified();
            if self.forwarded() >= bytes {
                return;
            }
            progressed.await;
        }
    }
}

impl Drop for FaultyFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Shared {
    fn choose(&self) -> Option<Fault> {
        let mut rng = self.rng.lock().unwrap();
        let rng = rng.as_mut()?;
        // Half of the connections go through untouched, so work still gets done.
        let pick = rng.below(2 * FAULTS.len() as u64) as usize;
        let fault = *FAULTS.get(pick)?;
        *self.injected.lock().unwrap().entry(fault).or_default() += 1;
        Some(fault)
    }

    fn delay(&self, max_ms: u64) -> Duration {
        let ms = self
            .rng
            .lock()
            .unwrap()
            .as_mut()
            .map_or(0, |r| r.below(max_ms));
        Duration::from_millis(ms)
    }
}

async fn serve(mut client: TcpStream, shared: Arc<Shared>) {
    let Some(upstream) = *shared.upstream.lock().unwrap() else {
        return;
    };
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        // The server is down (killed, restarting): the device sees a closed connection.
        return;
    };
    let mut up = vec![0u8; 64 * 1024];
    let mut down = vec![0u8; 64 * 1024];
    // Devices keep connections alive for many requests, so faults are chosen per request: a
    // request starts when the device sends after the server has answered.
    let mut answered = true;
    let mut cut: Option<usize> = None;
    let mut copy: Option<Vec<u8>> = None;
    loop {
        tokio::select! {
            read = client.read(&mut up) => {
                let Ok(n) = read else { return };
                if n == 0 {
                    return;
                }
                if answered {
                    answered = false;
                    shared.arrived.notify_waiters();
                    match shared.choose() {
                        Some(Fault::Drop) => return,
                        Some(Fault::Delay) => tokio::time::sleep(shared.delay(50)).await,
                        Some(Fault::Reorder) => {
                            let next = shared.arrived.notified();
                            let _ = tokio::time::timeout(Duration::from_millis(100), next).await;
                        }
                        Some(Fault::Truncate) => cut = Some(shared.delay(600).as_millis() as usize),
                        Some(Fault::Duplicate) => copy = Some(Vec::new()),
                        None => {}
                    }
                }
                if let Some(copy) = copy.as_mut() {
                    copy.extend_from_slice(&up[..n]);
                }
                if server.write_all(&up[..n]).await.is_err() {
                    return;
                }
                shared.forwarded.fetch_add(n as u64, Ordering::SeqCst);
                shared.progress.notify_waiters();
            }
            read = server.read(&mut down) => {
                let Ok(n) = read else { return };
                if n == 0 {
                    return;
                }
                answered = true;
                if let Some(request) = copy.take() {
                    // The same request again, on a connection of its own, once the first was
                    // answered; its answer is thrown away.
                    tokio::spawn(send_again(upstream, request));
                }
                let n = match cut.as_mut() {
                    Some(left) => {
                        let n = n.min(*left);
                        *left -= n;
                        n
                    }
                    None => n,
                };
                if n > 0 && client.write_all(&down[..n]).await.is_err() {
                    return;
                }
                if cut == Some(0) {
                    // The answer was cut: the link breaks, as a bad one would.
                    return;
                }
            }
        }
    }
}

async fn send_again(upstream: SocketAddr, request: Vec<u8>) {
    let Ok(mut twin) = TcpStream::connect(upstream).await else {
        return;
    };
    if twin.write_all(&request).await.is_err() {
        return;
    }
    let _ = twin.shutdown().await;
    let mut sink = vec![0u8; 64 * 1024];
    while let Ok(n) = twin.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
}
