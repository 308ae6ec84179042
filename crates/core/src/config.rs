//! Settings: built-in defaults, then `config.toml` in the data directory, then `PORCHLIGHT_*`
//! environment variables, each overriding the one before.

use std::path::Path;

use porchlight_model::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

pub const CONFIG_FILE: &str = "config.toml";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The sync server this device talks to, once it has joined a group.
    pub server: Option<String>,
    /// How often to try syncing when nothing else triggers it.
    pub sync_interval_secs: u64,
    /// Map tile URL template used when online; maps fall back to an offline grid without it.
    pub map_tiles: Option<String>,
    /// How long a new alert stays live when its issuer gives no expiry.
    pub default_alert_hours: u32,
    /// Local times ("22:00-07:00") when only urgent alerts make a sound.
    pub quiet_hours: Option<String>,
    /// The longest random wait before an anonymous report leaves this device, in seconds.
    pub drop_delay_max_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server: None,
            sync_interval_secs: 60,
            map_tiles: None,
            default_alert_hours: 24,
            quiet_hours: None,
            drop_delay_max_secs: 120,
        }
    }
}

/// A commented example configuration, printed by `porchlight default-config`.
pub const DEFAULT_CONFIG: &str = r#"# Porchlight device settings. Save as config.toml in the data directory.
# Every setting can also be given as an environment variable: PORCHLIGHT_<NAME IN CAPITALS>.

# The sync server of your group (set for you when you join with an invite).
# server = "https://watch.example.org"

# Seconds between background sync attempts when nothing else triggers one.
sync_interval_secs = 60

# Online map tiles, as a URL template: opt in only if you accept that the tile server sees
# which area you look at (and your address). Maps draw from the group's offline map package
# first (`porchlight map import`); without either they show a coordinate grid.
# map_tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

# Hours a new alert stays live when no expiry is given.
default_alert_hours = 24

# Local times when only urgent alerts make a sound (others still reach the inbox).
# quiet_hours = "22:00-07:00"

# An anonymous report waits a random time, up to this many seconds, before it is sent, so
# the moment it reaches the server says little about when or by whom it was written.
drop_delay_max_secs = 120
"#;

impl Config {
    /// Whether `now` falls in the quiet hours (local time). Malformed settings mean no quiet
    /// hours: better a sound too many than a missed alert.
    pub fn in_quiet_hours(&self, now: Timestamp) -> bool {
        use chrono::Timelike;
        let Some(window) = self.quiet_window() else {
            return false;
        };
        let Some(local) = chrono::DateTime::from_timestamp_millis(now.millis()) else {
            return false;
        };
        let local = local.with_timezone(&chrono::Local);
        in_window(window, local.hour() * 60 + local.minute())
    }

    /// The quiet hours as minutes after local midnight (start, end), if set and well formed.
    pub(crate) fn quiet_window(&self) -> Option<(u32, u32)> {
        self.quiet_hours.as_deref().and_then(parse_quiet_hours)
    }

    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_with_env(dir, |name| std::env::var(name).ok())
    }

    /// Like [`Config::load`] with an explicit environment, so tests need not touch the process's.
    pub fn load_with_env(dir: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let path = dir.join(CONFIG_FILE);
        let bad = |message: String| CoreError::Config {
            path: path.clone(),
            message,
        };
        let mut config = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| bad(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
            Err(e) => return Err(bad(e.to_string())),
        };
        if let Some(v) = env("PORCHLIGHT_SERVER") {
            config.server = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("PORCHLIGHT_SYNC_INTERVAL_SECS") {
            config.sync_interval_secs = v.parse().map_err(|_| {
                bad(format!(
                    "PORCHLIGHT_SYNC_INTERVAL_SECS={v:?} is not a number"
                ))
            })?;
        }
        if let Some(v) = env("PORCHLIGHT_MAP_TILES") {
            config.map_tiles = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("PORCHLIGHT_DEFAULT_ALERT_HOURS") {
            config.default_alert_hours = v.parse().map_err(|_| {
                bad(format!(
                    "PORCHLIGHT_DEFAULT_ALERT_HOURS={v:?} is not a number"
                ))
            })?;
        }
        if let Some(v) = env("PORCHLIGHT_DROP_DELAY_MAX_SECS") {
            config.drop_delay_max_secs = v.parse().map_err(|_| {
                bad(format!(
                    "PORCHLIGHT_DROP_DELAY_MAX_SECS={v:?} is not a number"
                ))
            })?;
        }
        Ok(config)
    }
}

/// Whether `minute` (after local midnight) lies in the window; a window may wrap past midnight.
pub(crate) fn in_window((from, to): (u32, u32), minute: u32) -> bool {
    if from <= to {
        (from..to).contains(&minute)
    } else {
        minute >= from || minute < to
    }
}

/// "22:00-07:00" → minutes after midnight of start and end.
fn parse_quiet_hours(s: &str) -> Option<(u32, u32)> {
    let minutes = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let (a, b) = s.split_once('-')?;
    Some((minutes(a)?, minutes(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let none = |_: &str| None;
        assert_eq!(
            Config::load_with_env(dir.path(), none).unwrap(),
            Config::default()
        );
        // The example parses to the defaults.
        assert_eq!(
            toml::from_str::<Config>(DEFAULT_CONFIG).unwrap(),
            Config::default()
        );
        std::fs::write(dir.path().join(CONFIG_FILE), "sync_interval_secs = 5\n").unwrap();
        let c = Config::load_with_env(dir.path(), none).unwrap();
        assert_eq!(c.sync_interval_secs, 5);
        let env = |k: &str| (k == "PORCHLIGHT_SYNC_INTERVAL_SECS").then(|| "9".to_owned());
        assert_eq!(
            Config::load_with_env(dir.path(), env)
                .unwrap()
                .sync_interval_secs,
            9
        );
    }

    #[test]
    fn bad_config_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "sync_interval = 5\n").unwrap();
        let err = Config::load_with_env(dir.path(), |_| None).unwrap_err();
        assert!(err.to_string().contains("config.toml"), "{err}");
    }
}
