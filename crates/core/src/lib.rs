//! `Core` is the one handle the desktop/mobile shell and the CLI use. It owns the device identity,
//! its settings and its local store, and offers every command as a method.
//!
//! It never prints and never exits the process: every outcome is a value or a [`CoreError`].

mod alarm_notices;
mod alerts;
mod app_lock;
mod attendance;
mod cases;
mod config;
mod coverage;
mod demo;
pub mod departures;
mod digest;
mod drop_tokens;
mod drops;
mod error;
mod exchange;
mod export;
mod filters;
mod following;
mod forward;
mod hotspots;
mod html;
mod identity;
mod incident_map;
mod maps;
mod matching;
mod measures;
mod membership;
mod parallel;
mod partners;
mod patrol_safety;
mod patrols;
mod photos;
pub mod privacy_zones;
#[cfg(test)]
mod readers_tests;
mod reports;
mod summary;
mod sync;
mod token_sheet;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use porchlight_crdt::{create_group, read_group};
use porchlight_model::{DeviceId, DocId, DocKind, Group, Role, Timestamp, WatchArea, hex};
use porchlight_store::{Reader, Readers, Store, set_state_in};
use serde::Serialize;

pub use alerts::parse_expiry;
pub use cases::{
    CaseFilter, CaseHistoryEntry, DUPLICATE_RADIUS_M, DUPLICATE_WINDOW_MS, DuplicatePair,
};
pub use config::{CONFIG_FILE, Config, DEFAULT_CONFIG};
pub use coverage::{COVER_RADIUS_M, ZoneCoverage};
pub use demo::{DemoSize, DemoSummary};
pub use digest::{CategoryCount, Digest, DigestSetting};
pub use error::{CoreError, Result};
pub use export::{ExportFormat, ExportKind};
pub use filters::PatrolFilter;
pub use forward::{ForwardPacket, Forwarded, packet_reference};
pub use hotspots::{
    DEFAULT_CELL_M, Direction, HeatCell, HotspotCell, HotspotQuery, Hotspots, Shown, ZoneComparison,
};
pub use incident_map::{
    AlertMarker, CLUSTER_PX, Cluster, IncidentMap, IncidentQuery, MAX_TRACKS, MapSize,
};
pub use maps::{MapProblem, MapStatus, write_demo_package};
pub use matching::{AckSummary, AlertNews, MatchedAlert};
pub use measures::{
    Measures, MeasuresQuery, MeetingAttendance, Spread, Totals, TrendPoint, TrendStep,
    VolunteerMeasures, VolunteerWeek, nearest_rank,
};
pub use patrol_safety::{AlarmKind, CHECK_IN_MAX, CHECK_IN_MIN, CheckInState, PatrolAlarm};
pub use patrols::PatrolDetail;
pub use photos::{PhotoInfo, RelayedBlob};
/// The record types the commands take and return, for front ends (the app, the CLI).
pub use porchlight_model as model;
pub use porchlight_store::{
    AlertQuery, DocChanges, Forgotten, PageCursor, PatrolPage, PatrolSummary, PatrolTotals,
    PatrolTrack, Quarantined, Receipt, ReportEntry, ReportPage, ReportPoint, ReportQuery, Stats,
};
pub use porchlight_sync::{
    Connect, Fingerprint, HttpConnect, HubAddress, INVITE_PREFIX, INVITE_PREFIX_HUB, InviteCode,
    Remote, ServerAddr, check_server_url, format_fingerprint, parse_fingerprint, wire::Member,
};
pub use privacy_zones::PrivacyZone;
pub use summary::{
    Block as SummaryBlock, Figure as SummaryFigure, Shape as SummaryShape, ShapeRole, Summary,
    SummaryFormat, SummaryLang, SummaryQuery, SummaryWritten,
};
pub use sync::{
    HUB_SERVICE_TYPE, HubMember, HubRoster, StandaloneServer, SyncReceipt, SyncReport, SyncStatus,
    SyncTask,
};
pub use token_sheet::{TOKEN_SHEET_MAX, token_sheet_html};

const DB_FILE: &str = "porchlight.db";
/// Read-only connections beside the writer: the UI's queries, each short, rarely need more.
const READERS: usize = 3;
const STATE_NAME: &str = "name";
const STATE_GROUP: &str = "group";
const STATE_PATROL: &str = "current_patrol";

/// Who this device is.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    pub device_id: DeviceId,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// The Automerge actor id of this device's writes, hex (the device id's bytes).
    pub actor_id: String,
    pub name: Option<String>,
    pub role: Role,
    pub group: Option<GroupInfo>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GroupInfo {
    pub id: DocId,
    pub name: String,
}

