//! Finding the group's hub again when its address changed: a coordinator's laptop gets a new
//! address on the hall's Wi-Fi from one meeting to the next, and the address in the invite goes
//! stale. The hub announces itself with DNS-SD over mDNS, naming only its port and its TLS
//! certificate's fingerprint (`crates/hub/src/announce.rs`); a device that pinned that
//! fingerprint from its invite listens for it.
//!
//! Anyone on the network can announce the same fingerprint, so a find is only a candidate: the
//! device connects with the pin (an impostor cannot show the certificate) and records the new
//! address only after a sync there succeeded.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use mdns_sd::{ServiceDaemon, ServiceEvent};
use porchlight_sync::{Fingerprint, format_fingerprint};

/// The DNS-SD service type a Porchlight hub announces.
pub const HUB_SERVICE_TYPE: &str = "_porchlight._tcp.local.";

/// How long a device listens for its hub when neither of its servers answers: announcements
/// come within a second or so on a working network.
pub(crate) const LISTEN_FOR: Duration = Duration::from_secs(3);

/// The addresses (`https://IP:PORT`) where a hub with certificate `pin` announces itself, heard
/// within `within`; empty when none was (or multicast is not available here). Blocking.
pub(crate) fn hub_urls(pin: &Fingerprint, within: Duration) -> Vec<String> {
    let Ok(daemon) = ServiceDaemon::new() else {
        return Vec::new();
    };
    let mut urls = Vec::new();
    if let Ok(events) = daemon.browse(HUB_SERVICE_TYPE) {
        let want = format_fingerprint(pin);
        let deadline = Instant::now() + within;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match events.recv_timeout(left) {
                Ok(ServiceEvent::ServiceResolved(info))
                    if info.get_property_val_str("fp") == Some(want.as_str()) =>
                {
                    let port = info.get_port();
                    let mut ips: Vec<IpAddr> = info
                        .get_addresses()
                        .iter()
                        .map(mdns_sd::ScopedIp::to_ip_addr)
                        .collect();
                    // IPv4 first: what a hall's Wi-Fi hands out, and what the hub's certificate
                    // and address rules were made for.
                    ips.sort_by_key(|ip| (ip.is_ipv6(), *ip));
                    urls.extend(ips.into_iter().map(|ip| match ip {
                        IpAddr::V4(v4) => format!("https://{v4}:{port}"),
                        IpAddr::V6(v6) => format!("https://[{v6}]:{port}"),
                    }));
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    let _ = daemon.shutdown();
    urls
}
