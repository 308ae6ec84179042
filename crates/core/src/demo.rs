//! A realistic demo neighbourhood, so the app and its maps have something to show on first run:
//! a group with members and zones, a few hundred alerts, patrols with GPS tracks and observations,
//! and reports at every triage stage. Deterministic for a given start time.

use porchlight_crdt::{
    ReplyKeys, add_observation, append_track, create_alert, create_report, end_patrol, join_patrol,
    new_triage, report_actor, set_assignee, set_case_status, set_member, set_priority, set_zone,
    start_patrol,
};
use porchlight_model::{
    AlertCategory, AlertStatus, Area, CaseOutcome, Category, DeviceId, DocId, DocKind, Fix,
    LocationPrecision, NewAlert, NewObservation, NewReport, Point, Priority, Role, Severity,
    Timestamp, TriageStatus, Zone,
};
use serde::Serialize;

use crate::{Core, Result};

const CENTER: Point = Point::new(45.5145, -122.6265);
const DAY: i64 = 86_400_000;
const MINUTE: i64 = 60_000;

#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DemoSummary {
    pub members: usize,
    pub alerts: usize,
    pub patrols: usize,
    pub fixes: usize,
    pub observations: usize,
    pub reports: usize,
}

/// xorshift64*: small, fast and reproducible; nothing here needs real randomness.
struct Rng(u64);

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
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// A point within ~`km` of the centre, denser towards it.
    fn near(&mut self, km: f64) -> Point {
        let r = km * self.unit().sqrt() / 111.32;
        let a = self.unit() * std::f64::consts::TAU;
        Point::new(
            CENTER.lat + r * a.sin(),
            CENTER.lon + r * a.cos() / CENTER.lat.to_radians().cos(),
        )
    }
}

const MEMBERS: &[(&str, Role)] = &[
    ("Rosa Delgado", Role::Volunteer),
    ("Tom Becker", Role::Volunteer),
    ("Aisha Khan", Role::Volunteer),
    ("Lena Novak", Role::Volunteer),
    ("Marcus Lee", Role::Coordinator),
    ("Priya Raman", Role::Resident),
    ("Jonas Weber", Role::Resident),
    ("Grace Okafor", Role::Resident),
    ("Sam Ortiz", Role::Resident),
];

const ALERTS: &[(&str, AlertCategory, Severity)] = &[
    (
        "Car break-ins reported overnight",
        AlertCategory::Crime,
        Severity::Warning,
    ),
    (
        "Package thefts from porches",
        AlertCategory::Crime,
        Severity::Info,
    ),
    (
        "Suspicious person checking door handles",
        AlertCategory::SuspiciousActivity,
        Severity::Urgent,
    ),
    (
        "Street light out on the corner",
        AlertCategory::Safety,
        Severity::Info,
    ),
    (
        "Road closed for water main repair",
        AlertCategory::Traffic,
        Severity::Info,
    ),
    (
        "Storm warning: secure bins and furniture",
        AlertCategory::Weather,
        Severity::Warning,
    ),
    (
        "Lost dog: brown terrier, answers to Pepper",
        AlertCategory::LostAndFound,
        Severity::Info,
    ),
    (
        "Community meeting at the library",
        AlertCategory::Meeting,
        Severity::Info,
    ),
    (
        "Van circling the school at pick-up time",
        AlertCategory::SuspiciousActivity,
        Severity::Warning,
    ),
    (
        "Bike stolen from a locked rack",
        AlertCategory::Crime,
        Severity::Info,
    ),
    (
        "Fallen tree blocking the sidewalk",
        AlertCategory::Safety,
        Severity::Warning,
    ),
    (
        "Garage broken into, tools taken",
        AlertCategory::Crime,
        Severity::Urgent,
    ),
];