/// Something the UI may want to react to.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CoreEvent"))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// A sync finished (or failed); the status says how things stand.
    SyncStatus(SyncStatus),
    /// Alerts that newly touch this device's watch areas, and cancellations of ones it heard of.
    Alerts(AlertNews),
    /// The group's offline map: imported, or more of it downloaded (see `MapStatus::ready`).
    Map(MapStatus),
    /// A fix was recorded on the running patrol: its totals now.
    PatrolTotals(PatrolTotals),
}

#[derive(Debug)]
pub struct Core {
    dir: PathBuf,
    identity: identity::Identity,
    config: Config,
    /// The one writer. A sync holds it for a whole pulled page.
    store: Mutex<Store>,
    /// How this core reaches servers: the network, or (in tests) a simulated one.
    connect: Arc<dyn Connect>,
    /// The remote for this device's server, made on first use (it keeps the session).
    /// The remote for the current server, with that server's URL: another process on the same
    /// data directory (`porchlight sync` beside `porchlight hub`) may move the device to
    /// another server, and this one must follow rather than sync one server's log against the
    /// other's cursor.
    remote: Mutex<Option<(String, Arc<dyn Remote>)>>,
    /// The community server's remote while this device syncs with a hub (see `sync/hub.rs`).
    home: Mutex<Option<Arc<dyn Remote>>>,
    /// Set when the core shuts down: every background task started for it stops.
    stopping: tokio::sync::watch::Sender<bool>,
    /// Read-only WAL connections: reads answer from the last commit, never waiting for the
    /// writer.
    readers: Readers,
    events: tokio::sync::broadcast::Sender<Event>,
    /// Woken after every local write, so the sync task pushes it promptly.
    local_change: tokio::sync::Notify,
    /// Woken when a sealed envelope is queued, so the sync task can time its departure.
    drop_queued: tokio::sync::Notify,
    /// The group's map package, open for tiles once it is on this device.
    tiles: Mutex<Option<maps::package::TileSource>>,
    /// The newest patrols' safety as last read, by document heads (see `patrol_alarms`).
    safety_seen: Mutex<std::collections::HashMap<DocId, patrol_safety::SafetySeen>>,
}

