//! The hub on a real network. The community server, the coordinator's hub and two devices each
//! run in their own network namespace (made here with `ip netns` and veth pairs, removed after),
//! as the `porchlight` binary a user runs:
//!
//! ```text
//!   [up] community server, Vera ── wan ── [hub] Carmen's desktop: `porchlight hub`, router
//!                                            └── lan bridge ── [a] Victor (volunteer)
//!                                                          └── [b] Rita (resident)
//! ```
//!
//! The hub's machine is the hall's router. While its `wan` link is up, Carmen founds the group on
//! the community server and starts her hub; Vera joins from home. Then the link goes down, so
//! neither the hub nor the phones have a route to the community server: Victor and Rita join at
//! the hub, and a patrol is logged and seen by the coordinator through the hub alone. Then the
//! route comes back: the hub forwards the joins, relays both ways, and every device converges
//! with equal sync receipts.
//!
//! It needs root (CAP_NET_ADMIN) and iproute2, which CI has. Where namespaces cannot be made the
//! test fails: it is never skipped.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const CREATION_TOKEN: &str = "netns-test-token";
/// How long convergence may take: the relay backs off while upstream is unreachable (a
/// minute at most), so one full backoff plus a margin.
const CONVERGE_WITHIN: Duration = Duration::from_secs(150);

const UP_ADDR: &str = "10.99.1.2";
const HUB_WAN_ADDR: &str = "10.99.1.1";
const HUB_LAN_ADDR: &str = "10.99.0.1";

/// Runs `ip` with `args`, failing the test with its message if it fails.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("iproute2's `ip` runs");
    assert!(
        out.status.success(),
        "ip {}: {} (this test needs root to make network namespaces)",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

/// Four network namespaces with unique names, deleted (with every process started in them) on
/// drop, so a failing test leaves nothing behind.
struct Net {
    up: String,
    hub: String,
    a: String,
    b: String,
    children: Vec<Child>,
}

impl Net {
    fn create() -> Self {
        // Unique per run: the process id and the clock's nanoseconds.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tag = format!("{:x}{nanos:x}", std::process::id());
        let name = |role: &str| format!("pl-{tag}-{role}");
        let net = Self {
            up: name("up"),
            hub: name("hub"),
            a: name("a"),
            b: name("b"),
            children: Vec::new(),
        };
        for ns in [&net.up, &net.hub, &net.a, &net.b] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        // The hub's uplink to the community server.
        ip(&[
            "link", "add", "name", "wan", "netns", &net.hub, "type", "veth", "peer", "name", "wan",
            "netns", &net.up,
        ]);
        ip(&["-n", &net.hub, "addr", "add", "10.99.1.1/24", "dev", "wan"]);
        ip(&["-n", &net.up, "addr", "add", "10.99.1.2/24", "dev", "wan"]);
        ip(&["-n", &net.up, "link", "set", "wan", "up"]);
        ip(&[
            "-n",
            &net.up,
            "route",
            "add",
            "10.99.0.0/24",
            "via",
            HUB_WAN_ADDR,
        ]);
        // The hall's network: a bridge on the hub's machine with one port per phone.
        ip(&["-n", &net.hub, "link", "add", "lan", "type", "bridge"]);
        ip(&["-n", &net.hub, "addr", "add", "10.99.0.1/24", "dev", "lan"]);
        ip(&["-n", &net.hub, "link", "set", "lan", "up"]);
        for (port, ns, addr) in [
            ("lan-a", &net.a, "10.99.0.2/24"),
            ("lan-b", &net.b, "10.99.0.3/24"),
        ] {
            ip(&[
                "link", "add", "name", port, "netns", &net.hub, "type", "veth", "peer", "name",
                "eth0", "netns", ns,
            ]);
            ip(&["-n", &net.hub, "link", "set", "dev", port, "master", "lan"]);
            ip(&["-n", &net.hub, "link", "set", "dev", port, "up"]);
            ip(&["-n", ns, "addr", "add", addr, "dev", "eth0"]);
            ip(&["-n", ns, "link", "set", "eth0", "up"]);
            ip(&["-n", ns, "route", "add", "default", "via", HUB_LAN_ADDR]);
        }
        // The hub's machine routes the hall to the internet while its uplink is up.
        let forward = Command::new("ip")
            .args([
                "netns",
                "exec",
                &net.hub,
                "sysctl",
                "-qw",
                "net.ipv4.ip_forward=1",
            ])
            .status()
            .expect("sysctl runs");
        assert!(forward.success(), "ip_forward in the hub's namespace");
        net.set_uplink(true);
        net
    }

    /// Brings the hub's uplink up or down: down, its route to the community server is gone, for
    /// the hub and for every phone it routes.
    fn set_uplink(&self, up: bool) {
        let state = if up { "up" } else { "down" };
        ip(&["-n", &self.hub, "link", "set", "wan", state]);
    }

    /// Starts `porchlight args` in namespace `ns`; it is killed when the network goes.
    fn spawn(&mut self, ns: &str, args: &[&str]) -> (usize, Log) {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_porchlight")])
            .args(args)
            .envs(test_env())
            .env("PORCHLIGHT_GROUP_CREATION_TOKEN", CREATION_TOKEN)
            .env_remove("PORCHLIGHT_TLS")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("porchlight starts");
        let stderr = Log::drain(child.stderr.take().expect("piped stderr"));
        self.children.push(child);
        (self.children.len() - 1, stderr)
    }

    /// Stops a child started by [`Net::spawn`] as Ctrl-C would, and waits for it to exit.
    fn interrupt(&mut self, index: usize) -> std::process::ExitStatus {
        let child = &mut self.children[index];
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "did not stop on Ctrl-C");
            std::thread::park_timeout(Duration::from_millis(50));
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in [&self.up, &self.hub, &self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// A child's stderr, read to the end on a thread (so the pipe never fills) and kept whole.
#[derive(Clone)]
struct Log(Arc<Mutex<(Vec<String>, bool)>>, Arc<std::sync::Condvar>);

impl Log {
    fn drain(stderr: impl Read + Send + 'static) -> Self {
        let out = Self(Arc::default(), Arc::default());
        let inner = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                inner.0.lock().unwrap().0.push(line);
                inner.1.notify_all();
            }
            inner.0.lock().unwrap().1 = true;
            inner.1.notify_all();
        });
        out
    }

    /// The first line containing `needle`, waiting for it (up to a minute).
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut guard = self.0.lock().unwrap();
        loop {
            if let Some(line) = guard.0.iter().find(|l| l.contains(needle)) {
                return line.clone();
            }
            assert!(
                !guard.1 && Instant::now() < deadline,
                "no {needle:?} in:\n{}",
                guard.0.join("\n")
            );
            guard = self
                .1
                .wait_timeout(guard, Duration::from_millis(200))
                .unwrap()
                .0;
        }
    }
}

