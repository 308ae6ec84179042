//! Devices, a hub and a community server on a seeded simulated network: the real server runs
//! in-process (every check it makes over HTTP, it makes here), links are cut and healed by a
//! schedule drawn from the seed, and some answers are lost on the way back. After healing, rounds
//! run until every device and both servers hold the same; a round that moves nothing before
//! then fails the test. The seed is printed; `PORCHLIGHT_SIM_SEED=N` replays a run.

use std::sync::Arc;

use porchlight_core::{AlertQuery, Config, Core, CoreError, ServerAddr};
use porchlight_hub::{InProcessServer, Relay, SimNet, mirror_members};
use porchlight_model::{
    AlertCategory, Area, DocId, DocKind, Fix, NewAlert, Point, Role, Severity, Timestamp,
};
use porchlight_server::Storage;
use porchlight_sync::wire::{DocChanges, SignedChange, SyncRequest};

const COMMUNITY: &str = "https://community.sim";
const HUB: &str = "https://hub.sim";
/// The hub's relay is its own node: it runs on the coordinator's desktop, but its links are not
/// the coordinator's phone's.
const RELAY: &str = "relay";

fn addr(url: &str) -> ServerAddr {
    ServerAddr {
        url: url.to_owned(),
        pin: None,
    }
}

struct Node {
    name: &'static str,
    core: Arc<Core>,
    _dir: tempfile::TempDir,
}

fn node(net: &SimNet, name: &'static str) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        drop_delay_max_secs: 0,
        ..Config::default()
    };
    let core = Core::open_with_connect(dir.path(), config, net.connect(name)).unwrap();
    core.init(name).unwrap();
    Node {
        name,
        core: Arc::new(core),
        _dir: dir,
    }
}

/// The group: a coordinator and three members on the community server, a hub on the
/// coordinator's desktop (its server mirrors the roster), and two members moved to the hub.
struct World {
    net: SimNet,
    community: Arc<InProcessServer>,
    hub: Arc<InProcessServer>,
    nodes: Vec<Node>,
    relay: Relay,
}

impl World {
    async fn new(net: SimNet) -> Self {
        let community = net.add_server(COMMUNITY).unwrap();
        let hub = net.add_server(HUB).unwrap();
        let carmen = node(&net, "carmen");
        carmen
            .core
            .create_group_on(COMMUNITY, "Elm Street Watch", None)
            .await
            .unwrap();
        let mut nodes = vec![carmen];
        for (name, role) in [
            ("victor", Role::Volunteer),
            ("vera", Role::Volunteer),
            ("rita", Role::Resident),
        ] {
            let n = node(&net, name);
            let code = nodes[0]
                .core
                .invite(role, 1, std::time::Duration::from_secs(3600))
                .await
                .unwrap();
            n.core.join(&code.to_string(), name).await.unwrap();
            nodes.push(n);
        }
        // The coordinator certifies the newcomers; everyone learns the roster.
        for n in &nodes {
            n.core.sync_once().await.unwrap();
        }
        nodes[0].core.sync_once().await.unwrap();
        let coord = nodes[0].core.clone();
        mirror_members(hub.storage(), &coord).await.unwrap();
        let via = net.connect(RELAY);
        let relay = Relay::new(
            coord.hub_roster().unwrap().group,
            coord.remote_on(&addr(HUB), via.as_ref()).unwrap(),
            coord.remote_on(&addr(COMMUNITY), via.as_ref()).unwrap(),
        );
        let mut world = Self {
            net,
            community,
            hub,
            nodes,
            relay,
        };
        world.relay.settle().await.unwrap();
        for n in &world.nodes {
            if matches!(n.name, "victor" | "rita") {
                n.core.switch_server(&addr(HUB)).unwrap();
            }
        }
        world
    }

    fn links(&self) -> Vec<(&'static str, &'static str)> {
        let mut links: Vec<(&str, &str)> = self
            .nodes
            .iter()
            .flat_map(|n| [(n.name, COMMUNITY), (n.name, HUB)])
            .collect();
        links.push((RELAY, COMMUNITY));
        links
    }

