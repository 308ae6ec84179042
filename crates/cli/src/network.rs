//! The commands that talk to a sync server (or are one). They run on a tokio runtime made here;
//! the rest of the CLI stays synchronous.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use porchlight_core::{Core, CoreError, Event, SyncTask, parse_expiry};
use porchlight_model::{DeviceId, Role, Timestamp};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

use crate::args::{GroupCmd, MemberCmd};
use crate::run::{Failure, Out, render};
use crate::text;

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            kind: "runtime",
            message: e.to_string(),
        })
}

/// Runs one future to completion on a fresh runtime.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Failure> {
    Ok(runtime()?.block_on(future))
}

pub fn group(core: &Core, json: bool, cmd: GroupCmd) -> Out {
    match cmd {
        GroupCmd::Create {
            server,
            name,
            creation_token,
            fingerprint,
        } => {
            let pin = fingerprint
                .as_deref()
                .map(porchlight_core::parse_fingerprint)
                .transpose()
                .map_err(|e| Failure {
                    kind: "invalid",
                    message: e.to_string(),
                })?;
            let me = runtime()?.block_on(core.create_group_on_pinned(
                &server,
                pin.as_ref(),
                &name,
                creation_token.as_deref(),
            ))?;
            render(json, &me, text::whoami)
        }
    }
}

pub fn invite(
    core: &Core,
    json: bool,
    role: &str,
    uses: u32,
    expires: &str,
    png: Option<&Path>,
) -> Out {
    let role: Role = role.parse()?;
    let now = Timestamp::now();
    let until = parse_expiry(expires, now)?;
    let valid_for = Duration::from_millis((until.millis() - now.millis()).max(0).unsigned_abs());
    let code = runtime()?.block_on(core.invite(role, uses, valid_for))?;
    let qr = QrCode::new(code.to_string().as_bytes()).map_err(|e| Failure {
        kind: "qr",
        message: e.to_string(),
    })?;
    // Without --png the image goes next to the device's data, named by the invite.
    let png = if let Some(p) = png {
        p.to_owned()
    } else {
        let dir = core.data_dir().join("invites");
        std::fs::create_dir_all(&dir).map_err(|e| Failure {
            kind: "io",
            message: format!("{}: {e}", dir.display()),
        })?;
        dir.join(format!(
            "invite-{}.png",
            porchlight_model::hex(&code.invite)
        ))
    };
    let image = qr
        .render::<image::Luma<u8>>()
        .min_dimensions(400, 400)
        .build();
    image.save(&png).map_err(|e| Failure {
        kind: "io",
        message: format!("{}: {e}", png.display()),
    })?;
    let value = serde_json::json!({
        "code": code.to_string(), "role": role, "uses": uses, "expiresAt": until,
        "png": png,
    });
    render(json, &value, |_| {
        let picture = qr.render::<Dense1x2>().quiet_zone(true).build();
        format!(
            "{picture}\nInvite for a {role} ({uses} use(s), valid until {until}):\n\n  {code}\n\n\
             QR code saved to {}",
            png.display()
        )
    })
}

pub fn join(core: &Core, json: bool, code: &str, name: &str) -> Out {
    let me = runtime()?.block_on(core.join(code, name))?;
    render(json, &me, text::whoami)
}

pub fn member(core: &Core, json: bool, cmd: MemberCmd) -> Out {
    let rt = runtime()?;
    match cmd {
        MemberCmd::List => render(json, &rt.block_on(core.members())?, |m| text::members(m)),
        MemberCmd::Revoke { device } => {
            let device = DeviceId::from_hex(&device)?;
            let m = rt.block_on(core.revoke(device))?;
            render(json, &m, |m| {
                format!("revoked {} ({})", m.display_name, m.device)
            })
        }
    }
}

pub fn sync(core: Core, json: bool, once: bool) -> Out {
    let rt = runtime()?;
    if once {
        let report = rt.block_on(core.sync_once())?;
        let sent = rt.block_on(send_queued_reports(&core))?;
        // The report as it always was, plus how many sealed envelopes left.
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        value["reportsSent"] = sent.into();
        return render(json, &value, |_| {
            let out = text::sync_report(&report);
            if sent > 0 {
                format!("{out}\nsent {sent} sealed report envelope(s)")
            } else {
                out
            }
        });
    }
    let core = Arc::new(core);
    rt.block_on(async {
        let mut events = core.subscribe();
        let task = SyncTask::spawn(core.clone());
        eprintln!("syncing; press Ctrl-C to stop");
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                event = events.recv() => match event {
                    Ok(Event::SyncStatus(status)) => {
                        let line = if json {
                            serde_json::to_string(&status).unwrap_or_default()
                        } else {
                            text::sync_status_line(&status)
                        };
                        println!("{line}");
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
            }
        }
        task.stop().await;
    });
    Ok(String::new())
}

