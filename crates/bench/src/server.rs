//! A real `porchlight serve` process (the release build) on a loopback port the system picks.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::error::{BenchError, Result, io};

/// The group creation token the bench's server is started with.
pub const CREATION_TOKEN: &str = "porchlight-bench";

#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    pub url: String,
}

impl ServerProcess {
    /// Starts `bin serve` with its database in `dir` and waits until it listens.
    pub fn start(bin: &Path, dir: &Path) -> Result<Self> {
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--db")
            .arg(format!("sqlite://{}", dir.join("server.db").display()))
            .arg("--listen")
            .arg("127.0.0.1:0")
            .env("PORCHLIGHT_GROUP_CREATION_TOKEN", CREATION_TOKEN)
            // Plain HTTP on loopback: the bench measures sync, not TLS handshakes.
            .env("PORCHLIGHT_TLS", "off")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io("starting the server"))?;
        let failed = |reason| BenchError::ServerStart {
            bin: bin.to_owned(),
            reason,
        };
        let stderr = child.stderr.take().ok_or_else(|| failed("no stderr"))?;
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed("it exited before saying where it listens"));
            };
            if let Some(at) = line.find("listening on ") {
                break line[at + "listening on ".len()..].trim().to_owned();
            }
            eprintln!("server: {line}");
        };
        // Keep draining its error output so a chatty server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(std::result::Result::ok) {
                eprintln!("server: {line}");
            }
        });
        Ok(Self { child, url })
    }

    /// CPU seconds (user + system) the server has used so far.
    pub fn cpu_secs(&self) -> Option<f64> {
        cpu_secs(&format!("/proc/{}/stat", self.child.id()))
    }

    /// The server's peak resident memory so far, in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        peak_rss_kib(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmHWM` (the high-water mark of resident memory) from a `/proc/<pid>/status` file.
pub fn peak_rss_kib(status_file: &str) -> Option<u64> {
    std::fs::read_to_string(status_file)
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// User plus system CPU time of all threads of a process, from a `/proc/<pid>/stat` file (in
/// clock ticks, which Linux reports at 100 a second to user space).
pub fn cpu_secs(stat_file: &str) -> Option<f64> {
    let text = std::fs::read_to_string(stat_file).ok()?;
    // The command name in parentheses may hold spaces; the fields after it do not.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    // utime and stime are the 14th and 15th fields; the first after the name is the 3rd.
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}
