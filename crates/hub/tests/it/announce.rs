//! The hub's mDNS announcement, heard by a browser on the same machine: it names the service
//! and the certificate's fingerprint, and nothing about the group.

use std::time::{Duration, Instant};

use mdns_sd::{ServiceDaemon, ServiceEvent};
use porchlight_hub::{Announcement, SERVICE_TYPE};

#[test]
fn a_hub_is_heard_on_the_local_network_with_its_fingerprint_only() {
    // Only announced, never bound: a port the system picked keeps runs apart.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fingerprint = [7u8; 32];
    let announcement = Announcement::start(port, Some(&fingerprint)).unwrap();
    let browser = ServiceDaemon::new().unwrap();
    let events = browser.browse(SERVICE_TYPE).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut heard = None;
    while heard.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(ServiceEvent::ServiceResolved(info)) if info.get_port() == port => {
                heard = Some(info);
            }
            Ok(_) => {}
            Err(e) => panic!("no announcement heard: {e}"),
        }
    }
    let info = heard.unwrap();
    let txt = info.get_properties();
    assert_eq!(
        txt.get_property_val_str("fp"),
        Some(porchlight_sync::format_fingerprint(&fingerprint).as_str())
    );
    assert_eq!(txt.len(), 1, "nothing but the fingerprint: {txt:?}");
    announcement.stop();
    let _ = browser.shutdown();
}