/// Sends queued report envelopes, waiting out the random delay of anonymous ones (with a
/// countdown on stderr, so the wait never looks like a hang).
async fn send_queued_reports(core: &Core) -> Result<usize, Failure> {
    // Envelopes that fell due while this device was offline get fresh delays first.
    core.replan_overdue_drops()?;
    let mut sent = 0;
    loop {
        match core.send_due_drops().await {
            Ok(n) => sent += n,
            Err(CoreError::NoDropTokens) => {
                eprintln!("{}", CoreError::NoDropTokens);
                break;
            }
            // Synced with a hub while the community server is out of reach: reports only ever
            // leave for the community server, so they wait on this device, as in the app.
            Err(CoreError::Sync(e)) if e.is_unreachable() => {
                eprintln!("sealed reports wait on this device: {e}");
                break;
            }
            Err(e) => return Err(e.into()),
        }
        let Some(at) = core.next_drop_at()? else {
            break;
        };
        let wait = at.millis() - Timestamp::now().millis();
        if wait > 0 {
            eprintln!(
                "a sealed report leaves in {} s (random delays and gaps hide when, and that one \
                 device, sent it)",
                (wait + 999) / 1000
            );
            tokio::time::sleep(Duration::from_millis(wait.unsigned_abs().min(5_000))).await;
        }
    }
    Ok(sent)
}

/// Lists this device's receipts, first asking the server (anonymously) for published statuses.
pub fn receipts(core: &Core, json: bool, offline: bool) -> Out {
    if !offline
        && !core.receipts()?.is_empty()
        && let Err(e) = runtime()?.block_on(core.refresh_receipts())
    {
        eprintln!("could not check for new statuses ({e}); showing what this device knows");
    }
    render(json, &core.receipts()?, |r| text::receipts(r))
}

/// Syncs live and prints each alert that newly touches a watch area, and each cancellation.
pub fn watch(core: Core, json: bool) -> Out {
    let rt = runtime()?;
    let core = Arc::new(core);
    rt.block_on(async {
        let mut events = core.subscribe();
        let task = SyncTask::spawn(core.clone());
        eprintln!("watching for alerts in your areas; press Ctrl-C to stop");
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                event = events.recv() => match event {
                    Ok(Event::Alerts(news)) => {
                        if json {
                            println!("{}", serde_json::to_string(&news).unwrap_or_default());
                        } else {
                            println!("{}", text::alert_news(&news));
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
            }
        }
        task.stop().await;
    });
    Ok(String::new())
}

pub fn status(core: &Core, json: bool) -> Out {
    let value = serde_json::json!({
        "status": core.sync_status()?,
        "receipt": core.sync_receipt()?,
    });
    render(json, &value, |_| {
        let status = core
            .sync_status()
            .map(|s| text::sync_status(&s))
            .unwrap_or_default();
        let receipt = core
            .sync_receipt()
            .map(|r| text::receipt(&r))
            .unwrap_or_default();
        format!("{status}\n{receipt}")
    })
}

/// What `porchlight hub` is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HubMode {
    /// Serve the group on the local network and relay to its community server.
    Relay,
    /// Be the only server of a group started on this computer.
    Alone,
    /// Start a new group (the name) on this computer and serve it.
    Found(String),
}

