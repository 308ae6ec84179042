use porchlight_model::{AlertCategory, DocId, Severity, Timestamp};
use porchlight_store::{HeldKind, HeldNews};

use super::{CategoryCount, DigestSetting, due_digest, held_for_digest};

/// Central European summer time: local = UTC + 2 h.
const CEST: i32 = 120;
const AT_18: DigestSetting = DigestSetting { hour: Some(18) };

/// `day` May 2026 at h:m:s local time in the zone `offset` minutes from UTC.
fn local(day: u32, h: u32, m: u32, s: u32, offset: i32) -> Timestamp {
    let utc = chrono::NaiveDate::from_ymd_opt(2026, 5, day)
        .and_then(|d| d.and_hms_opt(h, m, s))
        .unwrap()
        .and_utc()
        .timestamp_millis();
    Timestamp::from_millis(utc - i64::from(offset) * 60_000)
}

fn news(category: AlertCategory, kind: HeldKind, at: Timestamp) -> HeldNews {
    HeldNews {
        alert: DocId::random(),
        kind,
        category,
        at,
    }
}

#[test]
fn the_digest_is_due_from_the_chosen_hour_on_and_not_a_millisecond_before() {
    let held = [news(
        AlertCategory::Crime,
        HeldKind::New,
        local(1, 9, 30, 0, CEST),
    )];
    let just_before = local(1, 18, 0, 0, CEST).plus_millis(-1);
    assert_eq!(due_digest(&held, AT_18, None, just_before, CEST), None);
    let due = due_digest(&held, AT_18, None, local(1, 18, 0, 0, CEST), CEST).unwrap();
    assert_eq!(due.digest.alerts, 1);
    assert_eq!(due.released, vec![(held[0].alert, HeldKind::New)]);
    // The same instant in another time zone is another local hour: not due yet at 11:00 in
    // UTC-05:00 (16:00 UTC is 18:00 CEST).
    assert_eq!(
        due_digest(&held, AT_18, None, local(1, 18, 0, 0, CEST), -300),
        None
    );
}

#[test]
fn news_after_the_hour_waits_for_the_next_day() {
    let late = news(
        AlertCategory::Crime,
        HeldKind::New,
        local(1, 18, 0, 1, CEST),
    );
    let held = [late.clone()];
    assert_eq!(
        due_digest(&held, AT_18, None, local(1, 23, 0, 0, CEST), CEST),
        None
    );
    assert_eq!(
        due_digest(&held, AT_18, None, local(2, 17, 59, 59, CEST), CEST),
        None
    );
    let due = due_digest(&held, AT_18, None, local(2, 18, 0, 0, CEST), CEST).unwrap();
    assert_eq!(due.released, vec![(late.alert, HeldKind::New)]);
}

#[test]
fn a_digest_hour_inside_quiet_hours_waits_until_they_end() {
    // Digest at 23:00, quiet 22:00–07:00: nothing at 23:00 or through the night, all of it at
    // 07:00 the next morning (a digest is never urgent).
    let quiet = Some((22 * 60, 7 * 60));
    let at_23 = DigestSetting { hour: Some(23) };
    let held = [news(
        AlertCategory::LostAndFound,
        HeldKind::New,
        local(1, 12, 0, 0, CEST),
    )];
    for now in [
        local(1, 23, 0, 0, CEST),
        local(2, 3, 0, 0, CEST),
        local(2, 6, 59, 0, CEST),
    ] {
        assert_eq!(due_digest(&held, at_23, quiet, now, CEST), None, "{now:?}");
    }
    let due = due_digest(&held, at_23, quiet, local(2, 7, 0, 0, CEST), CEST).unwrap();
    assert_eq!(due.digest.alerts, 1);
    // A digest hour outside quiet hours is not moved.
    assert!(due_digest(&held, AT_18, quiet, local(1, 18, 0, 0, CEST), CEST).is_some());
}

#[test]
fn urgent_news_is_never_held_and_nothing_is_held_without_the_digest() {
    assert!(!held_for_digest(Severity::Urgent, AT_18));
    assert!(held_for_digest(Severity::Warning, AT_18));
    assert!(held_for_digest(Severity::Info, AT_18));
    for s in [Severity::Urgent, Severity::Warning, Severity::Info] {
        assert!(!held_for_digest(s, DigestSetting { hour: None }));
    }
}

#[test]
fn an_app_closed_across_the_hour_gets_one_digest_on_its_next_start() {
    // News on the 1st and on the 2nd before 18:00; the app closed until the 3rd at 09:00: one
    // digest counting all of it. News of the 2nd after 18:00 waits for the 3rd's digest.
    let held = [
        news(
            AlertCategory::SuspiciousActivity,
            HeldKind::New,
            local(1, 17, 0, 0, CEST),
        ),
        news(
            AlertCategory::SuspiciousActivity,
            HeldKind::New,
            local(2, 8, 0, 0, CEST),
        ),
        news(
            AlertCategory::LostAndFound,
            HeldKind::New,
            local(2, 10, 0, 0, CEST),
        ),
        news(
            AlertCategory::Crime,
            HeldKind::Ended,
            local(2, 11, 0, 0, CEST),
        ),
        news(
            AlertCategory::Traffic,
            HeldKind::New,
            local(2, 19, 0, 0, CEST),
        ),
    ];
    let due = due_digest(&held, AT_18, None, local(3, 9, 0, 0, CEST), CEST).unwrap();
    assert_eq!(due.digest.alerts, 3);
    assert_eq!(
        due.digest.categories,
        vec![
            CategoryCount {
                category: AlertCategory::SuspiciousActivity,
                count: 2
            },
            CategoryCount {
                category: AlertCategory::LostAndFound,
                count: 1
            },
        ]
    );
    assert_eq!(due.digest.ended, 1);
    assert_eq!(due.digest.since, local(1, 17, 0, 0, CEST));
    assert_eq!(due.released.len(), 4);
    assert!(!due.released.iter().any(|(id, _)| *id == held[4].alert));
}

#[test]
fn an_empty_digest_sends_nothing() {
    assert_eq!(
        due_digest(&[], AT_18, None, local(1, 18, 0, 0, CEST), CEST),
        None
    );
    assert_eq!(
        due_digest(
            &[],
            DigestSetting { hour: None },
            None,
            local(1, 18, 0, 0, CEST),
            CEST
        ),
        None
    );
}

#[test]
fn turning_the_digest_off_delivers_what_it_held_at_once_but_not_in_quiet_hours() {
    let off = DigestSetting { hour: None };
    let held = [news(
        AlertCategory::Weather,
        HeldKind::New,
        local(1, 9, 0, 0, CEST),
    )];
    assert!(due_digest(&held, off, None, local(1, 9, 5, 0, CEST), CEST).is_some());
    let quiet = Some((9 * 60, 10 * 60));
    assert_eq!(
        due_digest(&held, off, quiet, local(1, 9, 5, 0, CEST), CEST),
        None
    );
}