const OBSERVATIONS: &[(Category, &str)] = &[
    (
        Category::SuspiciousVehicle,
        "Grey van parked with engine running for 20 minutes",
    ),
    (
        Category::Lighting,
        "Street light flickering, needs reporting to the city",
    ),
    (
        Category::Hazard,
        "Broken glass on the footpath near the bus stop",
    ),
    (Category::AllClear, "All quiet along the park edge"),
    (
        Category::SuspiciousPerson,
        "Person looking into parked cars, left when we approached",
    ),
    (
        Category::Vandalism,
        "Fresh graffiti on the community notice board",
    ),
    (
        Category::Noise,
        "Loud party, neighbours already spoke to them",
    ),
];

const REPORTS: &[(Category, &str)] = &[
    (
        Category::Theft,
        "Someone took the delivery from my porch around lunchtime.",
    ),
    (
        Category::SuspiciousVehicle,
        "A white pickup without plates keeps parking by the alley.",
    ),
    (
        Category::Vandalism,
        "Mailboxes on our block were kicked in overnight.",
    ),
    (
        Category::BreakIn,
        "Our shed was forced open; the lock is broken.",
    ),
    (
        Category::Hazard,
        "A manhole cover is loose and rattles when cars pass.",
    ),
    (
        Category::SuspiciousActivity,
        "People going in and out of the empty house late at night.",
    ),
    (
        Category::Noise,
        "Fireworks every night after midnight this week.",
    ),
    (
        Category::Lighting,
        "The path through the park has no working lights.",
    ),
];

const PATROL_TITLES: &[&str] = &[
    "Evening round",
    "School run watch",
    "Park loop",
    "Late shift",
    "Saturday morning walk",
    "Alley check",
];

/// How many records a demo neighbourhood has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoSize {
    pub alerts: usize,
    pub patrols: usize,
    pub reports: usize,
}

impl Default for DemoSize {
    /// A few months of a lively group: 300 alerts, 40 patrols, 120 reports.
    fn default() -> Self {
        Self {
            alerts: 300,
            patrols: 40,
            reports: 120,
        }
    }
}

impl DemoSize {
    /// About `records` records in the default's proportions (for measuring a large group).
    pub fn records(records: usize) -> Self {
        let d = Self::default();
        let whole = d.alerts + d.patrols + d.reports;
        let alerts = records * d.alerts / whole;
        let patrols = records * d.patrols / whole;
        Self {
            alerts,
            patrols,
            reports: records.saturating_sub(alerts + patrols),
        }
    }
}

impl Core {
    /// Fills the store with a demo neighbourhood. `progress` hears (stage, done, total).
    pub fn demo(&self, progress: &mut dyn FnMut(&str, usize, usize)) -> Result<DemoSummary> {
        self.demo_sized(DemoSize::default(), progress)
    }

    /// [`Core::demo`] with another number of records.
    pub fn demo_sized(
        &self,
        size: DemoSize,
        progress: &mut dyn FnMut(&str, usize, usize),
    ) -> Result<DemoSummary> {
        let now = Timestamp::now();
        let mut rng = Rng(0x5eed_f9a7_c0de_0001 ^ 0x9e37_79b9_7f4a_7c15);
        let mut summary = DemoSummary::default();
        let me = self.device();
        if self.group()?.is_none() {
            if self.store().state(crate::STATE_NAME)?.is_none() {
                self.init("Demo Coordinator")?;
            }
            self.create_group("Sunnyside Neighborhood Watch")?;
        }
        let group = self.group()?.map(|g| g.id);
        let members: Vec<(DeviceId, &str)> = MEMBERS
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (DeviceId::from_bytes([i as u8 + 1; 16]), *name))
            .collect();
        if let Some(group) = group {
            let mut store = self.store();
            store.update(
                group,
                DocKind::Group,
                |doc| {
                    for ((device, name), (_, role)) in members.iter().zip(MEMBERS) {
                        set_member(doc, *device, name, *role, now.plus_millis(-30 * DAY))?;
                    }
                    for (i, name) in ["North beat", "Park beat", "School beat"]
                        .iter()
                        .enumerate()
                    {
                        let c = Point::new(CENTER.lat + (i as f64 - 1.0) * 0.006, CENTER.lon);
                        let d = 0.003;
                        let ring = vec![
                            Point::new(c.lat - d, c.lon - d * 1.4),
                            Point::new(c.lat - d, c.lon + d * 1.4),
                            Point::new(c.lat + d, c.lon + d * 1.4),
                            Point::new(c.lat + d, c.lon - d * 1.4),
                        ];
                        let zone = Zone {
                            name: (*name).into(),
                            area: Area::polygon(ring),
                        };
                        set_zone(doc, &zone, now)?;
                    }
                    set_member(doc, me, "Demo Coordinator", Role::Coordinator, now)
                },
                |_, _| Ok(()),
            )?;
            summary.members = MEMBERS.len() + 1;
        }

