//! A throwaway PostgreSQL cluster for this test process, and one fresh database per test.
//!
//! The cluster is made with the installed server's own `initdb` (Debian's postgresql package,
//! /usr/lib/postgresql/*/bin) in a temporary directory, and listens only on a Unix socket in that
//! directory: no TCP port, so parallel test processes never collide. A small shell keeper owns
//! it: it starts the cluster, says "ready", and stops the cluster and deletes the directory as
//! soon as its standard input closes, which happens when this test process exits in any way
//! (even killed), so no cluster outlives its tests.
//!
//! PostgreSQL refuses to run as root. When the tests run as root (CI does), the keeper runs as
//! the unprivileged `postgres` account the package creates (or `nobody`) through `runuser`, and
//! the directory is handed to that account first.
//!
//! Nothing is skipped: without PostgreSQL, or when it cannot start, every test that asks for a
//! database fails with the reason.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

const KEEPER: &str = r#"
bin="$1"; dir="$2"
if ! "$bin/initdb" -D "$dir/data" -U porchlight --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2; exit 1
fi
mkdir "$dir/sock"
if ! "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-k $dir/sock -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500" start >/dev/null; then
    cat "$dir/server.log" >&2; exit 1
fi
echo ready
read _ignored
"$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
rm -rf "$dir"
"#;

pub struct Cluster {
    /// The Unix socket directory.
    socket_dir: PathBuf,
    /// Held open for the life of the process; closing it stops the cluster.
    _keeper_stdin: Mutex<ChildStdin>,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();

fn bin_dir() -> Result<PathBuf, String> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| {
            format!(
                "PostgreSQL is not installed (/usr/lib/postgresql: {e}); \
                 run scripts/setup.sh (it installs the `postgresql` package)"
            )
        })?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    // The newest major version installed.
    found.sort_by_key(|p| {
        p.parent()
            .and_then(Path::file_name)
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().ok_or_else(|| {
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); \
         run scripts/setup.sh (it installs the `postgresql` package)"
            .to_owned()
    })
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The account to run PostgreSQL as when we are root, with its uid and gid.
fn unprivileged_account() -> Result<(String, u32, u32), String> {
    for name in ["postgres", "nobody"] {
        let uid = output(Command::new("id").args(["-u", name]));
        let gid = output(Command::new("id").args(["-g", name]));
        if let (Some(uid), Some(gid)) = (uid, gid)
            && let (Ok(uid), Ok(gid)) = (uid.parse(), gid.parse())
        {
            return Ok((name.to_owned(), uid, gid));
        }
    }
    Err(
        "running as root, and neither a `postgres` nor a `nobody` account exists to run \
         PostgreSQL as (initdb refuses root)"
            .to_owned(),
    )
}

fn start() -> Result<Cluster, String> {
    let bin = bin_dir()?;
    let dir = tempfile::Builder::new()
        .prefix("porchlight-pg-")
        .tempdir()
        .map_err(|e| format!("no temporary directory for PostgreSQL: {e}"))?
        // The keeper deletes it when it stops the cluster.
        .keep();
    let is_root = output(Command::new("id").arg("-u")).as_deref() == Some("0");
    let mut cmd = if is_root {
        let (user, uid, gid) = unprivileged_account()?;
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| format!("could not hand {} to {user}: {e}", dir.display()))?;
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", &user, "--", "sh", "-c", KEEPER, "keeper"]);
        cmd
    } else {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", KEEPER, "keeper"]);
        cmd
    };
    let mut child = cmd
        .arg(&bin)
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run the PostgreSQL keeper script: {e}"))?;
    let stdout = child.stdout.take().ok_or("the keeper has no stdout")?;
    let mut line = String::new();
    // Blocks until the cluster accepts connections (pg_ctl -w) or failed to start.
    let _ = BufReader::new(stdout).read_line(&mut line);
    if line.trim() != "ready" {
        let mut why = String::new();
        if let Some(mut err) = child.stderr.take() {
            let _ = err.read_to_string(&mut why);
        }
        let _ = child.wait();
        return Err(format!(
            "PostgreSQL ({}) could not start a throwaway cluster in {}: {}",
            bin.display(),
            dir.display(),
            why.trim()
        ));
    }
    let stdin = child.stdin.take().ok_or("the keeper has no stdin")?;
    Ok(Cluster {
        socket_dir: dir.join("sock"),
        _keeper_stdin: Mutex::new(stdin),
    })
}

/// The cluster, started on first use. Panics (failing the test) with the reason when
/// PostgreSQL is missing or cannot start.
pub fn cluster() -> &'static Cluster {
    match CLUSTER.get_or_init(start) {
        Ok(cluster) => cluster,
        Err(why) => panic!("{why}"),
    }
}

impl Cluster {
    fn url(&self, database: &str) -> String {
        format!(
            "postgresql:///{database}?host={}&user=porchlight",
            self.socket_dir.display()
        )
    }

    /// A new, empty database for one test; its URL.
    pub async fn fresh_database(&self) -> String {
        let name = format!(
            "test_{}",
            porchlight_model::hex(&porchlight_model::random_bytes::<8>())
        );
        let (client, connection) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL cluster: {e}"));
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
        drop(client);
        let _ = driver.await;
        self.url(&name)
    }
}

/// A fresh database on this process's cluster: its `postgres://` URL.
pub async fn fresh_database() -> String {
    cluster().fresh_database().await
}