fn test_env() -> [(&'static str, &'static str); 1] {
    // Anonymous reports leave at once instead of after a random delay.
    [("PORCHLIGHT_DROP_DELAY_MAX_SECS", "0")]
}

/// One person's device: a data directory used from one namespace.
struct Device {
    ns: String,
    dir: PathBuf,
}

impl Device {
    fn new(ns: &str, root: &Path, name: &str) -> Self {
        Self {
            ns: ns.to_owned(),
            dir: root.join(name),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns, env!("CARGO_BIN_EXE_porchlight")])
            .arg("--data-dir")
            .arg(&self.dir)
            .arg("--json")
            .args(args)
            .envs(test_env())
            .env_remove("PORCHLIGHT_DATA_DIR")
            .env_remove("PORCHLIGHT_CREATION_TOKEN")
            .stdin(Stdio::null())
            .output()
            .expect("porchlight runs")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} in {}: {}",
            self.ns,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// `sync --once`, repeated until it succeeds: right after the uplink goes, a device may
    /// need a moment before the hub has mirrored the newest members.
    fn sync_until_ok(&self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.run(&["sync", "--once"]);
            if out.status.success() {
                return serde_json::from_slice(&out.stdout).unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "sync in {}: {}",
                self.ns,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn server(&self) -> String {
        self.json(&["status"])["status"]["server"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn receipt(&self) -> Value {
        self.json(&["status"])["receipt"]["kinds"].clone()
    }

    fn titles(&self, args: &[&str], field: &str) -> Vec<String> {
        let mut t: Vec<String> = self
            .json(args)
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v[field].as_str().map(str::to_owned))
            .collect();
        t.sort();
        t
    }
}

/// Whether every pair of receipts agrees on the kinds both may read.
fn receipts_agree(receipts: &[Value]) -> bool {
    receipts.iter().all(|a| {
        receipts.iter().all(|b| {
            a.as_object()
                .unwrap()
                .iter()
                .all(|(kind, digest)| b.get(kind).is_none_or(|d| d == digest))
        })
    })
}

#[test]
fn a_hall_in_its_own_network_syncs_through_the_hub_and_converges_when_the_route_returns() {
    let tmp = tempfile::tempdir().unwrap();
    let mut net = Net::create();

    // The community server, on the internet side.
    let db = format!("sqlite://{}", tmp.path().join("community.db").display());
    let listen = format!("{UP_ADDR}:0");
    let (_, served) = net.spawn(
        &net.up.clone(),
        &["serve", "--db", &db, "--listen", &listen],
    );
    let url = last_word(&served.wait_for("listening on"));
    let fingerprint = last_word(&served.wait_for("fingerprint"));
    assert!(url.starts_with(&format!("https://{UP_ADDR}:")), "{url}");

    // Carmen founds the group from the hall, then starts the hub on her desktop.
    let carmen = Device::new(&net.hub, tmp.path(), "carmen");
    carmen.json(&["init", "--name", "Carmen"]);
    carmen.json(&[
        "group",
        "create",
        "--server",
        &url,
        "--fingerprint",
        &fingerprint,
        "--name",
        "Elm Street",
        "--creation-token",
        CREATION_TOKEN,
    ]);
    let hub_db = format!("sqlite://{}", tmp.path().join("hub.db").display());
    let hub_listen = format!("{HUB_LAN_ADDR}:0");
    let (hub_process, hub_log) = net.spawn(
        &net.hub.clone(),
        &[
            "--data-dir",
            carmen.dir.to_str().unwrap(),
            "hub",
            "--db",
            &hub_db,
            "--listen",
            &hub_listen,
        ],
    );
    let started = hub_log.wait_for("porchlight hub listening on");
    let hub_url = started
        .split("phones use ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap()
        .to_owned();
    assert!(
        hub_url.starts_with(&format!("https://{HUB_LAN_ADDR}:")),
        "{started}"
    );

    // Invites made now carry the hub's address beside the community server's. Vera joins from
    // home while the hall still has its uplink.
    let victor = Device::new(&net.a, tmp.path(), "victor");
    let rita = Device::new(&net.b, tmp.path(), "rita");
    let vera = Device::new(&net.up, tmp.path(), "vera");
    let invite = |role: &str| {
        let code = carmen.json(&["invite", "--role", role])["code"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(code.starts_with("plj3-"), "{code}");
        code
    };
    vera.json(&["join", &invite("volunteer"), "--name", "Vera"]);
    carmen.sync_until_ok();
    vera.sync_until_ok();

    // The hall loses its route to the community server. Carmen's invites there are registered
    // with her hub alone, and Victor and Rita join at the hub.
    net.set_uplink(false);
    victor.json(&["join", &invite("volunteer"), "--name", "Victor"]);
    rita.json(&["join", &invite("resident"), "--name", "Rita"]);
    // Carmen (moving to the hub by herself) certifies them; they pick the certificates up.
    let hall = [&carmen, &victor, &rita];
    for device in hall.iter().chain(&hall) {
        device.sync_until_ok();
        assert_eq!(device.server(), hub_url, "the hall syncs through the hub");
    }
    assert_eq!(vera.server(), url);

    victor.json(&["patrol", "start", "--title", "Evening round"]);
    for point in ["40.4168,-3.7038", "40.4172,-3.7031", "40.4177,-3.7025"] {
        victor.json(&["patrol", "fix", point]);
    }
    victor.json(&["patrol", "end"]);
    // Rita files an anonymous report: it waits on her phone for the community server, never
    // passing through the coordinator's machine.
    rita.json(&[
        "report",
        "file",
        "--category",
        "vandalism",
        "--text",
        "Bus shelter glass smashed",
        "--anonymous",
    ]);
    // Vera, at home, still reaches the community server.
    vera.json(&[
        "alert",
        "issue",
        "--title",
        "Gate left open",
        "--at",
        "40.4170,-3.7030",
        "--radius",
        "200",
    ]);
    vera.sync_until_ok();

    let pushed = victor.sync_until_ok();
    assert!(pushed["pushed"].as_u64().unwrap() >= 1, "{pushed}");
    assert_eq!(
        victor.server(),
        hub_url,
        "Victor moved to the hub by himself"
    );
    carmen.sync_until_ok();
    assert_eq!(carmen.server(), hub_url);
    assert_eq!(
        carmen.titles(&["patrol", "list"], "title"),
        ["Evening round"],
        "the coordinator sees the patrol with no community server reachable"
    );
    let sent = rita.sync_until_ok();
    assert_eq!(
        sent["reportsSent"], 0,
        "the report waits for the community server"
    );
    assert_eq!(rita.json(&["status"])["status"]["queuedReports"], 1);
    assert!(
        !carmen
            .titles(&["alert", "list"], "title")
            .contains(&"Gate left open".to_owned()),
        "the hall cannot have heard of Vera's alert yet"
    );
    assert!(vera.titles(&["patrol", "list"], "title").is_empty());

    // The route returns: the hub forwards Victor's and Rita's joins to the community server and
    // relays both ways, Rita's report leaves, and every device ends up with the same receipt
    // for what it may read.
    net.set_uplink(true);
    let everyone = [&carmen, &victor, &rita, &vera];
    let deadline = Instant::now() + CONVERGE_WITHIN;
    loop {
        let mut sent = 0;
        for device in everyone {
            sent += device.sync_until_ok()["reportsSent"].as_u64().unwrap_or(0);
        }
        let receipts: Vec<Value> = everyone.iter().map(|d| d.receipt()).collect();
        let converged = receipts_agree(&receipts)
            && vera.titles(&["patrol", "list"], "title") == ["Evening round"]
            && carmen
                .titles(&["alert", "list"], "title")
                .contains(&"Gate left open".to_owned())
            && carmen.json(&["report", "list"]).as_array().unwrap().len() == 1;
        if converged {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no convergence within {CONVERGE_WITHIN:?} (reports sent this round: {sent}):\n\
             receipts {receipts:#?}\nhub log:\n{}",
            hub_log.0.lock().unwrap().0.join("\n")
        );
    }
    assert_eq!(rita.json(&["status"])["status"]["queuedReports"], 0);

    // Ctrl-C stops the hub cleanly.
    let stopped = net.interrupt(hub_process);
    assert!(stopped.success(), "{stopped}");
}

fn last_word(line: &str) -> String {
    line.trim().rsplit(' ').next().unwrap().to_owned()
}