        let total_alerts = size.alerts;
        for i in 0..total_alerts {
            let (title, category, severity) = *rng.pick(ALERTS);
            let issued_at = now.plus_millis(-(rng.unit() * 60.0 * DAY as f64) as i64);
            let hours = [6, 24, 72, 168][rng.below(4)];
            let area = if rng.below(5) == 0 {
                let c = rng.near(1.2);
                let d = 0.001 + rng.unit() * 0.002;
                Area::polygon(vec![
                    Point::new(c.lat - d, c.lon - d),
                    Point::new(c.lat - d, c.lon + d),
                    Point::new(c.lat + d, c.lon),
                ])
            } else {
                Area::circle(rng.near(1.5), 100.0 + rng.unit() * 700.0)
            };
            let alert = NewAlert {
                title: title.into(),
                body: "Please keep an eye out and report anything unusual through the app.".into(),
                category,
                severity,
                area,
                issued_at,
                expires_at: Some(issued_at.plus_millis(hours * 3_600_000)),
                meeting: (category == AlertCategory::Meeting).then(|| porchlight_model::Meeting {
                    starts_at: issued_at.plus_millis(3 * DAY + 2 * 3_600_000),
                    place: "Sunnyside Library, community room".into(),
                }),
                person: None,
            };
            let cancelled = rng.below(12) == 0;
            let mut store = self.store();
            let doc = store.create(|_| create_alert(DocId::random(), me, &alert), |_, _| Ok(()))?;
            if cancelled {
                let at = issued_at.plus_millis(MINUTE * 30);
                store.update(
                    doc.id(),
                    DocKind::Alert,
                    |d| porchlight_crdt::set_alert_status(d, AlertStatus::Cancelled, at),
                    |_, _| Ok(()),
                )?;
            }
            summary.alerts += 1;
            if i % 25 == 24 {
                progress("alerts", i + 1, total_alerts);
            }
        }

        let total_patrols = size.patrols;
        for i in 0..total_patrols {
            let (walker, walker_name) = *rng.pick(&members[..4]);
            let started = now.plus_millis(-(rng.unit() * 45.0 * DAY as f64) as i64 - 3 * 3_600_000);
            let minutes = 20 + rng.below(50) as i64;
            let mut fixes = Vec::new();
            let mut p = rng.near(0.8);
            let mut heading = rng.unit() * std::f64::consts::TAU;
            for s in 0..(minutes * 12) {
                heading += (rng.unit() - 0.5) * 0.5;
                let step = 6.5 / 111_320.0; // ~1.3 m/s, one fix every 5 s
                p = Point::new(
                    p.lat + step * heading.sin(),
                    p.lon + step * heading.cos() / p.lat.to_radians().cos(),
                );
                fixes.push(Fix {
                    at: started.plus_millis(s * 5_000),
                    point: p,
                    accuracy_m: Some(3.0 + (rng.unit() * 8.0).round() as f32),
                });
            }
            let observations: Vec<NewObservation> = (0..rng.below(4))
                .map(|_| {
                    let (category, note) = *rng.pick(OBSERVATIONS);
                    let fix = fixes[rng.below(fixes.len())];
                    NewObservation {
                        at: fix.at,
                        point: Some(fix.point),
                        category,
                        note: note.into(),
                        photos: vec![],
                    }
                })
                .collect();
            let title = *rng.pick(PATROL_TITLES);
            let ended = started.plus_millis(minutes * MINUTE);
            let mut store = self.store();
            let doc = store.create(
                |_| start_patrol(DocId::random(), me, "Demo Coordinator", title, started),
                |_, _| Ok(()),
            )?;
            store.update(
                doc.id(),
                DocKind::Patrol,
                |d| {
                    join_patrol(d, walker, walker_name, started)?;
                    for chunk in fixes.chunks(6) {
                        append_track(d, chunk, chunk[chunk.len() - 1].at)?;
                    }
                    for o in &observations {
                        add_observation(d, walker, o)?;
                    }
                    end_patrol(d, ended)
                },
                |_, _| Ok(()),
            )?;
            summary.patrols += 1;
            summary.fixes += fixes.len();
            summary.observations += observations.len();
            progress("patrols", i + 1, total_patrols);
        }

