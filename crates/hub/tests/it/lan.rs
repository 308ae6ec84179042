//! A hub over real sockets on loopback: devices sync with the hub's embedded server while the
//! community server is out of reach (a gate in front of it drops every connection), then the
//! gate opens and the hub's relay brings both sides together.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use porchlight_core::{AlertQuery, Config, Core, HttpConnect, ServerAddr, WhoAmI};
use porchlight_hub::Hub;
use porchlight_model::{
    AlertCategory, Area, Category, LocationPrecision, NewAlert, NewReport, Point, Role, Severity,
    Timestamp,
};
use porchlight_server::{Secret, Settings, TlsMode};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub(crate) const CREATION_TOKEN: &str = "lan-test-token";

pub(crate) fn settings(database: String) -> Settings {
    Settings {
        database,
        group_creation_token: Some(Secret::new(CREATION_TOKEN)),
        tls: TlsMode::Off,
        ..Settings::default()
    }
}

/// A TCP relay in front of a server that can be shut: while shut it closes every connection,
/// the open ones included, as a lost internet link would.
pub(crate) struct Gate {
    pub(crate) url: String,
    open: watch::Sender<bool>,
}

impl Gate {
    pub(crate) async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (open, is_open) = watch::channel(true);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut is_open = is_open.clone();
                if !*is_open.borrow() {
                    continue; // dropped: the connection closes at once
                }
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = is_open.wait_for(|o| !*o) => {}
                    }
                });
            }
        });
        Self { url, open }
    }

    pub(crate) fn set_open(&self, open: bool) {
        self.open.send_replace(open);
    }
}

/// The community server on loopback, with its database (and the hub's, in tests that run one)
/// in a temporary directory.
pub(crate) struct Community {
    pub(crate) addr: SocketAddr,
    dir: tempfile::TempDir,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), porchlight_server::Error>>,
}

impl Community {
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let database = format!("sqlite://{}", dir.path().join("community.db").display());
        let task = tokio::spawn(porchlight_server::launch_with_listener(
            settings(database),
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            addr,
            dir,
            stop,
            task,
        }
    }

    /// A SQLite URL for `name` beside the community server's database.
    pub(crate) fn database(&self, name: &str) -> String {
        format!("sqlite://{}", self.dir.path().join(name).display())
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

pub(crate) struct Device {
    pub(crate) core: Arc<Core>,
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) fn device(name: &str) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        drop_delay_max_secs: 0,
        ..Config::default()
    };
    let core = Core::open_with(dir.path(), config).unwrap();
    core.init(name).unwrap();
    Device {
        core: Arc::new(core),
        dir,
    }
}

pub(crate) fn alert(title: &str) -> NewAlert {
    NewAlert {
        title: title.into(),
        body: String::new(),
        category: AlertCategory::Crime,
        severity: Severity::Warning,
        area: Area::circle(Point::new(40.0, -3.0), 300.0),
        issued_at: Timestamp::now(),
        expires_at: None,
        meeting: None,
        person: None,
    }
}

