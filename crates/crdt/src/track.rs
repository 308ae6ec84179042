//! GPS tracks packed as bytes: one chunk holds about 30 s of fixes, delta-encoded.
//!
//! Stored as Automerge byte values, never as lists of floats: that made commits 5× slower and files
//! larger. Layout of a chunk:
//!
//! ```text
//! version u8 (=1) | count varint | first fix: t ms (zigzag), lat, lon (zigzag, 1e-6 deg), acc
//! then per fix:   dt change from the previous dt (zigzag) | dlat | dlon | acc
//! acc: varint, 0 = unknown, otherwise whole metres + 1 (saturating at 65,535)
//! ```
//!
//! A microdegree is at most 11 cm, far finer than any phone's GPS, so nothing useful is lost, and a
//! walking pace moves ~13 microdegrees a second: one byte per coordinate.

use porchlight_model::{Fix, Point, Timestamp};

use crate::error::CrdtError;

const VERSION: u8 = 1;
const SCALE: f64 = 1_000_000.0;

/// The most fixes one chunk may claim, so a hostile chunk cannot make us allocate much.
pub const MAX_FIXES_PER_CHUNK: usize = 4_096;

pub fn encode(fixes: &[Fix]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + fixes.len() * 5);
    out.push(VERSION);
    put_varint(&mut out, fixes.len() as u64);
    let (mut t, mut dt, mut lat, mut lon) = (0i64, 0i64, 0i64, 0i64);
    for (i, fix) in fixes.iter().enumerate() {
        let ft = fix.at.millis();
        let flat = (fix.point.lat * SCALE).round() as i64;
        let flon = (fix.point.lon * SCALE).round() as i64;
        if i == 0 {
            put_signed(&mut out, ft);
            put_signed(&mut out, flat);
            put_signed(&mut out, flon);
        } else {
            let new_dt = ft - t;
            put_signed(&mut out, new_dt - dt);
            put_signed(&mut out, flat - lat);
            put_signed(&mut out, flon - lon);
            dt = new_dt;
        }
        (t, lat, lon) = (ft, flat, flon);
        let acc = fix
            .accuracy_m
            .map_or(0, |a| (a.round() as u64).saturating_add(1).min(65_535));
        put_varint(&mut out, acc);
    }
    out
}

pub fn decode(bytes: &[u8]) -> Result<Vec<Fix>, CrdtError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.byte()? != VERSION {
        return Err(CrdtError::Track("unknown track chunk version"));
    }
    let count = usize::try_from(r.varint()?).map_err(|_| CrdtError::Track("bad count"))?;
    if count > MAX_FIXES_PER_CHUNK {
        return Err(CrdtError::Track("too many fixes in one chunk"));
    }
    let mut fixes = Vec::with_capacity(count);
    let (mut t, mut dt, mut lat, mut lon) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..count {
        if i == 0 {
            t = r.signed()?;
            lat = r.signed()?;
            lon = r.signed()?;
        } else {
            dt = dt
                .checked_add(r.signed()?)
                .ok_or(CrdtError::Track("time overflow"))?;
            t = t.checked_add(dt).ok_or(CrdtError::Track("time overflow"))?;
            lat = lat
                .checked_add(r.signed()?)
                .ok_or(CrdtError::Track("overflow"))?;
            lon = lon
                .checked_add(r.signed()?)
                .ok_or(CrdtError::Track("overflow"))?;
        }
        let acc = r.varint()?;
        let point = Point::new(lat as f64 / SCALE, lon as f64 / SCALE);
        point
            .validate("fix")
            .map_err(|_| CrdtError::Track("coordinate out of range"))?;
        fixes.push(Fix {
            at: Timestamp::from_millis(t),
            point,
            accuracy_m: (acc > 0).then(|| (acc - 1) as f32),
        });
    }
    if r.pos != bytes.len() {
        return Err(CrdtError::Track("trailing bytes"));
    }
    Ok(fixes)
}

/// Total geodesic length of a track, in metres, visiting fixes in time order.
pub fn distance_m(fixes: &[Fix]) -> f64 {
    fixes
        .windows(2)
        .map(|w| w[0].point.distance_m(&w[1].point))
        .sum()
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, CrdtError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(CrdtError::Track("truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, CrdtError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CrdtError::Track("varint too long"))
    }

    fn signed(&mut self) -> Result<i64, CrdtError> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(n: usize) -> Vec<Fix> {
        (0..n)
            .map(|i| Fix {
                at: Timestamp::from_millis(1_700_000_000_000 + i as i64 * 1000),
                point: Point::new(40.0 + i as f64 * 0.000_012, -3.0 - i as f64 * 0.000_007),
                accuracy_m: if i % 3 == 0 { None } else { Some(4.0) },
            })
            .collect()
    }

    #[test]
    fn round_trips_to_the_microdegree() {
        let fixes = walk(30);
        let back = decode(&encode(&fixes)).unwrap();
        assert_eq!(back.len(), 30);
        for (a, b) in fixes.iter().zip(&back) {
            assert_eq!(a.at, b.at);
            assert!((a.point.lat - b.point.lat).abs() < 1e-6);
            assert!((a.point.lon - b.point.lon).abs() < 1e-6);
            assert_eq!(a.accuracy_m, b.accuracy_m);
        }
    }

    #[test]
    fn a_walking_fix_costs_about_four_bytes() {
        let bytes = encode(&walk(30));
        assert!(bytes.len() <= 30 * 5, "{} bytes", bytes.len());
    }

    #[test]
    fn corrupt_chunks_are_rejected_not_panicking() {
        let good = encode(&walk(10));
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_err());
        }
        assert!(decode(&[9, 1]).is_err());
        assert!(decode(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err()); // absurd count
        let mut extra = good.clone();
        extra.push(0);
        assert!(decode(&extra).is_err());
        // Random garbage never panics.
        let mut x = 12345u32;
        for _ in 0..2000 {
            let junk: Vec<u8> = (0..24)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let _ = decode(&junk);
        }
    }
}