/// `porchlight hub`: the embedded server for this coordinator's group plus the relay to the
/// community server, or (`--standalone`) the group's only server, until Ctrl-C.
pub fn hub(
    core: Core,
    mode: &HubMode,
    db: Option<String>,
    listen: Option<String>,
    url: Option<String>,
    config: Option<&Path>,
) -> Out {
    let server_error = |e: porchlight_server::Error| Failure {
        kind: "server",
        message: e.to_string(),
    };
    let mut settings = porchlight_server::Settings::load(config).map_err(server_error)?;
    settings.database =
        db.unwrap_or_else(|| format!("sqlite://{}", core.data_dir().join("hub.db").display()));
    // A group on this computer listens where it did last time (phones have that address),
    // by default on every interface.
    let listen = match (listen, mode) {
        (Some(l), _) => Some(l),
        (None, HubMode::Relay) => None,
        (None, _) => Some(core.standalone_server()?.map_or_else(
            || format!("0.0.0.0:{}", porchlight_hub::DEFAULT_HUB_PORT),
            |s| s.listen,
        )),
    };
    if let Some(listen) = listen {
        settings.listen = listen.parse().map_err(|_| Failure {
            kind: "invalid",
            message: format!("listen: {listen:?} is not an address like 0.0.0.0:8471"),
        })?;
    }
    let url = url.or_else(|| {
        (*mode == HubMode::Alone)
            .then(|| core.standalone_server().ok().flatten().and_then(|s| s.url))
            .flatten()
    });
    let core = Arc::new(core);
    let hub_error = |e: porchlight_hub::HubError| match e {
        porchlight_hub::HubError::Core(e) => Failure::from(e),
        e => Failure {
            kind: "hub",
            message: e.to_string(),
        },
    };
    runtime()?.block_on(async {
        let hub = match mode {
            HubMode::Relay => porchlight_hub::LocalHub::start(core, settings, url).await,
            HubMode::Alone => porchlight_hub::LocalHub::serve_alone(core, settings, url).await,
            HubMode::Found(group) => {
                porchlight_hub::LocalHub::found(core, settings, url, group).await
            }
        }
        .map_err(hub_error)?;
        match hub.upstream() {
            Some(upstream) => eprintln!(
                "porchlight hub listening on {} (phones use {}), relaying to {upstream}",
                hub.local_url(),
                hub.url(),
            ),
            None => eprintln!(
                "porchlight hub listening on {} (phones use {}): this computer is the group's server",
                hub.local_url(),
                hub.url(),
            ),
        }
        if let Some(fp) = hub.fingerprint() {
            eprintln!(
                "TLS certificate SHA-256 fingerprint: {}",
                porchlight_core::format_fingerprint(fp)
            );
        }
        // Without multicast the hub still works, reached by the address in the invites.
        if let Some(e) = hub.announce_error() {
            eprintln!("{e}");
        }
        stop_signal().await;
        hub.stop().await.map_err(hub_error)
    })?;
    Ok(String::new())
}

/// What `porchlight serve` is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServeMode {
    Serve,
    /// Print the commented example settings.
    DefaultConfig,
    /// Make or read the certificate, print its fingerprint and stop: the server package runs
    /// this once as the service's user on install, so the operator sees the fingerprint at once.
    Fingerprint,
}

/// Ctrl-C, or SIGTERM from systemd (`systemctl stop`) and other service managers: both stop
/// the server gracefully.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

pub fn serve(
    db: Option<String>,
    listen: Option<String>,
    config: Option<&Path>,
    mode: ServeMode,
) -> Out {
    if mode == ServeMode::DefaultConfig {
        return Ok(porchlight_server::default_config().trim_end().to_owned());
    }
    let server_error = |e: porchlight_server::Error| Failure {
        kind: "server",
        message: e.to_string(),
    };
    let mut settings = porchlight_server::Settings::load(config).map_err(server_error)?;
    if let Some(db) = db {
        settings.database = db;
    }
    if let Some(listen) = listen {
        settings.listen = listen.parse().map_err(|_| Failure {
            kind: "invalid",
            message: format!("listen: {listen:?} is not an address like 127.0.0.1:8470"),
        })?;
    }
    // Made (self-signed, first start) or read before listening, so a bad certificate stops the
    // server before it accepts anyone, and the coordinator gets the fingerprint for invites.
    let fingerprint = porchlight_server::tls_fingerprint(&settings).map_err(server_error)?;
    if mode == ServeMode::Fingerprint {
        return match fingerprint {
            Some(fp) => Ok(porchlight_core::format_fingerprint(&fp)),
            None => Err(Failure {
                kind: "invalid",
                message: "TLS is off in these settings: there is no certificate fingerprint".into(),
            }),
        };
    }
    let scheme = if settings.tls == porchlight_server::TlsMode::Off {
        "http"
    } else {
        "https"
    };
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|e| Failure {
                kind: "io",
                message: format!("cannot listen on {}: {e}", settings.listen),
            })?;
        // The real address: with port 0 the system picks a free one.
        if let Ok(addr) = listener.local_addr() {
            eprintln!("porchlight server listening on {scheme}://{addr}");
        }
        match fingerprint {
            Some(fp) => eprintln!(
                "TLS certificate SHA-256 fingerprint: {}",
                porchlight_core::format_fingerprint(&fp)
            ),
            None => eprintln!(
                "TLS is off: devices reach this server only on loopback or through a TLS proxy"
            ),
        }
        porchlight_server::launch_with_listener(settings, listener, stop_signal())
            .await
            .map_err(server_error)
    })?;
    Ok(String::new())
}
