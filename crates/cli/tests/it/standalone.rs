//! A group with no server anywhere, as a coordinator runs it headless: `porchlight hub
//! --standalone --group NAME` makes this computer the group's server until Ctrl-C; a member
//! joins with the invite and syncs through it; relaying such a group, or serving alone with no
//! group, is refused with a clear message.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::network::{json, porchlight};

fn refused(dir: &Path, args: &[&str]) -> String {
    let out = porchlight(dir, args);
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `porchlight hub --standalone ARGS` running, with the address phones use that it printed.
/// Stopped with SIGINT (Ctrl-C) by [`Hub::stop`], killed if the test fails first.
struct Hub(Child, String);

impl Hub {
    fn start(dir: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_porchlight"))
            .arg("--data-dir")
            .arg(dir)
            .args(["hub", "--standalone"])
            .args(args)
            .env_remove("PORCHLIGHT_DATA_DIR")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        // Read the rest as it comes: with the pipe closed, the hub's next line would fail.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        assert!(
            line.contains("this computer is the group's server"),
            "{line}"
        );
        let url = line
            .split("phones use ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .unwrap()
            .to_owned();
        Self(child, url)
    }

    fn stop(mut self) {
        let pid = self.0.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
                .success()
        );
        assert!(self.0.wait().unwrap().success(), "Ctrl-C stops it cleanly");
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_group_served_by_porchlight_hub_standalone_takes_a_member_and_their_patrol() {
    let tmp = tempfile::tempdir().unwrap();
    let (coord, vol) = (tmp.path().join("coord"), tmp.path().join("vol"));
    json(&coord, &["init", "--name", "Carmen"]);
    let hub = Hub::start(
        &coord,
        &["--group", "Elm Street", "--listen", "127.0.0.1:0"],
    );
    assert!(hub.1.starts_with("https://127.0.0.1:"), "{}", hub.1);

    // A hub for a group with no community server has nothing to relay to.
    let message = refused(&coord, &["hub", "--listen", "127.0.0.1:0"]);
    assert!(
        message.contains("no community server to relay to"),
        "{message}"
    );

    let invite = json(&coord, &["invite", "--role", "volunteer"]);
    let code = invite["code"].as_str().unwrap();
    assert!(code.starts_with("plj3-"), "{code}");
    json(&vol, &["init", "--name", "Victor"]);
    json(&vol, &["join", code, "--name", "Victor"]);
    assert_eq!(json(&vol, &["status"])["status"]["server"], hub.1.as_str());
    json(&vol, &["patrol", "start", "--title", "Evening round"]);
    json(&vol, &["patrol", "end"]);
    json(&vol, &["sync", "--once"]);
    // The first sync certifies Victor, the second lets his patrol in.
    json(&coord, &["sync", "--once"]);
    json(&coord, &["sync", "--once"]);
    let patrols = json(&coord, &["patrol", "list"]);
    assert!(patrols.to_string().contains("Evening round"), "{patrols}");
    hub.stop();

    // Started again without --group or --listen: the same group, where phones found it.
    let again = Hub::start(&coord, &[]);
    json(&vol, &["sync", "--once"]);
    again.stop();
}

#[test]
fn serving_alone_with_no_group_is_rejected_not_panicking() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nobody");
    json(&dir, &["init", "--name", "Sam"]);
    let message = refused(&dir, &["hub", "--standalone", "--listen", "127.0.0.1:0"]);
    assert!(message.contains("--group NAME"), "{message}");
}
