//! Per-address rate limits for the endpoints that take no token (`POST /v1/drop`,
//! `GET /v1/replies/{id}`), where there is nobody else to hold to account.
//!
//! Addresses live only in this map, in memory: they are never logged, never stored and never
//! leave this module. An entry is forgotten as soon as its bucket has filled up again (an hour at
//! most), because a full bucket behaves exactly like no entry; a sweep every minute keeps the
//! map as small as the set of addresses that asked within the last hour.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};

const HOUR: i64 = 3600;
/// How often (in seconds of the server clock) full buckets are swept out.
const SWEEP_EVERY: i64 = 60;
/// A hard ceiling on tracked addresses, so a flood from many addresses cannot grow the map
/// without bound. Beyond it new addresses go unlimited until the next sweep frees room: refusing
/// them instead would let whoever fills the map shut the drop box for everyone, and someone
/// with that many addresses is not held back by a per-address limit anyway.
const MAX_TRACKED: usize = 100_000;

/// A token bucket per address: `per_hour` requests at once, refilled evenly over an hour.
/// Counted in integer units (one request costs [`HOUR`] units, an hour refills `per_hour` of
/// them per second) so no rounding ever decides whether a request gets through.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_hour: u64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    buckets: HashMap<IpAddr, Bucket>,
    next_sweep: i64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    units: u64,
    /// When `units` was last brought up to date (unix seconds).
    at: i64,
}

const COST: u64 = HOUR as u64;

impl RateLimiter {
    pub fn new(per_hour: u32) -> Self {
        Self {
            per_hour: u64::from(per_hour),
            state: Mutex::default(),
        }
    }

    /// Takes one request's worth for `addr` at `now` (unix seconds of the server clock). When
    /// the address has none left, returns how many seconds until it has one again.
    pub fn check(&self, addr: IpAddr, now: i64) -> Result<(), u64> {
        let capacity = self.per_hour * COST;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if now >= state.next_sweep || state.buckets.len() >= MAX_TRACKED {
            let per_hour = self.per_hour;
            state
                .buckets
                .retain(|_, b| refilled(*b, now, per_hour) < capacity);
            state.next_sweep = now + SWEEP_EVERY;
        }
        let key = key(addr);
        let Some(bucket) = state.buckets.get_mut(&key) else {
            if state.buckets.len() < MAX_TRACKED {
                state.buckets.insert(
                    key,
                    Bucket {
                        units: capacity.saturating_sub(COST),
                        at: now,
                    },
                );
            }
            return Ok(());
        };
        bucket.units = refilled(*bucket, now, self.per_hour);
        // A clock that steps back must not hand out the same seconds twice.
        bucket.at = bucket.at.max(now);
        if bucket.units >= COST {
            bucket.units -= COST;
            Ok(())
        } else {
            Err((COST - bucket.units).div_ceil(self.per_hour.max(1)))
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .buckets
            .len()
    }
}

fn refilled(bucket: Bucket, now: i64, per_hour: u64) -> u64 {
    let elapsed = (now - bucket.at).max(0) as u64;
    bucket
        .units
        .saturating_add(elapsed.saturating_mul(per_hour))
        .min(per_hour * COST)
}

/// One IPv6 subscriber usually holds a whole /64, so that is what counts as one address; an
/// IPv4 address written as IPv6 (`::ffff:a.b.c.d`) counts as the IPv4 address.
fn key(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 @ IpAddr::V4(_) => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_gets_its_hourly_allowance_then_waits() {
        let limiter = RateLimiter::new(3);
        let a = ip("192.0.2.1");
        for _ in 0..3 {
            assert_eq!(limiter.check(a, 1000), Ok(()));
        }
        // One request's worth comes back every 1200 seconds.
        assert_eq!(limiter.check(a, 1000), Err(1200));
        assert_eq!(limiter.check(a, 1600), Err(600));
        assert_eq!(limiter.check(a, 2200), Ok(()));
        assert!(limiter.check(a, 2200).is_err());
        // Another address has its own allowance.
        assert_eq!(limiter.check(ip("192.0.2.2"), 2200), Ok(()));
    }

    #[test]
    fn an_ipv6_slash_64_counts_as_one_address() {
        let limiter = RateLimiter::new(1);
        assert_eq!(limiter.check(ip("2001:db8:1:2::1"), 0), Ok(()));
        assert!(limiter.check(ip("2001:db8:1:2:ffff::9"), 0).is_err());
        assert_eq!(limiter.check(ip("2001:db8:1:3::1"), 0), Ok(()));
        assert_eq!(limiter.check(ip("::ffff:192.0.2.7"), 0), Ok(()));
        assert!(limiter.check(ip("192.0.2.7"), 0).is_err());
    }

    #[test]
    fn addresses_are_forgotten_once_their_bucket_is_full_again() {
        let limiter = RateLimiter::new(60);
        for n in 0..50u8 {
            limiter.check(IpAddr::from([198, 51, 100, n]), 0).unwrap();
        }
        assert_eq!(limiter.tracked(), 50);
        // A minute later each has got its one request back: nothing is left to remember.
        limiter.check(ip("203.0.113.1"), 61).unwrap();
        assert_eq!(limiter.tracked(), 1);
        limiter.check(ip("203.0.113.1"), 3700).unwrap();
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn a_clock_stepping_back_gives_nothing_extra() {
        let limiter = RateLimiter::new(1);
        let a = ip("192.0.2.1");
        limiter.check(a, 5000).unwrap();
        assert!(limiter.check(a, 4000).is_err());
        assert!(limiter.check(a, 5000).is_err());
        assert_eq!(limiter.check(a, 8600), Ok(()));
    }
}
