//! Runs one parsed command against the core and renders its result.

use std::path::{Path, PathBuf};

use porchlight_core::{
    AlertQuery, Core, CoreError, DemoSize, ExportFormat, ExportKind, parse_expiry,
};
use porchlight_model::{
    Area, DocId, Fix, Meeting, NewAlert, NewObservation, NewReport, PersonDescription,
    PersonDetail, Point, Timestamp, ValidationError, WatchArea,
};
use serde::Serialize;

use crate::args::{
    AlertCmd, AreaCmd, Cli, Command, FormatArg, KindArg, LangArg, MapCmd, PatrolCmd, PersonArgs,
    ReportCmd, StepArg, TokensCmd, ZoneCmd,
};
use crate::{network, text};

/// A failure as the user sees it.
#[derive(Debug)]
pub struct Failure {
    pub kind: &'static str,
    pub message: String,
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        Self {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

impl From<ValidationError> for Failure {
    fn from(e: ValidationError) -> Self {
        CoreError::from(e).into()
    }
}

pub type Out = Result<String, Failure>;

pub fn render<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T) -> String) -> Out {
    if json {
        serde_json::to_string_pretty(value).map_err(|e| Failure {
            kind: "output",
            message: e.to_string(),
        })
    } else {
        Ok(text(value))
    }
}

fn data_dir(given: Option<PathBuf>) -> Result<PathBuf, Failure> {
    given
        .or_else(|| dirs::data_dir().map(|d| d.join("porchlight")))
        .ok_or_else(|| Failure {
            kind: "config",
            message: "no data directory: pass --data-dir DIR".into(),
        })
}

/// A date (midnight UTC) or an RFC 3339 time.
fn day_or_time(field: &'static str, s: &str) -> Result<Timestamp, ValidationError> {
    if s.len() == 10 {
        Timestamp::parse(field, &format!("{s}T00:00:00Z"))
    } else {
        Timestamp::parse(field, s)
    }
}

pub(crate) fn id(s: &str) -> Result<DocId, Failure> {
    Ok(s.parse::<DocId>()?)
}

