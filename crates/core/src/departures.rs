//! When sealed envelopes leave the device: the timing policy, as pure functions of the clock
//! and a source of randomness, so it is tested without sleeping.
//!
//! What the server sees of a drop is its arrival time (and the network address). The policy keeps
//! that time from linking one report to another or to the member's own, authenticated, requests:
//!
//! - Each envelope gets its own random departure time when it is queued (see
//!   [`crate::Core::drop_time`]).
//! - Envelopes whose time came while the device could not send do not leave in a burst when the
//!   connection returns: each draws a fresh, independent delay, uniform in
//!   `[quiet, quiet + max_delay]` from the moment the connection is back ([`replan`]).
//! - No envelope leaves within `quiet` (plus a random part of as much again) of this device's
//!   last authenticated request, nor within `min_gap` (plus a random part) of its last drop
//!   ([`departure`]). Envelopes therefore never leave back to back, and never seconds after a sync.
//!
//! With the default `drop_delay_max_secs` of 120 s, `quiet` and `min_gap` are 30 s each.

/// The timing rules, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeparturePolicy {
    /// The longest random delay an envelope draws.
    pub max_delay_ms: u64,
    /// The least time between two drops of this device.
    pub min_gap_ms: u64,
    /// The least time between an authenticated request and a drop.
    pub quiet_ms: u64,
}

impl DeparturePolicy {
    /// The policy for a `drop_delay_max_secs` setting: gaps of a quarter of it, at most a minute.
    /// Zero turns every delay off (tests, and a device that coordinates its own data).
    pub fn new(max_delay_secs: u64) -> Self {
        let max_delay_ms = max_delay_secs.saturating_mul(1000);
        let gap = (max_delay_ms / 4).min(60_000);
        Self {
            max_delay_ms,
            min_gap_ms: gap,
            quiet_ms: gap,
        }
    }
}

/// `base` plus a uniform random part of up to `base` again.
fn jittered(base: u64, random: u64) -> i64 {
    let extra = if base == 0 { 0 } else { random % (base + 1) };
    i64::try_from(base + extra).unwrap_or(i64::MAX)
}

/// The earliest moment an envelope due at `due` may leave, given this device's last
/// authenticated request and last drop (unix milliseconds). `random` supplies the two random
/// parts.
pub fn departure(
    due: i64,
    last_auth: Option<i64>,
    last_drop: Option<i64>,
    policy: DeparturePolicy,
    random: [u64; 2],
) -> i64 {
    let mut at = due;
    if let Some(auth) = last_auth {
        at = at.max(auth.saturating_add(jittered(policy.quiet_ms, random[0])));
    }
    if let Some(drop) = last_drop {
        at = at.max(drop.saturating_add(jittered(policy.min_gap_ms, random[1])));
    }
    at
}

/// New departure times for the queued envelopes (`(id, due)`) that became due while the device
/// could not send: each its own uniform draw in `[now + quiet, now + quiet + max_delay]`.
/// Envelopes still in the future keep their time.
pub fn replan(
    now: i64,
    queued: &[(i64, i64)],
    policy: DeparturePolicy,
    mut random: impl FnMut() -> u64,
) -> Vec<(i64, i64)> {
    queued
        .iter()
        .filter(|(_, due)| *due <= now)
        .map(|(id, _)| {
            let delay = random() % (policy.max_delay_ms + 1);
            let delay = i64::try_from(policy.quiet_ms + delay).unwrap_or(i64::MAX);
            (*id, now.saturating_add(delay))
        })
        .collect()
}

/// What the drop loop does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing is due.
    Idle,
    /// Envelope `id` may leave now.
    Send(i64),
    /// Envelope `id` is due but must wait until the given time.
    Wait(i64, i64),
}

