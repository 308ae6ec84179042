//! The background work a core runs while the app is open: the sync loop and the drop loop.
//! The core owns them: [`Core::stop_background`] (and [`Core::shutdown`]) stop every task
//! started for it, as [`SyncTask::stop`] stops one.

use std::sync::Arc;
use std::time::Duration;

use porchlight_model::Timestamp;
use tokio::sync::watch;

use super::LONG_POLL;
use crate::{Core, CoreError};

/// Keeps a core in sync in the background until stopped: syncs, then waits for the server
/// (long-poll) or a local change; when offline, retries with exponential backoff and jitter.
#[derive(Debug)]
pub struct SyncTask {
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

/// Either stop signal: the task's own ([`SyncTask::stop`]) or the core's
/// ([`Core::stop_background`]). A dropped sender counts as a stop.
#[derive(Clone, Debug)]
struct Stop {
    own: watch::Receiver<bool>,
    core: watch::Receiver<bool>,
}

impl Stop {
    async fn wait(&mut self) {
        loop {
            if *self.own.borrow() || *self.core.borrow() {
                return;
            }
            tokio::select! {
                r = self.own.changed() => if r.is_err() { return },
                r = self.core.changed() => if r.is_err() { return },
            }
        }
    }
}

impl SyncTask {
    /// Starts the task on the current tokio runtime.
    pub fn spawn(core: Arc<Core>) -> Self {
        let (stop, own) = watch::channel(false);
        let mut stopped = Stop {
            own,
            core: core.stopping.subscribe(),
        };
        let drops = tokio::spawn(drop_loop(core.clone(), stopped.clone()));
        let handle = tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let outcome = core.sync_once().await;
                let pause = if outcome.is_ok() {
                    failures = 0;
                    None
                } else {
                    failures = failures.saturating_add(1);
                    Some(backoff(failures, core.config().sync_interval_secs))
                };
                tokio::select! {
                    () = stopped.wait() => break,
                    () = core.local_change.notified() => {}
                    () = async {
                        if let Some(d) = pause {
                            tokio::time::sleep(d).await;
                        } else if core.wait_for_changes(LONG_POLL).await.is_err() {
                            tokio::time::sleep(backoff(1, core.config().sync_interval_secs)).await;
                        }
                    } => {}
                }
            }
            let _ = drops.await;
        });
        Self { stop, handle }
    }

    /// Stops the task and waits for it to finish its current step.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}

impl Core {
    /// Stops every background task started for this core (see [`SyncTask`]); each finishes its
    /// current step first. Tasks started afterwards stop at once.
    pub fn stop_background(&self) {
        self.stopping.send_replace(true);
    }
}