pub fn run(cli: Cli) -> Out {
    let json = cli.json;
    // Commands that need no device data.
    match cli.command {
        Command::DefaultConfig => return Ok(porchlight_core::DEFAULT_CONFIG.trim_end().to_owned()),
        Command::Serve {
            db,
            listen,
            config,
            default_config,
            print_fingerprint,
        } => {
            let mode = if default_config {
                network::ServeMode::DefaultConfig
            } else if print_fingerprint {
                network::ServeMode::Fingerprint
            } else {
                network::ServeMode::Serve
            };
            return network::serve(db, listen, config.as_deref(), mode);
        }
        _ => {}
    }
    let core = Core::open(&data_dir(cli.data_dir)?)?;
    let now = Timestamp::now();
    match cli.command {
        Command::DefaultConfig | Command::Serve { .. } => unreachable!("handled above"),
        Command::Hub {
            standalone,
            group,
            db,
            listen,
            url,
            config,
        } => {
            let mode = match (standalone, group) {
                (false, _) => network::HubMode::Relay,
                (true, None) => network::HubMode::Alone,
                (true, Some(name)) => network::HubMode::Found(name),
            };
            network::hub(core, &mode, db, listen, url, config.as_deref())
        }
        Command::Group(cmd) => network::group(&core, json, cmd),
        Command::Invite {
            role,
            uses,
            expires,
            png,
        } => network::invite(&core, json, &role, uses, &expires, png.as_deref()),
        Command::Join { code, name } => network::join(&core, json, &code, &name),
        Command::Member(cmd) => network::member(&core, json, cmd),
        Command::Sync { once } => network::sync(core, json, once),
        Command::Status => network::status(&core, json),
        Command::Init { name, group } => {
            core.init(&name)?;
            if let Some(g) = group {
                core.create_group(&g)?;
            }
            render(json, &core.whoami()?, text::whoami)
        }
        Command::Whoami => render(json, &core.whoami()?, text::whoami),
        Command::Alert(AlertCmd::Watch) => network::watch(core, json),
        Command::Alert(cmd) => alert(&core, json, cmd, now),
        Command::Area(cmd) => area(&core, json, cmd),
        Command::Zone(cmd) => zone(&core, json, cmd),
        Command::Patrol(cmd) => patrol(&core, json, cmd, now),
        Command::Report(ReportCmd::Receipts { offline }) => network::receipts(&core, json, offline),
        Command::Partner(cmd) => crate::partners::run(&core, json, cmd),
        Command::Report(ReportCmd::Forward {
            id: r,
            partner,
            out,
        }) => crate::partners::forward(&core, json, &r, &partner, &out),
        Command::Report(cmd) => report(&core, json, cmd, now),
        Command::Tokens(TokensCmd::Sheet { count, out }) => {
            crate::sheet::sheet(&core, json, count, &out)
        }
        Command::Map(cmd) => map(&core, json, cmd),
        Command::Triage {
            id: report,
            status,
            note,
            publish,
        } => {
            let t = core.triage(id(&report)?, status.parse()?, note.as_deref(), publish)?;
            render(json, &t, |t| {
                let published = if publish {
                    " (published to the reporter on next sync)"
                } else {
                    ""
                };
                format!("report {} is now {}{published}", t.report, t.status)
            })
        }
        Command::Export { kind, format, out } => {
            let kind = match kind {
                KindArg::Alerts => ExportKind::Alerts,
                KindArg::Patrols => ExportKind::Patrols,
                KindArg::Reports => ExportKind::Reports,
            };
            let format = match format {
                FormatArg::Csv => ExportFormat::Csv,
                FormatArg::Geojson => ExportFormat::GeoJson,
            };
            let n = core.export(kind, format, &out)?;
            let value = serde_json::json!({ "records": n, "file": out });
            render(json, &value, |_| {
                format!("wrote {n} records to {}", out.display())
            })
        }
        Command::Search { text: query } => {
            let hits = core.search(&query)?;
            let rows: Vec<_> = hits
                .iter()
                .map(
                    |(id, kind, title)| serde_json::json!({"id": id, "kind": kind, "title": title}),
                )
                .collect();
            render(json, &rows, |_| text::search(&hits))
        }
        Command::Stats {
            from: Some(from),
            to: Some(to),
            zone,
            by,
        } => {
            let m = core.measures(&porchlight_core::MeasuresQuery {
                from: day_or_time("from", &from)?,
                to: day_or_time("to", &to)?,
                zone,
                step: match by {
                    StepArg::Week => porchlight_core::TrendStep::Week,
                    StepArg::Month => porchlight_core::TrendStep::Month,
                },
                utc_offset_minutes: 0,
            })?;
            render(json, &m, crate::measures::measures)
        }
        Command::Stats { .. } => render(json, &core.stats()?, text::stats),
        Command::Hotspots {
            from,
            to,
            k,
            cell,
            category,
            geojson,
        } => {
            let time =
                |s: Option<String>, field| s.map(|s| Timestamp::parse(field, &s)).transpose();
            let h = core.hotspots(&porchlight_core::HotspotQuery {
                from: time(from, "from")?,
                to: time(to, "to")?,
                category: category.map(|c| c.parse()).transpose()?,
                cell_m: Some(cell),
                k,
                utc_offset_minutes: 0,
                zone: None,
            })?;
            if let Some(path) = &geojson {
                std::fs::write(path, h.to_geojson()).map_err(|e| Failure {
                    kind: "io",
                    message: format!("{}: {e}", path.display()),
                })?;
            }
            render(json, &h, text::hotspots)
        }
        Command::Summary {
            from,
            to,
            zone,
            lang,
            out,
        } => {
            let written = core.write_summary(
                &porchlight_core::SummaryQuery {
                    from: day_or_time("from", &from)?,
                    to: day_or_time("to", &to)?,
                    zone,
                    lang: match lang {
                        LangArg::En => porchlight_core::SummaryLang::En,
                        LangArg::Es => porchlight_core::SummaryLang::Es,
                    },
                    utc_offset_minutes: 0,
                },
                &out,
            )?;
            render(json, &written, text::summary)
        }
        Command::Demo { records } => {
            let mut progress = |stage: &str, done: usize, total: usize| {
                if !json {
                    eprintln!("demo: {stage} {done}/{total}");
                }
            };
            let size = records.map_or_else(DemoSize::default, DemoSize::records);
            let summary = core.demo_sized(size, &mut progress)?;
            render(json, &summary, text::demo)
        }
    }
}