/// Picks the next step: the envelope due first (of `schedule`, `(id, due)`) leaves now if the
/// rules allow, or else is moved to when they do.
pub fn next_step(
    now: i64,
    schedule: &[(i64, i64)],
    last_auth: Option<i64>,
    last_drop: Option<i64>,
    policy: DeparturePolicy,
    random: [u64; 2],
) -> Step {
    let Some(&(id, due)) = schedule
        .iter()
        .filter(|(_, due)| *due <= now)
        .min_by_key(|(id, due)| (*due, *id))
    else {
        return Step::Idle;
    };
    let at = departure(due, last_auth, last_drop, policy, random);
    if at <= now {
        Step::Send(id)
    } else {
        Step::Wait(id, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so runs repeat exactly.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// Runs the loop on a virtual clock: envelopes queued while offline, the connection back at
    /// `back` right after an authenticated sync. Returns the departure times.
    fn simulate(seed: u64, envelopes: usize, policy: DeparturePolicy) -> (i64, Vec<i64>) {
        let mut random = rng(seed);
        let back = 1_000_000;
        let queued: Vec<(i64, i64)> = (0..envelopes as i64).map(|i| (i, 10 + i)).collect();
        let mut schedule: Vec<(i64, i64)> = queued.clone();
        for (id, at) in replan(back, &queued, policy, &mut random) {
            schedule.iter_mut().find(|(i, _)| *i == id).unwrap().1 = at;
        }
        let last_auth = Some(back);
        let mut last_drop = None;
        let mut now = back;
        let mut sent = Vec::new();
        while !schedule.is_empty() {
            match next_step(
                now,
                &schedule,
                last_auth,
                last_drop,
                policy,
                [random(), random()],
            ) {
                Step::Send(id) => {
                    sent.push(now);
                    last_drop = Some(now);
                    schedule.retain(|(i, _)| *i != id);
                }
                Step::Wait(id, at) => {
                    schedule.iter_mut().find(|(i, _)| *i == id).unwrap().1 = at;
                }
                Step::Idle => {
                    // Sleep until the next envelope is due.
                    now = schedule.iter().map(|(_, at)| *at).min().unwrap();
                }
            }
        }
        (back, sent)
    }

    #[test]
    fn envelopes_queued_offline_leave_apart_and_never_right_after_the_sync() {
        let policy = DeparturePolicy::new(120);
        assert_eq!((policy.quiet_ms, policy.min_gap_ms), (30_000, 30_000));
        for seed in 1..50 {
            let (back, sent) = simulate(seed, 5, policy);
            assert_eq!(sent.len(), 5);
            for t in &sent {
                assert!(
                    *t - back >= 30_000,
                    "seed {seed}: a drop {} ms after the sync",
                    t - back
                );
            }
            for pair in sent.windows(2) {
                assert!(
                    pair[1] - pair[0] >= 30_000,
                    "seed {seed}: back to back: {sent:?}"
                );
            }
        }
    }

    #[test]
    fn departure_times_are_drawn_independently() {
        let policy = DeparturePolicy::new(120);
        // Different runs give different spacings: nothing about the schedule is a fixed pattern.
        let gaps: Vec<Vec<i64>> = (1..6)
            .map(|seed| {
                let (_, sent) = simulate(seed, 3, policy);
                sent.windows(2).map(|p| p[1] - p[0]).collect()
            })
            .collect();
        assert!(gaps.windows(2).any(|g| g[0] != g[1]));
        // Each re-planned delay lies in [quiet, quiet + max].
        let queued: Vec<(i64, i64)> = (0..200).map(|i| (i, 0)).collect();
        let planned = replan(5_000, &queued, policy, rng(7));
        assert_eq!(planned.len(), 200);
        assert!(
            planned
                .iter()
                .all(|(_, at)| (35_000..=155_000).contains(at))
        );
        let (lo, hi) = planned.iter().fold((i64::MAX, 0), |(lo, hi), (_, at)| {
            (lo.min(*at), hi.max(*at))
        });
        assert!(hi - lo > 60_000, "the draws spread over the window");
        // Envelopes still in the future are left alone.
        assert!(replan(5_000, &[(1, 9_000)], policy, rng(7)).is_empty());
    }

    #[test]
    fn a_drop_waits_out_the_quiet_time_after_an_authenticated_request() {
        let policy = DeparturePolicy::new(120);
        let now = 100_000;
        let step = next_step(now, &[(1, 0)], Some(now - 8), None, policy, [0, 0]);
        assert_eq!(step, Step::Wait(1, now - 8 + 30_000));
        assert_eq!(
            next_step(
                now,
                &[(1, 0)],
                Some(now - 61_000),
                Some(now - 61_000),
                policy,
                [5, 5]
            ),
            Step::Send(1)
        );
        assert_eq!(
            next_step(now, &[(1, now + 1)], None, None, policy, [0, 0]),
            Step::Idle
        );
        // Without delays (drop_delay_max_secs = 0) nothing waits.
        let none = DeparturePolicy::new(0);
        assert_eq!(
            next_step(now, &[(1, now)], Some(now), Some(now), none, [9, 9]),
            Step::Send(1)
        );
    }
}
