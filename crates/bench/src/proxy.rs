//! A TCP relay in front of the server that counts what crosses it: bytes each way and HTTP
//! requests, as a network meter between the device and the server would.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{Result, io};

#[derive(Debug, Default)]
pub struct Counters {
    pub up: AtomicU64,
    pub down: AtomicU64,
    pub requests: AtomicU64,
}

/// What crossed the relay since the last [`Proxy::take`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Traffic {
    pub up: u64,
    pub down: u64,
    pub requests: u64,
}

#[derive(Debug)]
pub struct Proxy {
    pub url: String,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream_url: &str) -> Result<Self> {
        let upstream = upstream_url.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(io("binding the proxy"))?;
        let addr = listener.local_addr().map_err(io("binding the proxy"))?;
        let counters = Arc::new(Counters::default());
        let shared = counters.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (shared, upstream) = (shared.clone(), upstream.clone());
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        relay(client, server, shared).await;
                    }
                });
            }
        });
        Ok(Self {
            url: format!("http://{addr}"),
            counters,
            task,
        })
    }

    /// The traffic so far, and starts counting from zero.
    pub fn take(&self) -> Traffic {
        Traffic {
            up: self.counters.up.swap(0, Ordering::Relaxed),
            down: self.counters.down.swap(0, Ordering::Relaxed),
            requests: self.counters.requests.swap(0, Ordering::Relaxed),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The end of an HTTP/1.1 request line; the device's request bodies are CBOR that never holds
/// this text, so counting it counts requests.
const REQUEST_LINE_END: &[u8] = b" HTTP/1.1\r\n";

async fn relay(client: TcpStream, server: TcpStream, counters: Arc<Counters>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up_counters = counters.clone();
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        // The last bytes of the previous read, so a request line split across reads counts.
        let mut carry: Vec<u8> = Vec::new();
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0 || server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            up_counters.up.fetch_add(n as u64, Ordering::Relaxed);
            carry.extend_from_slice(&buf[..n]);
            let found = carry
                .windows(REQUEST_LINE_END.len())
                .filter(|w| *w == REQUEST_LINE_END)
                .count();
            up_counters
                .requests
                .fetch_add(found as u64, Ordering::Relaxed);
            let keep = carry.len().min(REQUEST_LINE_END.len() - 1);
            carry.drain(..carry.len() - keep);
        }
        let _ = server_write.shutdown().await;
    };
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = server_read.read(&mut buf).await {
            if n == 0 || client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            counters.down.fetch_add(n as u64, Ordering::Relaxed);
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}
