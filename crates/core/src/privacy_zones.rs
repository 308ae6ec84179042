//! Privacy zones: places a volunteer never wants a patrol track to show (home, a friend's house).
//!
//! The zones live on this device only (local state, never in any document). When fixes are packed
//! into the shared patrol document, every fix inside a zone is cut, and so is every fix near
//! where this patrol started and where it ended, within a radius drawn at random for each patrol
//! (100–250 m), so a track that starts at a front door without a zone set still does not point
//! at it, and the edge of the cut does not give the radius away. The end of a patrol is not known
//! in advance, so the fixes near the latest one stay in the device's buffer until the volunteer
//! has moved on (or the patrol ends and they are dropped). Coordinators keep seeing where the
//! street was covered; they never see the door.

use porchlight_model::{Fix, Point, ValidationError};
use serde::{Deserialize, Serialize};

use crate::drop_tokens::random_u64;

/// Local state key of the zones (JSON list).
pub(crate) const STATE_ZONES: &str = "privacy.zones";
/// Local state key of the running patrol's cut radii and start point (JSON).
pub(crate) const STATE_PATROL_CUT: &str = "privacy.patrol_cut";

/// The smallest and largest zone radius a volunteer may set, in metres. Below 50 m a GPS error
/// alone can put a fix at the door outside the zone; above 2 km the zone would hide whole patrols.
pub const ZONE_RADIUS_MIN_M: f64 = 50.0;
pub const ZONE_RADIUS_MAX_M: f64 = 2_000.0;
/// At most this many zones: enough for home, work and a few relatives.
pub const MAX_ZONES: usize = 20;
const NAME_MAX: usize = 60;

/// The random cut at each end of a patrol lies between these, in metres.
const END_CUT_MIN_M: f64 = 100.0;
const END_CUT_SPREAD_M: f64 = 150.0;

/// A circle on the map the volunteer's shared tracks never enter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PrivacyZone {
    /// What the volunteer calls it ("Home"); shown on this device only.
    pub name: String,
    pub center: Point,
    pub radius_m: f64,
}

impl PrivacyZone {
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.center.validate("zone centre")?;
        if !(ZONE_RADIUS_MIN_M..=ZONE_RADIUS_MAX_M).contains(&self.radius_m) {
            return Err(ValidationError::Radius {
                field: "zone",
                value: self.radius_m,
                min: ZONE_RADIUS_MIN_M,
                max: ZONE_RADIUS_MAX_M,
            });
        }
        let name = self.name.trim();
        if name.is_empty() {
            return Err(ValidationError::Empty { field: "zone name" });
        }
        let len = name.chars().count();
        if len > NAME_MAX {
            return Err(ValidationError::TooLong {
                field: "zone name",
                len,
                max: NAME_MAX,
            });
        }
        Ok(())
    }

    fn contains(&self, p: &Point) -> bool {
        self.center.distance_m(p) <= self.radius_m
    }
}

/// The cut radii of one patrol, drawn when it starts, and its first position once known.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct PatrolCut {
    pub start_m: f64,
    pub end_m: f64,
    pub start: Option<Point>,
}

impl PatrolCut {
    pub fn draw() -> Self {
        let unit = |r: u64| (r >> 11) as f64 / (1u64 << 53) as f64;
        PatrolCut {
            start_m: END_CUT_MIN_M + END_CUT_SPREAD_M * unit(random_u64()),
            end_m: END_CUT_MIN_M + END_CUT_SPREAD_M * unit(random_u64()),
            start: None,
        }
    }
}

/// How many of `fixes` (oldest first) may leave the buffer now: all but the trailing run within
/// `end_m` of the latest fix, which may turn out to be where the patrol ends.
pub(crate) fn settled_len(fixes: &[Fix], end_m: f64) -> usize {
    let Some(latest) = fixes.last() else {
        return 0;
    };
    let mut keep = fixes.len();
    while keep > 0 && fixes[keep - 1].point.distance_m(&latest.point) <= end_m {
        keep -= 1;
    }
    keep
}

/// The fixes that may be shared: none inside a zone, none near the patrol's start.
pub(crate) fn shareable(fixes: &[Fix], zones: &[PrivacyZone], cut: &PatrolCut) -> Vec<Fix> {
    fixes
        .iter()
        .filter(|f| !zones.iter().any(|z| z.contains(&f.point)))
        .filter(|f| {
            cut.start
                .is_none_or(|s| s.distance_m(&f.point) > cut.start_m)
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use porchlight_model::Timestamp;

    use super::*;

    /// A fix `north_m` metres north of a fixed point, `secs` seconds in.
    fn fix(north_m: f64, secs: i64) -> Fix {
        Fix {
            at: Timestamp::from_millis(1_700_000_000_000 + secs * 1000),
            point: Point::new(45.5 + north_m / 111_195.0, -122.6),
            accuracy_m: None,
        }
    }

    #[test]
    fn fixes_in_a_zone_or_near_the_start_are_cut() {
        let home = PrivacyZone {
            name: "Home".into(),
            center: fix(1_000.0, 0).point,
            radius_m: 100.0,
        };
        let cut = PatrolCut {
            start_m: 150.0,
            end_m: 150.0,
            start: Some(fix(0.0, 0).point),
        };
        let walk: Vec<Fix> = (0..25)
            .map(|i| fix(f64::from(i) * 50.0, i64::from(i) * 30))
            .collect();
        let kept = shareable(&walk, std::slice::from_ref(&home), &cut);
        assert!(kept.iter().all(|f| !home.contains(&f.point)));
        assert!(
            kept.iter()
                .all(|f| f.point.distance_m(&walk[0].point) > 150.0)
        );
        // 0..=150 m (4 fixes) and 900..=1100 m (5 fixes) go; the rest stays.
        assert_eq!(kept.len(), 25 - 4 - 5);
    }

    #[test]
    fn the_fixes_near_the_latest_stay_in_the_buffer() {
        let walk: Vec<Fix> = (0..10)
            .map(|i| fix(f64::from(i) * 40.0, i64::from(i)))
            .collect();
        // The last fix is at 360 m: those within 100 m of it (280, 320, 360) wait.
        assert_eq!(settled_len(&walk, 100.0), 7);
        // Standing still: nothing settles.
        let still: Vec<Fix> = (0..5).map(|i| fix(0.0, i)).collect();
        assert_eq!(settled_len(&still, 100.0), 0);
        assert_eq!(settled_len(&[], 100.0), 0);
    }

    #[test]
    fn cut_radii_are_drawn_within_their_range() {
        for _ in 0..50 {
            let cut = PatrolCut::draw();
            for r in [cut.start_m, cut.end_m] {
                assert!((END_CUT_MIN_M..=END_CUT_MIN_M + END_CUT_SPREAD_M).contains(&r));
            }
        }
    }

    #[test]
    fn bad_zones_are_rejected_not_panicking() {
        let ok = PrivacyZone {
            name: "Home".into(),
            center: Point::new(45.5, -122.6),
            radius_m: 150.0,
        };
        assert!(ok.validate().is_ok());
        for bad in [
            PrivacyZone {
                radius_m: 10.0,
                ..ok.clone()
            },
            PrivacyZone {
                radius_m: f64::NAN,
                ..ok.clone()
            },
            PrivacyZone {
                name: "  ".into(),
                ..ok.clone()
            },
            PrivacyZone {
                center: Point::new(95.0, 0.0),
                ..ok.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
