//! The records the benchmark writes: half alerts, half patrols with a GPS track and one
//! observation each (a patrol is 5 changes: start, two packed track chunks, the observation, the
//! end), deterministic for a given seed, written through the core as a member's device would.

use porchlight_core::Core;
use porchlight_model::{
    AlertCategory, Area, Category, DocId, Fix, NewAlert, NewObservation, Point, Severity, Timestamp,
};

use crate::error::Result;

const DAY: i64 = 86_400_000;
/// Fixes per patrol: 75 s at one a second packs into two 30-second chunks plus the rest at the end.
const FIXES: i64 = 75;

/// xorshift64*: reproducible and enough for spreading records around a city.
#[derive(Debug)]
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn point(&mut self) -> Point {
        Point::new(
            45.5 + (self.unit() - 0.5) * 0.3,
            -122.6 + (self.unit() - 0.5) * 0.4,
        )
    }
}

pub fn new_alert(rng: &mut Rng, i: usize) -> NewAlert {
    let now = Timestamp::now();
    NewAlert {
        title: format!("Bench alert {i}: car break-ins on the block"),
        body: "Several cars were broken into overnight; please keep valuables out of sight."
            .to_owned(),
        category: AlertCategory::Crime,
        severity: Severity::Warning,
        area: Area::circle(rng.point(), 200.0 + rng.unit() * 800.0),
        issued_at: now,
        expires_at: Some(now.plus_millis(30 * DAY)),
        meeting: None,
        person: None,
    }
}

/// Issues `count` alerts; returns their ids.
pub fn alerts(core: &Core, rng: &mut Rng, from: usize, count: usize) -> Result<Vec<DocId>> {
    let mut ids = Vec::with_capacity(count);
    for i in from..from + count {
        ids.push(core.issue_alert(new_alert(rng, i))?.id);
    }
    Ok(ids)
}

/// Records `count` patrols one after another.
pub fn patrols(core: &Core, rng: &mut Rng, from: usize, count: usize) -> Result<()> {
    let start = Timestamp::now().millis() - 60 * DAY;
    for i in from..from + count {
        let at = start + i as i64 * 600_000;
        core.start_patrol(&format!("Bench patrol {i}"), Timestamp::from_millis(at))?;
        let mut p = rng.point();
        for k in 0..FIXES {
            p = Point::new(p.lat + 0.00001, p.lon + 0.000_01 * rng.unit());
            core.add_fix(Fix {
                at: Timestamp::from_millis(at + k * 1000),
                point: p,
                accuracy_m: Some(5.0),
            })?;
            if k == FIXES / 2 {
                core.add_observation(&NewObservation {
                    at: Timestamp::from_millis(at + k * 1000),
                    point: Some(p),
                    category: Category::AllClear,
                    note: "All quiet on this stretch".to_owned(),
                    photos: Vec::new(),
                })?;
            }
        }
        core.end_patrol(Timestamp::from_millis(at + FIXES * 1000))?;
    }
    Ok(())
}