/// Sends each queued report envelope when its time comes, on its own timer rather than with the
/// authenticated sync, so the two are not seen leaving together; and now and then, at random
/// times, asks for the next published status of one receipt. The timing rules are in
/// [`crate::departures`]; this loop only sleeps until the next moment they name.
async fn drop_loop(core: Arc<Core>, mut stopped: Stop) {
    let mut failures = 0u32;
    let mut not_joined = false;
    let mut no_tokens = false;
    // Unset: the connection is up. Set: when sending failed for want of a connection; the
    // connection counts as back once an authenticated sync succeeds after that moment.
    let mut offline_since: Option<i64> = None;
    // Envelopes that fell due while the app was not running get fresh delays too.
    let _ = core.replan_overdue_drops();
    let mut next_reply_check = Timestamp::now().millis() + reply_check_delay(&core);
    loop {
        if let Some(since) = offline_since {
            let back = core
                .sync_status()
                .ok()
                .and_then(|s| s.last_success)
                .is_some_and(|t| t.millis() > since);
            if back {
                let _ = core.replan_overdue_drops();
                (offline_since, failures) = (None, 0);
            }
        }
        let now = Timestamp::now().millis();
        let drop_wait = if not_joined || no_tokens {
            // Wait for a new envelope or tokens (both notify), or a restart after joining.
            Duration::from_secs(3600)
        } else if failures > 0 {
            backoff(failures, DROP_RETRY_CAP_SECS)
        } else {
            match core.next_drop_at() {
                Ok(Some(at)) => Duration::from_millis((at.millis() - now).max(0).unsigned_abs()),
                // Nothing queued: sleep until something is.
                _ => Duration::from_secs(3600),
            }
        };
        let reply_wait = Duration::from_millis((next_reply_check - now).max(0).unsigned_abs());
        tokio::select! {
            () = stopped.wait() => break,
            () = core.drop_queued.notified() => {
                no_tokens = false;
                continue;
            }
            () = tokio::time::sleep(reply_wait), if reply_wait < drop_wait => {
                // One receipt, one id; failures are simply tried at the next random moment.
                let _ = core.check_one_receipt().await;
                next_reply_check = Timestamp::now().millis() + reply_check_delay(&core);
                continue;
            }
            () = tokio::time::sleep(drop_wait) => {}
        }
        if offline_since.is_some() {
            // Still waiting for the connection to come back (an authenticated sync to succeed).
            failures = failures.saturating_add(1);
            continue;
        }
        match core.send_due_drops().await {
            Ok(_) => (failures, not_joined, no_tokens) = (0, false, false),
            Err(CoreError::NotJoined) => (failures, not_joined) = (0, true),
            Err(CoreError::NoDropTokens) => (failures, no_tokens) = (0, true),
            Err(CoreError::Sync(e)) if e.is_offline() => {
                offline_since = Some(Timestamp::now().millis());
                failures = failures.saturating_add(1);
            }
            Err(_) => failures = failures.saturating_add(1),
        }
    }
}

/// Milliseconds until the next receipt check: uniform in [10, 50) minutes, or [1, 5) seconds
/// when delays are turned off (`drop_delay_max_secs = 0`, tests).
fn reply_check_delay(core: &Core) -> i64 {
    let (base, spread) = if core.departure_policy().max_delay_ms == 0 {
        (1_000, 4_000)
    } else {
        (600_000, 2_400_000)
    };
    base + i64::try_from(crate::drop_tokens::random_u64() % spread).unwrap_or(0)
}

/// Sending reports waits at most this long between attempts while offline (5 minutes).
const DROP_RETRY_CAP_SECS: u64 = 300;

/// 1 s, 2 s, 4 s … capped at `cap_secs` (`sync_interval_secs` for syncing), each scaled by a
/// random factor in [0.5, 1.5) so that devices coming back online together do not all retry in
/// step.
fn backoff(failures: u32, cap_secs: u64) -> Duration {
    let base = 1u64 << failures.saturating_sub(1).min(8);
    let jitter = 0.5 + f64::from(porchlight_model::random_bytes::<1>()[0]) / 256.0;
    Duration::from_secs_f64((base as f64 * jitter).min(cap_secs.max(1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sync_backoff_stops_growing_at_sync_interval_secs() {
        for failures in [1, 5, 20] {
            let wait = backoff(failures, 60);
            assert!(wait <= Duration::from_secs(60), "{wait:?}");
            assert!(wait >= Duration::from_millis(500), "{wait:?}");
        }
        assert!(
            backoff(20, 0) <= Duration::from_secs(1),
            "a zero cap means one second"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stopping_the_core_ends_its_background_tasks_and_they_let_go_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let core = Arc::new(Core::open(dir.path()).unwrap());
        let task = SyncTask::spawn(core.clone());
        let later = SyncTask::spawn(core.clone());
        core.stop_background();
        // A bound, not a synchronisation: both end as soon as they see the signal.
        for t in [task, later] {
            tokio::time::timeout(Duration::from_secs(10), t.handle)
                .await
                .expect("the task ended")
                .unwrap();
        }
        assert_eq!(
            Arc::strong_count(&core),
            1,
            "no task holds the core any more"
        );
    }
}