/// The community server behind a gate, and Carmen's device that founded "Elm Street Watch" on
/// it through the gate.
pub(crate) async fn founded_behind_gate() -> (Community, Gate, Device) {
    let community = Community::start().await;
    let gate = Gate::start(community.addr).await;
    let carmen = device("Carmen");
    carmen
        .core
        .create_group_on(&gate.url, "Elm Street Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();
    (community, gate, carmen)
}

/// A new device that `by` (a coordinator) invites as `role` and that joins at once, with what
/// joining told it.
pub(crate) async fn invited(by: &Device, name: &str, role: Role) -> (Device, WhoAmI) {
    let code = by
        .core
        .invite(role, 1, Duration::from_secs(3600))
        .await
        .unwrap();
    let d = device(name);
    let me = d.core.join(&code.to_string(), name).await.unwrap();
    (d, me)
}

/// Syncs every device until a full round moves nothing.
pub(crate) async fn settle(devices: &[&Core]) {
    for _ in 0..8 {
        let mut moved = 0;
        for d in devices {
            let r = d.sync_once().await.unwrap();
            moved += r.pulled + r.pushed;
        }
        if moved == 0 {
            return;
        }
    }
    panic!("devices did not settle");
}

pub(crate) fn titles(core: &Core) -> Vec<String> {
    let mut t: Vec<String> = core
        .alerts(&AlertQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    t.sort();
    t
}

pub(crate) fn addr(url: &str) -> ServerAddr {
    ServerAddr {
        url: url.to_owned(),
        pin: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_without_internet_syncs_through_the_hub_and_catches_up_when_upstream_appears() {
    // The community server, behind the gate.
    let community = Community::start().await;
    let direct = community.addr;
    let gate = Gate::start(direct).await;

    let carmen = device("Carmen");
    carmen
        .core
        .create_group_on(&gate.url, "Elm Street Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();
    let mut members = Vec::new();
    for (name, role) in [
        ("Victor", Role::Volunteer),
        ("Rita", Role::Resident),
        ("Vera", Role::Volunteer),
    ] {
        let d = device(name);
        let code = carmen
            .core
            .invite(role, 1, Duration::from_secs(3600))
            .await
            .unwrap();
        d.core.join(&code.to_string(), name).await.unwrap();
        members.push(d);
    }
    let [victor, rita, vera] = <[Device; 3]>::try_from(members).ok().unwrap();
    settle(&[&carmen.core, &victor.core, &rita.core, &vera.core]).await;

    // Carmen's desktop starts the hub.
    let hub_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hub = Hub::start(
        carmen.core.clone(),
        settings(community.database("hub.db")),
        hub_listener,
        &addr(&gate.url),
        &HttpConnect,
    )
    .await
    .unwrap();
    hub.relay_now().await.unwrap();

    // The hall loses the internet; everyone there syncs with the hub. Vera is elsewhere and
    // still reaches the community server directly.
    gate.set_open(false);
    for d in [&carmen, &victor, &rita] {
        d.core.switch_server(&addr(hub.local_url())).unwrap();
    }
    vera.core
        .switch_server(&addr(&format!("http://{direct}")))
        .unwrap();
    victor.core.issue_alert(alert("Van on Elm St")).unwrap();
    carmen.core.issue_alert(alert("Meeting moved")).unwrap();
    vera.core.issue_alert(alert("Gate left open")).unwrap();
    let hall: [&Core; 3] = [&carmen.core, &victor.core, &rita.core];
    settle(&hall).await;
    settle(&[&vera.core]).await;
    let seen = titles(&rita.core);
    assert!(seen.contains(&"Van on Elm St".to_owned()), "{seen:?}");
    assert!(!seen.contains(&"Gate left open".to_owned()), "{seen:?}");
    assert!(!titles(&vera.core).contains(&"Van on Elm St".to_owned()));
    // An anonymous report filed in the hall waits: it leaves only for the community server,
    // whose drop tokens Rita holds, never through the coordinator's machine.
    let report = NewReport {
        category: Category::Vandalism,
        description: "Bus shelter glass smashed".into(),
        occurred_at: Timestamp::now(),
        location: Some(Point::new(40.0, -3.0)),
        precision: LocationPrecision::Within100m,
        photos: vec![],
        person: None,
    };
    rita.core.file_report(&report, true).unwrap();
    assert!(rita.core.send_due_drops().await.is_err());
    assert_eq!(rita.core.queued_drops().unwrap(), 1);
    assert!(
        hub.relay_now().await.is_err(),
        "upstream is out of reach while the gate is shut"
    );

    // The internet comes back.
    gate.set_open(true);
    hub.relay_now().await.unwrap();
    assert_eq!(rita.core.send_due_drops().await.unwrap(), 1);
    let all: [&Core; 4] = [&carmen.core, &victor.core, &rita.core, &vera.core];
    settle(&all).await;
    let want = vec![
        "Gate left open".to_owned(),
        "Meeting moved".to_owned(),
        "Van on Elm St".to_owned(),
    ];
    for d in all {
        assert_eq!(titles(d), want);
    }
    // Carmen, still on the hub, reads the drop box of the community server.
    let reports = carmen.core.reports(None).unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let receipts: Vec<_> = all.iter().map(|d| d.sync_receipt().unwrap()).collect();
    for a in &receipts {
        for b in &receipts {
            for (kind, (x, y)) in a.common(b) {
                assert_eq!(x, y, "{kind} differs");
            }
        }
    }

    hub.stop().await.unwrap();
    community.stop().await;
}

/// With a hub named in the invite code, a device syncs with whichever server it can reach:
/// the hub while the community server is out of reach, the community server once the hub is
/// gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_moves_to_whichever_server_it_can_reach() {
    let (community, gate, carmen) = founded_behind_gate().await;
    let hub = Hub::start(
        carmen.core.clone(),
        settings(community.database("hub.db")),
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        &addr(&gate.url),
        &HttpConnect,
    )
    .await
    .unwrap();
    let hub_url = hub.local_url().to_owned();
    carmen.core.set_group_hub(Some(&addr(&hub_url))).unwrap();
    let code = carmen
        .core
        .invite(Role::Volunteer, 1, Duration::from_secs(3600))
        .await
        .unwrap();
    let text = code.to_string();
    assert!(
        text.starts_with(porchlight_core::INVITE_PREFIX_HUB),
        "{text}"
    );
    let victor = device("Victor");
    victor.core.join(&text, "Victor").await.unwrap();
    settle(&[&carmen.core, &victor.core]).await;
    hub.relay_now().await.unwrap();

    // The community server goes out of reach: both move to the hub by themselves.
    gate.set_open(false);
    victor.core.issue_alert(alert("Van on Elm St")).unwrap();
    victor.core.sync_once().await.unwrap();
    carmen.core.sync_once().await.unwrap();
    for d in [&victor, &carmen] {
        let status = d.core.sync_status().unwrap();
        assert_eq!(status.server.as_deref(), Some(hub_url.as_str()));
    }
    assert_eq!(titles(&carmen.core), vec!["Van on Elm St".to_owned()]);

    // The hub goes away and the community server is back: back they go.
    gate.set_open(true);
    hub.stop().await.unwrap();
    carmen.core.issue_alert(alert("Meeting moved")).unwrap();
    carmen.core.sync_once().await.unwrap();
    victor.core.sync_once().await.unwrap();
    for d in [&victor, &carmen] {
        let status = d.core.sync_status().unwrap();
        assert_eq!(status.server.as_deref(), Some(gate.url.as_str()));
    }
    assert_eq!(
        titles(&victor.core),
        vec!["Meeting moved".to_owned(), "Van on Elm St".to_owned()]
    );
    community.stop().await;
}

/// Only a coordinator's device may run a hub (its roster decides who the hub admits). A
/// resident who tries gets a refusal, no server is left listening, and the resident's device
/// records no hub address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_cannot_run_a_hub_and_nothing_is_recorded() {
    let community = Community::start().await;
    let url = format!("http://{}", community.addr);
    let carmen = device("Carmen");
    carmen
        .core
        .create_group_on(&url, "Elm Street Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();
    let (rita, _) = invited(&carmen, "Rita", Role::Resident).await;
    settle(&[&carmen.core, &rita.core]).await;

    let mut hub_settings = settings(community.database("hub.db"));
    hub_settings.listen = "127.0.0.1:0".parse().unwrap();
    let refused = porchlight_hub::LocalHub::start(rita.core.clone(), hub_settings, None).await;
    assert!(
        matches!(
            refused,
            Err(porchlight_hub::HubError::Core(
                porchlight_core::CoreError::NotAllowed { .. }
            ))
        ),
        "{refused:?}"
    );
    assert_eq!(rita.core.group_hub().unwrap(), None);

    // Carmen can, and from then on her invites carry the hub's address.
    let mut hub_settings = settings(community.database("hub.db"));
    hub_settings.listen = "127.0.0.1:0".parse().unwrap();
    let hub = porchlight_hub::LocalHub::start(carmen.core.clone(), hub_settings, None)
        .await
        .unwrap();
    assert!(hub.url().starts_with("http://127.0.0.1:"), "{}", hub.url());
    assert_eq!(
        carmen.core.group_hub().unwrap().map(|h| h.url),
        Some(hub.url().to_owned())
    );
    let invite = carmen
        .core
        .invite(Role::Resident, 1, Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(invite.to_string().starts_with("plj3-"));
    hub.stop().await.unwrap();

    community.stop().await;
}
