//! The sync commands as a user runs them: `porchlight serve` in one process, devices in others.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// Runs the CLI on the data dir `dir` (the caller's environment's data dir and token ignored).
pub(crate) fn porchlight(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_porchlight"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("PORCHLIGHT_DATA_DIR")
        .env_remove("PORCHLIGHT_CREATION_TOKEN")
        .output()
        .unwrap()
}

/// Runs the CLI with `--json`; it must succeed.
pub(crate) fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = porchlight(dir, &all);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The operator's group creation token of the test server.
const CREATION_TOKEN: &str = "cli-test-token";

/// `porchlight serve` on an ephemeral port with its default self-signed certificate: the URL
/// and the fingerprint it printed. Killed when dropped.
struct Served(Child, String, String);

impl Served {
    fn start(db_dir: &Path) -> Self {
        let db = format!("sqlite://{}", db_dir.join("server.db").display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_porchlight"))
            .args(["serve", "--db", &db, "--listen", "127.0.0.1:0"])
            .env("PORCHLIGHT_GROUP_CREATION_TOKEN", CREATION_TOKEN)
            .env_remove("PORCHLIGHT_TLS")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut last_word = || {
            let mut line = String::new();
            stderr.read_line(&mut line).unwrap();
            line.trim().rsplit(' ').next().unwrap().to_owned()
        };
        let url = last_word();
        assert!(url.starts_with("https://127.0.0.1:"), "{url}");
        let fingerprint = last_word();
        assert_eq!(fingerprint.len(), 64, "{fingerprint}");
        Self(child, url, fingerprint)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_create_invite_join_sync_and_revoke() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Served::start(tmp.path());
    let (coord, vol) = (tmp.path().join("coord"), tmp.path().join("vol"));
    // A self-signed server is not trusted on first sight: without its fingerprint, no group.
    let stranger = tmp.path().join("stranger");
    json(&stranger, &["init", "--name", "Sam"]);
    let refused = porchlight(
        &stranger,
        &["group", "create", "--server", &server.1, "--name", "G"],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("certificate"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    json(&coord, &["init", "--name", "Carmen"]);
    // Without the operator's creation token the server refuses, and says what is missing.
    let refused = porchlight(
        &coord,
        &[
            "group",
            "create",
            "--server",
            &server.1,
            "--fingerprint",
            &server.2,
            "--name",
            "Elm Street",
        ],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("creation token"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let me = json(
        &coord,
        &[
            "group",
            "create",
            "--server",
            &server.1,
            "--fingerprint",
            &server.2,
            "--name",
            "Elm Street",
            "--creation-token",
            CREATION_TOKEN,
        ],
    );
    assert_eq!(me["role"], "coordinator");
    let png = tmp.path().join("invite.png");
    let invite = json(
        &coord,
        &[
            "invite",
            "--role",
            "volunteer",
            "--png",
            png.to_str().unwrap(),
        ],
    );
    let code = invite["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("plj2-"));
    assert!(
        std::fs::read(&png).unwrap().starts_with(b"\x89PNG"),
        "a PNG QR code"
    );
    let text = porchlight(&coord, &["invite", "--role", "resident"]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains('█'), "a terminal QR code");
    let saved = text
        .lines()
        .last()
        .unwrap()
        .trim_start_matches("QR code saved to ");
    assert!(
        std::fs::read(saved).unwrap().starts_with(b"\x89PNG"),
        "{saved}"
    );

    // The code carries the fingerprint: the volunteer gives none and still reaches the server.
    let joined = json(&vol, &["join", &code, "--name", "Victor"]);
    assert_eq!(joined["role"], "volunteer");
    json(
        &vol,
        &[
            "alert",
            "issue",
            "--title",
            "Gate left open",
            "--at",
            "40,-3",
            "--radius",
            "100",
        ],
    );
    let pushed = json(&vol, &["sync", "--once"]);
    assert_eq!(pushed["pushed"], 1);
    json(&coord, &["sync", "--once"]);
    let alerts = json(&coord, &["alert", "list"]);
    assert_eq!(alerts[0]["title"], "Gate left open");
    let (sc, sv) = (json(&coord, &["status"]), json(&vol, &["status"]));
    assert_eq!(
        sc["receipt"]["kinds"]["alert"],
        sv["receipt"]["kinds"]["alert"]
    );
    assert_eq!(sv["status"]["pending"], 0);

    let members = json(&coord, &["member", "list"]);
    assert_eq!(members.as_array().unwrap().len(), 2);
    let device = joined["deviceId"].as_str().unwrap().to_owned();
    json(&coord, &["member", "revoke", &device]);
    json(
        &vol,
        &[
            "alert", "issue", "--title", "After", "--at", "40,-3", "--radius", "100",
        ],
    );
    let refused = porchlight(&vol, &["sync", "--once"]);
    assert!(!refused.status.success());
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr)
            .trim()
            .lines()
            .count(),
        1
    );
    // A second join with the used invite is refused too.
    let other = tmp.path().join("other");
    assert!(
        !porchlight(&other, &["join", &code, "--name", "Otto"])
            .status
            .success()
    );
}

#[test]
fn network_commands_without_a_group_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = porchlight(tmp.path(), &["sync", "--once"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not joined"));
    let out = porchlight(tmp.path(), &["join", "not-a-code", "--name", "X"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invite"));
    // An unreachable server is a clear error, not a hang: a port that was free a moment ago.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}");
    let out = porchlight(
        tmp.path(),
        &["group", "create", "--server", &url, "--name", "G"],
    );
    assert!(!out.status.success());
}