        let total_reports = size.reports;
        let statuses = [
            TriageStatus::New,
            TriageStatus::InReview,
            TriageStatus::Forwarded,
            TriageStatus::Closed,
            TriageStatus::Dismissed,
        ];
        for i in 0..total_reports {
            let (category, text) = *rng.pick(REPORTS);
            let occurred = now.plus_millis(-(rng.unit() * 50.0 * DAY as f64) as i64);
            let precision = *rng.pick(&[
                LocationPrecision::Exact,
                LocationPrecision::Within100m,
                LocationPrecision::Within1km,
            ]);
            let report = NewReport {
                category,
                description: text.into(),
                occurred_at: occurred,
                location: (rng.below(6) != 0).then(|| rng.near(1.5)),
                precision,
                photos: vec![],
                person: None,
            };
            let reporter = members[rng.below(members.len())].0;
            let status = *rng.pick(&statuses);
            let delay = MINUTE * (10 + rng.below(48 * 60) as i64);
            // As if it had arrived through the drop box: kept as received changes, so it is
            // never pushed anywhere from here.
            let secret = porchlight_model::random_bytes::<32>();
            let (doc, written) = create_report(
                DocId::random(),
                &report_actor(&secret),
                Some(reporter),
                &report,
                &ReplyKeys::from_secret(&secret),
            )?;
            let mut store = self.store();
            store.apply_remote(doc.id(), DocKind::Report, &[written.bytes])?;
            if status != TriageStatus::New {
                let mut triage = new_triage(doc.id(), me)?;
                let note = (rng.below(2) == 0).then_some("Followed up with the neighbours.");
                // Cases at every stage: outcomes on the ended ones, a spread of priorities,
                // and the volunteers (the first four members) taking some of them on.
                let outcome = match status {
                    TriageStatus::Closed => Some(
                        [
                            CaseOutcome::Resolved,
                            CaseOutcome::Referred,
                            CaseOutcome::NoFurtherAction,
                        ][i % 3],
                    ),
                    TriageStatus::Dismissed => Some(CaseOutcome::NotAnIncident),
                    _ => None,
                };
                let priority = Priority::ALL[i % Priority::ALL.len()];
                let assignee = (i % 3 != 0).then(|| members[i % 4].0);
                let at = occurred.plus_millis(delay);
                store.write(
                    &mut triage,
                    |t| {
                        if priority != Priority::Normal {
                            set_priority(t, priority, at)?;
                        }
                        if assignee.is_some() {
                            set_assignee(t, assignee, at)?;
                        }
                        set_case_status(t, me, status, outcome, note, at)
                    },
                    |_, _| Ok(()),
                )?;
            }
            summary.reports += 1;
            if i % 20 == 19 {
                progress("reports", i + 1, total_reports);
            }
        }
        // Streets for every map, drawn from the layout the project ships (nothing downloaded).
        if group.is_some() && self.role()? == Role::Coordinator {
            progress("map", 0, 1);
            self.import_demo_map()?;
            progress("map", 1, 1);
        }
        Ok(summary)
    }
}