impl Core {
    /// Opens the device's data directory, creating it, its key and its store on first use.
    pub fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|source| CoreError::Io {
            path: data_dir.to_owned(),
            source,
        })?;
        let config = Config::load(data_dir)?;
        Self::open_with(data_dir, config)
    }

    /// Like [`Core::open`] with settings the caller already has.
    pub fn open_with(data_dir: &Path, config: Config) -> Result<Self> {
        Self::open_with_connect(data_dir, config, Arc::new(HttpConnect))
    }

    /// Like [`Core::open_with`], reaching servers through `connect` instead of the network (an
    /// in-process server, a simulated network).
    pub fn open_with_connect(
        data_dir: &Path,
        config: Config,
        connect: Arc<dyn Connect>,
    ) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|source| CoreError::Io {
            path: data_dir.to_owned(),
            source,
        })?;
        let identity = identity::Identity::load_or_create(data_dir)?;
        let path = data_dir.join(DB_FILE);
        // The writer first: it creates and migrates the file the readers open.
        let store = Store::open(&path)?.with_actor(identity.device());
        let readers = Readers::open(&path, READERS)?;
        let core = Self {
            dir: data_dir.to_owned(),
            identity,
            config,
            store: Mutex::new(store),
            connect,
            remote: Mutex::new(None),
            home: Mutex::new(None),
            stopping: tokio::sync::watch::channel(false).0,
            readers,
            events: tokio::sync::broadcast::channel(256).0,
            local_change: tokio::sync::Notify::new(),
            drop_queued: tokio::sync::Notify::new(),
            tiles: Mutex::new(None),
            safety_seen: Mutex::new(std::collections::HashMap::new()),
        };
        Ok(core)
    }

    /// Stops the background tasks started for this core and closes the store. Dropping the core
    /// closes the store too; this makes the moment explicit.
    pub fn shutdown(self) {
        self.stop_background();
        drop(self);
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn device(&self) -> DeviceId {
        self.identity.device()
    }

    /// Events as they happen (sync progress, and more to come). Slow receivers miss old events
    /// rather than holding the core back.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Tells the sync task there is something new to push.
    pub(crate) fn changed_locally(&self) {
        self.local_change.notify_one();
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to keep using.
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A read-only connection for a query that writes nothing and needs no write of its own
    /// to be atomic with it: it sees the last committed state and never waits for a sync.
    pub(crate) fn reader(&self) -> Reader<'_> {
        self.readers.get()
    }

    /// Sets this device's display name (and creates its identity, if this is the first start).
    pub fn init(&self, name: &str) -> Result<WhoAmI> {
        let name = porchlight_model::validate_name("name", name)?;
        self.store().set_state(STATE_NAME, Some(&name))?;
        self.whoami()
    }

    pub fn whoami(&self) -> Result<WhoAmI> {
        let store = self.reader();
        let group = store.group()?;
        let role = role_in(&store, group.as_ref(), self.device())?;
        Ok(WhoAmI {
            device_id: self.device(),
            public_key: hex(self.identity.public_key().as_bytes()),
            actor_id: hex(self.device().as_bytes()),
            name: store.state(STATE_NAME)?,
            role,
            group: group.map(|g| GroupInfo {
                id: g.id,
                name: g.name,
            }),
        })
    }

    /// The name others see for this device.
    pub fn display_name(&self) -> Result<String> {
        Ok(self
            .reader()
            .state(STATE_NAME)?
            .unwrap_or_else(|| format!("Device {}", &self.device().to_hex()[..6])))
    }

    /// This device's role: its role in its group, or coordinator of its own data when it has
    /// not joined one.
    pub fn role(&self) -> Result<Role> {
        let store = self.reader();
        let group = store.shared_group()?;
        role_in(&store, group.as_deref(), self.device())
    }

    pub(crate) fn require(
        &self,
        allowed: impl Fn(Role) -> bool,
        action: &'static str,
    ) -> Result<Role> {
        self.require_in(&self.reader(), allowed, action)
            .map(|(role, _)| role)
    }

    /// `require` on a store the caller goes on reading, with the group it read: a list call
    /// needs the group's zones too, and reading (and parsing) the group twice cost as much as
    /// the page itself.
    pub(crate) fn require_in(
        &self,
        store: &Store,
        allowed: impl Fn(Role) -> bool,
        action: &'static str,
    ) -> Result<(Role, Option<Arc<Group>>)> {
        let group = store.shared_group()?;
        let role = role_in(store, group.as_deref(), self.device())?;
        if allowed(role) {
            Ok((role, group))
        } else {
            Err(CoreError::NotAllowed { role, action })
        }
    }

    /// Creates a group on this device, with this device as its coordinator.
    pub fn create_group(&self, name: &str) -> Result<Group> {
        let member_name = self.display_name()?;
        let device = self.device();
        let mut store = self.store();
        if let Some(g) = store.group()? {
            return Err(porchlight_model::ValidationError::Invalid {
                field: "group",
                reason: format!("this device already belongs to the group {:?}", g.name),
            }
            .into());
        }
        let doc = store.create(
            |_| {
                create_group(
                    DocId::random(),
                    name,
                    device,
                    &member_name,
                    // Certified (with the server's group id) when the group goes on a server.
                    None,
                    Timestamp::now(),
                )
            },
            |tx, doc| set_state_in(tx, STATE_GROUP, Some(&doc.id().to_string())),
        )?;
        self.changed_locally();
        Ok(read_group(&doc)?)
    }

    /// This device's public sealing key (see `porchlight_sync::seal`).
    pub(crate) fn own_seal_key(&self) -> Option<[u8; 32]> {
        porchlight_sync::seal::sealing_public(self.identity.public_key().as_bytes())
    }

    pub fn group(&self) -> Result<Option<Group>> {
        Ok(self.reader().group()?)
    }

    pub fn watch_areas(&self) -> Result<Vec<WatchArea>> {
        Ok(self.reader().watch_areas()?)
    }

    pub fn remove_watch_area(&self, name: &str) -> Result<bool> {
        Ok(self.store().remove_watch_area(name)?)
    }

    pub fn stats(&self) -> Result<Stats> {
        Ok(self.reader().stats(Timestamp::now())?)
    }

    /// Full-text search across alerts, patrols and reports this device can read.
    pub fn search(&self, text: &str) -> Result<Vec<(DocId, DocKind, String)>> {
        Ok(self.reader().search(text, 50)?)
    }

    /// Recreates every query table from the documents (a repair tool; also used by tests).
    pub fn rebuild_projections(&self) -> Result<()> {
        Ok(self.store().rebuild_projections()?)
    }

    /// A hash of every query table's content.
    pub fn projection_digest(&self) -> Result<String> {
        Ok(self.reader().projection_digest()?)
    }

    /// Local changes not yet acknowledged by a server.
    pub fn pending_changes(&self) -> Result<u64> {
        Ok(self.reader().outbox_len()?)
    }
}

/// This device's role: as the group's roster lists it; else as the server granted it on joining
/// (the roster catches up when a coordinator syncs); else, with no group at all, coordinator of
/// its own data.
///
/// The granted role is read only when the roster does not list the device: every command
/// checks the role, and for a listed member that read was a query for nothing (P4).
fn role_in(store: &Store, group: Option<&Group>, device: DeviceId) -> Result<Role> {
    if let Some(m) = group.and_then(|g| g.members.iter().find(|m| m.device == device)) {
        return Ok(m.role);
    }
    let granted = store
        .state(sync::STATE_ROLE)?
        .and_then(|r| r.parse::<Role>().ok());
    Ok(match (granted, group) {
        (Some(role), _) => role,
        (None, None) => Role::Coordinator,
        (None, Some(_)) => Role::Resident,
    })
}