    /// One round: everyone syncs once, the hub mirrors and relays once. Returns how many
    /// changes moved anywhere.
    async fn round(&mut self) -> usize {
        let mut moved = 0;
        for n in &self.nodes {
            match n.core.sync_once().await {
                Ok(r) => moved += r.pushed + r.pulled,
                Err(CoreError::Sync(e)) if e.is_offline() => {}
                Err(e) => panic!("seed {}: {} could not sync: {e}", self.net.seed(), n.name),
            }
        }
        mirror_members(self.hub.storage(), &self.nodes[0].core)
            .await
            .unwrap();
        match self.relay.step().await {
            Ok(step) => moved += step.up + step.down,
            Err(e) if e.is_offline() => {}
            Err(e) => panic!("seed {}: the relay failed: {e}", self.net.seed()),
        }
        moved
    }

    /// Someone does something, as the seed says.
    fn work(&self, round: u64) {
        let who = self.net.with_rng(|r| r.below(self.nodes.len() as u64)) as usize;
        let what = self.net.with_rng(|r| r.below(3));
        let n = &self.nodes[who];
        let lat = 40.0 + self.net.with_rng(|r| r.below(1000)) as f64 / 10_000.0;
        match (n.core.role().unwrap(), what) {
            (Role::Resident, _) => {
                // Acknowledge an alert this device has seen, if any.
                let alerts = n.core.alerts(&AlertQuery::default()).unwrap();
                if !alerts.is_empty() {
                    let pick = self.net.with_rng(|r| r.below(alerts.len() as u64)) as usize;
                    n.core.ack_alert(alerts[pick].id).unwrap();
                }
            }
            (Role::Volunteer, 0) => {
                n.core
                    .start_patrol(&format!("Round {round}"), Timestamp::now())
                    .unwrap();
                for i in 0..5 {
                    n.core
                        .add_fix(Fix {
                            at: Timestamp::from_millis(1_780_000_000_000 + i * 1000),
                            point: Point::new(lat + i as f64 * 0.0001, -3.0),
                            accuracy_m: None,
                        })
                        .unwrap();
                }
                n.core.end_patrol(Timestamp::now()).unwrap();
            }
            (Role::Coordinator, 0) => {
                // Cancel any alert: concurrent with its author's devices, maybe.
                let alerts = n.core.alerts(&AlertQuery::default()).unwrap();
                if let Some(a) = alerts.first() {
                    n.core.cancel_alert(a.id).unwrap();
                }
            }
            _ => {
                n.core
                    .issue_alert(NewAlert {
                        title: format!("{} saw something ({round})", n.name),
                        body: String::new(),
                        category: AlertCategory::Crime,
                        severity: Severity::Warning,
                        area: Area::circle(Point::new(lat, -3.0), 200.0),
                        issued_at: Timestamp::now(),
                        expires_at: None,
                        meeting: None,
                        person: None,
                    })
                    .unwrap();
            }
        }
    }

    /// Every device holds what every other may read, nothing is waiting anywhere, and both
    /// servers hold the same log.
    async fn converged(&self) -> bool {
        let receipts: Vec<_> = self
            .nodes
            .iter()
            .map(|n| n.core.sync_receipt().unwrap())
            .collect();
        let same = receipts.iter().all(|a| {
            receipts
                .iter()
                .all(|b| a.common(b).values().all(|(x, y)| x == y))
        });
        let idle = self
            .nodes
            .iter()
            .all(|n| n.core.pending_changes().unwrap() == 0)
            && self.relay.waiting() == 0;
        same && idle && self.log_sizes().await.0 == self.log_sizes().await.1
    }

    async fn log_sizes(&self) -> (u64, u64) {
        let group = self.nodes[0].core.hub_roster().unwrap().group;
        (
            self.community.storage().change_count(group).await.unwrap(),
            self.hub.storage().change_count(group).await.unwrap(),
        )
    }