fn map(core: &Core, json: bool, cmd: MapCmd) -> Out {
    match cmd {
        MapCmd::Import { file } => render(json, &core.import_map(&file)?, text::map_status),
        MapCmd::Status => render(json, &core.map_status()?, |s| match s {
            Some(s) => text::map_status(s),
            None => "the group has no map yet (`porchlight map import FILE`)".into(),
        }),
        MapCmd::DemoPackage { out } => {
            porchlight_core::write_demo_package(&out)?;
            let value = serde_json::json!({ "file": out });
            render(json, &value, |_| format!("wrote {}", out.display()))
        }
    }
}

fn alert(core: &Core, json: bool, cmd: AlertCmd, now: Timestamp) -> Out {
    match cmd {
        AlertCmd::Issue {
            title,
            body,
            area,
            polygon,
            severity,
            category,
            expires,
            starts,
            place,
            person,
        } => {
            let area = match (polygon, area.at, area.radius) {
                (Some(p), _, _) => polygon_area(&p)?,
                (None, Some(at), Some(radius)) => Area::circle(Point::parse("at", &at)?, radius),
                _ => {
                    return Err(ValidationError::Invalid {
                        field: "area",
                        reason: "give --at LAT,LON with --radius M, or --polygon".into(),
                    }
                    .into());
                }
            };
            let alert = NewAlert {
                title,
                body,
                category: category.parse()?,
                severity: severity.parse()?,
                area,
                issued_at: now,
                expires_at: expires.map(|e| parse_expiry(&e, now)).transpose()?,
                meeting: match (starts, place) {
                    (Some(s), Some(place)) => Some(Meeting {
                        starts_at: Timestamp::parse("starts", &s)?,
                        place,
                    }),
                    _ => None,
                },
                person: person_description(person)?,
            };
            render(json, &core.issue_alert(alert)?, text::alert_issued)
        }
        AlertCmd::List {
            near,
            within,
            mine,
            all,
        } => {
            let alerts = if mine {
                core.alerts_for_my_areas(now)?
            } else {
                let touching = match (near, within) {
                    (Some(p), Some(m)) => {
                        let a = Area::circle(Point::parse("near", &p)?, m);
                        a.validate("within")?;
                        Some(a)
                    }
                    _ => None,
                };
                core.alerts(&AlertQuery {
                    touching,
                    live_at: (!all).then_some(now),
                    limit: None,
                })?
            };
            render(json, &alerts, |a| text::alerts(a, now))
        }
        AlertCmd::Ack { id: alert } => {
            let alert = id(&alert)?;
            core.ack_alert(alert)?;
            render(json, &serde_json::json!({ "acknowledged": alert }), |_| {
                format!("acknowledged {alert}")
            })
        }
        AlertCmd::Acks { id: alert } => render(json, &core.alert_acks(id(&alert)?)?, text::acks),
        AlertCmd::Watch => unreachable!("handled by the caller"),
        AlertCmd::Meetings { ics } => {
            if let Some(path) = &ics {
                std::fs::write(path, core.meetings_ics(now)?).map_err(|e| Failure {
                    kind: "io",
                    message: format!("{}: {e}", path.display()),
                })?;
            }
            render(json, &core.upcoming_meetings(now)?, |m| text::meetings(m))
        }
        AlertCmd::Attendance {
            id: alert,
            count,
            members,
        } => {
            let group = core.group()?.ok_or(CoreError::NotJoined)?;
            let members = members
                .iter()
                .map(|who| {
                    group
                        .members
                        .iter()
                        .find(|m| m.device.to_hex() == *who || m.name == *who)
                        .map(|m| m.device)
                        .ok_or_else(|| ValidationError::Invalid {
                            field: "member",
                            reason: format!("no member of the group is called {who:?}"),
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let a = core.record_attendance(id(&alert)?, count, members)?;
            render(json, &a, |a| {
                let n = a.attendance.as_ref().map_or(0, |x| x.count);
                format!("recorded {n} attending {}", a.title)
            })
        }
        AlertCmd::Cancel { id: alert } => render(json, &core.cancel_alert(id(&alert)?)?, |a| {
            format!("cancelled {}", a.id)
        }),
        AlertCmd::Close { id: alert, outcome } => render(
            json,
            &core.close_alert(id(&alert)?, outcome.parse()?)?,
            |a| {
                format!(
                    "closed {} ({})",
                    a.id,
                    a.outcome.map_or("", porchlight_model::AlertOutcome::as_str)
                )
            },
        ),
        AlertCmd::Approve { id: alert } => render(
            json,
            &core.approve_alert(id(&alert)?)?,
            text::alert_approval,
        ),
    }
}

/// A person description from `--person-did` and `--person-detail KIND:TEXT` (checked by the
/// model's rules when the record is).
fn person_description(args: PersonArgs) -> Result<Option<PersonDescription>, Failure> {
    let Some(behaviour) = args.did else {
        return Ok(None);
    };
    let details = args
        .details
        .iter()
        .map(|d| {
            let (kind, text) = d.split_once(':').ok_or_else(|| {
                Failure::from(ValidationError::Invalid {
                    field: "person-detail",
                    reason: format!("{d:?} is not KIND:TEXT (like clothing:red jacket)"),
                })
            })?;
            Ok(PersonDetail {
                kind: kind.parse()?,
                text: text.to_owned(),
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    Ok(Some(PersonDescription { behaviour, details }))
}

fn polygon_area(text: &str) -> Result<Area, Failure> {
    let points = text
        .split_whitespace()
        .map(|p| Point::parse("polygon", p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Area::polygon(points))
}

fn area(core: &Core, json: bool, cmd: AreaCmd) -> Out {
    match cmd {
        AreaCmd::Set { name, at, radius } => {
            let area = WatchArea {
                name,
                area: Area::circle(Point::parse("at", &at)?, radius),
            };
            render(json, &core.set_watch_area(area)?, |a| {
                format!("watching {:?}", a.name)
            })
        }
        AreaCmd::List => render(json, &core.watch_areas()?, |a| text::areas(a)),
        AreaCmd::Remove { name } => {
            let removed = core.remove_watch_area(&name)?;
            if !removed {
                return Err(ValidationError::Invalid {
                    field: "name",
                    reason: format!("no watch area called {name:?}"),
                }
                .into());
            }
            render(json, &serde_json::json!({ "removed": name }), |_| {
                format!("removed {name:?}")
            })
        }
    }
}

fn zone(core: &Core, json: bool, cmd: ZoneCmd) -> Out {
    let mut zones = core.privacy_zones()?;
    match cmd {
        ZoneCmd::Set { name, at, radius } => {
            let zone = porchlight_core::PrivacyZone {
                name: name.trim().to_owned(),
                center: Point::parse("at", &at)?,
                radius_m: radius,
            };
            zones.retain(|z| z.name != zone.name);
            zones.push(zone.clone());
            core.set_privacy_zones(&zones)?;
            render(json, &zone, |z| {
                format!(
                    "shared tracks now leave out {:?} ({} m around it)",
                    z.name, z.radius_m
                )
            })
        }
        ZoneCmd::List => render(json, &zones, |zs| {
            zs.iter()
                .map(|z| {
                    format!(
                        "{}  {:.6},{:.6}  {} m",
                        z.name, z.center.lat, z.center.lon, z.radius_m
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        }),
        ZoneCmd::Remove { name } => {
            let before = zones.len();
            zones.retain(|z| z.name != name);
            if zones.len() == before {
                return Err(ValidationError::Invalid {
                    field: "name",
                    reason: format!("no private place called {name:?}"),
                }
                .into());
            }
            core.set_privacy_zones(&zones)?;
            render(json, &serde_json::json!({ "removed": name }), |_| {
                format!("removed {name:?}")
            })
        }
    }
}

fn patrol(core: &Core, json: bool, cmd: PatrolCmd, now: Timestamp) -> Out {
    match cmd {
        PatrolCmd::Start { title } => {
            let p = core.start_patrol(&title, now)?;
            render(json, &p, |p| {
                format!("started patrol {} ({})", p.id, p.title)
            })
        }
        PatrolCmd::Fix {
            point,
            at,
            accuracy,
        } => {
            let fix = Fix {
                at: at
                    .map(|t| Timestamp::parse("at", &t))
                    .transpose()?
                    .unwrap_or(now),
                point: Point::parse("point", &point)?,
                accuracy_m: accuracy,
            };
            fix.validate()?;
            core.add_fix(fix)?;
            render(json, &fix, |_| String::new())
        }
        PatrolCmd::Note {
            text: note,
            category,
            at,
            photos,
        } => {
            let o = NewObservation {
                at: now,
                point: at.map(|p| Point::parse("at", &p)).transpose()?,
                category: category.parse()?,
                note,
                photos: take_photos(core, &photos)?,
            };
            render(json, &core.add_observation(&o)?, |o| {
                format!("noted ({})", o.category)
            })
        }
        PatrolCmd::End => render(json, &core.end_patrol(now)?, text::patrol_ended),
        PatrolCmd::List { limit } => render(json, &core.patrols(limit, 0)?, |p| text::patrols(p)),
        PatrolCmd::Show { id: patrol } => render(json, &core.patrol(id(&patrol)?)?, text::patrol),
        PatrolCmd::CheckIn { every, stop } => {
            let state = match (every, stop) {
                (_, true) => core.stop_check_ins(now)?,
                (Some(every), false) => core.start_check_ins(interval(&every)?, now)?,
                (None, false) => core.check_in(now)?,
            };
            render(json, &state, text::check_in)
        }
        PatrolCmd::Sos { at, withdraw } => {
            let state = if withdraw {
                core.withdraw_sos(now)?
            } else {
                core.sos(at.map(|p| Point::parse("at", &p)).transpose()?, now)?
            };
            render(json, &state, text::check_in)
        }
        PatrolCmd::Alarms => render(json, &core.patrol_alarms(now)?, |a| text::alarms(a)),
    }
}

/// A check-in interval like `15m` or `1h`.
fn interval(text: &str) -> Result<std::time::Duration, Failure> {
    let start = Timestamp::from_millis(0);
    let end = parse_expiry(text, start).map_err(|_| {
        Failure::from(ValidationError::Invalid {
            field: "every",
            reason: format!("{text:?} is not an interval like 15m or 1h"),
        })
    })?;
    Ok(std::time::Duration::from_millis(
        u64::try_from(end.millis()).unwrap_or(0),
    ))
}

fn report(core: &Core, json: bool, cmd: ReportCmd, now: Timestamp) -> Out {
    match cmd {
        ReportCmd::File {
            category,
            text: description,
            at,
            precision,
            photos,
            anonymous,
            token_code,
            person,
        } => {
            let r = NewReport {
                category: category.parse()?,
                description,
                occurred_at: now,
                location: at.map(|p| Point::parse("at", &p)).transpose()?,
                precision: precision.parse()?,
                photos: Vec::new(),
                person: person_description(person)?,
            };
            if let Some(code) = token_code {
                let id = crate::network::block_on(Core::file_with_token_code(&code, &r))??;
                let value = serde_json::json!({ "report": id, "anonymous": true });
                return render(json, &value, |_| {
                    format!(
                        "filed report {id} anonymously with a token code; it is sealed for the \
                         group's coordinators only"
                    )
                });
            }
            // Check the report before taking in photos, so a typo costs no photo work.
            let mut r = r.validate()?;
            r.photos = take_photos(core, &photos)?;
            let receipt = core.file_report(&r, anonymous)?;
            render(json, &receipt, text::filed)
        }
        ReportCmd::List {
            status,
            assignee,
            priority,
            overdue,
            include_merged,
        } => crate::cases::list(
            core,
            json,
            status.as_deref(),
            assignee.as_deref(),
            priority.as_deref(),
            overdue,
            include_merged,
        ),
        cmd @ (ReportCmd::Assign { .. }
        | ReportCmd::Priority { .. }
        | ReportCmd::Close { .. }
        | ReportCmd::History { .. }
        | ReportCmd::Duplicates { .. }
        | ReportCmd::Merge { .. }
        | ReportCmd::Unmerge { .. }
        | ReportCmd::Due { .. }) => crate::cases::run(core, json, cmd),
        ReportCmd::Show {
            id: report,
            save_photos,
        } => {
            let entry = core.report(id(&report)?)?;
            let saved = match &save_photos {
                Some(dir) => save_report_photos(core, &entry.report, dir)?,
                None => Vec::new(),
            };
            let value = serde_json::json!({ "report": entry, "saved": saved });
            render(json, &value, |_| text::report(&entry, &saved))
        }
        ReportCmd::Followup {
            id: report,
            text: note,
        } => {
            let receipt = core.follow_up(id(&report)?, &note)?;
            render(json, &receipt, |r| {
                format!(
                    "follow-up added to report {}; it is sealed and queued, and leaves on next sync",
                    r.report
                )
            })
        }
        ReportCmd::Forget { include_unsent } => {
            let gone = core.forget_my_reports(include_unsent)?;
            render(json, &gone, |g| {
                format!(
                    "deleted {} report(s) and {} photo(s) from this device; {} unsent report(s) dropped",
                    g.receipts, g.photos, g.unsent
                )
            })
        }
        ReportCmd::Receipts { .. } | ReportCmd::Forward { .. } => {
            unreachable!("handled before")
        }
    }
}

/// Reads and takes in each photo file, naming the file in any error.
fn take_photos(core: &Core, files: &[PathBuf]) -> Result<Vec<String>, Failure> {
    files
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| Failure {
                kind: "io",
                message: format!("{}: {e}", path.display()),
            })?;
            let photo = core.add_photo(&bytes).map_err(|e| Failure {
                kind: e.kind(),
                message: format!("{}: {e}", path.display()),
            })?;
            Ok(photo.hash)
        })
        .collect()
}

/// Writes a report's photos as `<report>-<n>.jpg` files; photos still on their way are skipped
/// and say so.
fn save_report_photos(
    core: &Core,
    report: &porchlight_model::Report,
    dir: &Path,
) -> Result<Vec<PathBuf>, Failure> {
    std::fs::create_dir_all(dir).map_err(|e| Failure {
        kind: "io",
        message: format!("{}: {e}", dir.display()),
    })?;
    let mut saved = Vec::new();
    for (n, hash) in report.photos.iter().enumerate() {
        let Some(bytes) = core.photo(hash)? else {
            eprintln!(
                "photo {} of {} has not arrived yet",
                n + 1,
                report.photos.len()
            );
            continue;
        };
        let path = dir.join(format!("{}-{}.jpg", report.id, n + 1));
        std::fs::write(&path, bytes).map_err(|e| Failure {
            kind: "io",
            message: format!("{}: {e}", path.display()),
        })?;
        saved.push(path);
    }
    Ok(saved)
}