    /// After healing: rounds until converged; a round that moves nothing first fails.
    async fn settle(&mut self) -> usize {
        for round in 1..=50 {
            if self.converged().await {
                return round;
            }
            let moved = self.round().await;
            let logs = self.log_sizes().await;
            assert!(
                moved > 0 || self.converged().await,
                "seed {}: round {round} after healing moved nothing, yet the devices differ \
                 (logs {logs:?})",
                self.net.seed(),
            );
        }
        panic!("seed {}: no convergence in 50 rounds", self.net.seed());
    }
}

fn seeded(fallback: u64) -> SimNet {
    let net = SimNet::from_env(fallback);
    // Shown with --nocapture, and in the output of a failing test.
    println!("simulated network seed: {}", net.seed());
    net
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_heal_and_everyone_converges() {
    let mut world = World::new(seeded(0x5EED_0013)).await;
    let links = world.links();
    world.net.lose_answers(10);
    for round in 0..24 {
        world.net.shuffle(&links, 35);
        for _ in 0..2 {
            world.work(round);
        }
        world.round().await;
    }
    world.net.heal_all();
    let rounds = world.settle().await;
    println!("converged {rounds} rounds after healing");
    let (community, hub) = world.log_sizes().await;
    assert!(community > 10, "the workload wrote into the log");
    assert_eq!(community, hub);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_on_the_hub_work_without_upstream_then_converge_when_it_appears() {
    let mut world = World::new(seeded(0x00C0_FFEE)).await;
    // The hall has no internet: the relay cannot reach the community server, and everyone in
    // the hall (the coordinator included) syncs with the hub. Vera stays out, on the community
    // server only.
    world.net.cut(RELAY, COMMUNITY);
    for n in &world.nodes {
        if n.name == "vera" {
            world.net.cut(n.name, HUB);
        } else {
            n.core.switch_server(&addr(HUB)).unwrap();
            world.net.cut(n.name, COMMUNITY);
        }
    }
    let (community_before, _) = world.log_sizes().await;
    for round in 0..12 {
        world.work(round);
        world.round().await;
    }
    for _ in 0..3 {
        world.round().await;
    }
    // In the hall, the devices agree with each other through the hub alone.
    let hall: Vec<_> = world
        .nodes
        .iter()
        .filter(|n| n.name != "vera")
        .map(|n| n.core.sync_receipt().unwrap())
        .collect();
    for a in &hall {
        for b in &hall {
            for (kind, (x, y)) in a.common(b) {
                assert_eq!(
                    x,
                    y,
                    "seed {}: {kind} differs in the hall",
                    world.net.seed()
                );
            }
        }
    }
    let (_, hub_during) = world.log_sizes().await;
    assert!(hub_during > community_before, "the hall wrote to the hub");
    // Internet comes back to the hall.
    world.net.heal_all();
    world.settle().await;
}

/// A hub's relay that alters what it passes on: the community server refuses every variant by
/// the author's signature (through the real server), and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_alters_a_change_is_refused_upstream() {
    let world = World::new(SimNet::new(7)).await;
    let victor = &world.nodes[1].core;
    victor
        .issue_alert(NewAlert {
            title: "Van on Elm St".into(),
            body: String::new(),
            category: AlertCategory::Crime,
            severity: Severity::Warning,
            area: Area::circle(Point::new(40.0, -3.0), 200.0),
            issued_at: Timestamp::now(),
            expires_at: None,
            meeting: None,
            person: None,
        })
        .unwrap();
    victor.sync_once().await.unwrap();
    let coord = &world.nodes[0].core;
    let via = world.net.connect(RELAY);
    let hub = coord.remote_on(&addr(HUB), via.as_ref()).unwrap();
    let upstream = coord.remote_on(&addr(COMMUNITY), via.as_ref()).unwrap();
    let page = hub.sync(&SyncRequest::default()).await.unwrap();
    let alert = page
        .pull
        .into_iter()
        .find(|d| d.kind == DocKind::Alert)
        .expect("Victor's alert is on the hub");
    let (bytes, signature) = alert.changes[0].clone().into_parts();
    let mut bad_signature = signature;
    bad_signature[0] ^= 1;
    let mut bad_bytes = bytes.clone();
    let last = bad_bytes.len() - 1;
    bad_bytes[last] ^= 1;
    let forgeries = [
        // Someone else's signature on Victor's change.
        (
            alert.doc,
            DocKind::Alert,
            SignedChange::from_parts(bytes.clone(), bad_signature),
        ),
        // Victor's change and signature, claimed for another document.
        (
            DocId::random(),
            DocKind::Alert,
            SignedChange::from_parts(bytes.clone(), signature),
        ),
        // ... or as another kind.
        (
            alert.doc,
            DocKind::Ack,
            SignedChange::from_parts(bytes.clone(), signature),
        ),
        // Victor's signature on altered bytes.
        (
            alert.doc,
            DocKind::Alert,
            SignedChange::from_parts(bad_bytes, signature),
        ),
    ];
    let (before, _) = world.log_sizes().await;
    for (doc, kind, change) in forgeries {
        let request = SyncRequest {
            cursor: 0,
            push: vec![DocChanges::new(doc, kind, [change])],
        };
        let refused = upstream.sync(&request).await;
        assert!(
            matches!(&refused, Err(porchlight_sync::Error::Http { status: 400 | 403, kind, .. })
                if kind == "unsigned_change" || kind == "bad_change"),
            "{refused:?}"
        );
    }
    assert_eq!(
        world.log_sizes().await.0,
        before,
        "nothing forged was stored"
    );
    // The genuine change goes through the same way.
    let genuine = SyncRequest {
        cursor: 0,
        push: vec![DocChanges::new(
            alert.doc,
            DocKind::Alert,
            [SignedChange::from_parts(bytes, signature)],
        )],
    };
    assert_eq!(upstream.sync(&genuine).await.unwrap().accepted, 1);
    assert_eq!(world.log_sizes().await.0, before + 1);
}

/// A member who joins on the community server while the hub runs: their changes reach the
/// relay before the coordinator's device has certified them, wait there (the hub's server does
/// not know the author yet) without holding up the rest, and go through once certified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomers_changes_wait_at_the_relay_until_the_hub_admits_them() {
    let mut world = World::new(SimNet::new(11)).await;
    let nina = node(&world.net, "nina");
    let code = world.nodes[0]
        .core
        .invite(Role::Volunteer, 1, std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    nina.core.join(&code.to_string(), "nina").await.unwrap();
    let area = Area::circle(Point::new(40.0, -3.0), 200.0);
    let alert = |title: &str| NewAlert {
        title: title.into(),
        body: String::new(),
        category: AlertCategory::Crime,
        severity: Severity::Warning,
        area: area.clone(),
        issued_at: Timestamp::now(),
        expires_at: None,
        meeting: None,
        person: None,
    };
    nina.core.issue_alert(alert("Nina's first alert")).unwrap();
    nina.core.sync_once().await.unwrap();
    world.nodes[2]
        .core
        .issue_alert(alert("Vera's alert"))
        .unwrap();
    world.nodes[2].core.sync_once().await.unwrap();

    // The coordinator's device has not certified Nina yet: the hub does not admit her.
    mirror_members(world.hub.storage(), &world.nodes[0].core)
        .await
        .unwrap();
    let step = world.relay.settle().await.unwrap();
    assert!(step.waiting > 0, "{step:?}");
    let victor = world.nodes[1].core.clone();
    victor.sync_once().await.unwrap();
    let seen: Vec<String> = victor
        .alerts(&AlertQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    assert!(seen.contains(&"Vera's alert".to_owned()), "{seen:?}");
    assert!(!seen.contains(&"Nina's first alert".to_owned()), "{seen:?}");

    // The coordinator certifies her; the hub admits her; her alert goes through.
    world.nodes[0].core.sync_once().await.unwrap();
    world.nodes.push(nina);
    world.settle().await;
    assert_eq!(world.relay.waiting(), 0);
    let seen: Vec<String> = victor
        .alerts(&AlertQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    assert!(seen.contains(&"Nina's first alert".to_owned()), "{seen:?}");
}
