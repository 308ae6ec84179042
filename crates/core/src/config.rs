//! Settings: built-in defaults, then `config.toml` in the data directory, then `PORCHLIGHT_*`
//! environment variables, each overriding the one before.

use std::collections::BTreeMap;
use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use figment::value::Value;
use porchlight_model::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

pub const CONFIG_FILE: &str = "config.toml";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Not read: a device syncs with the server it joined through (kept in its store). The
    /// name is still accepted so that older settings files load.
    #[serde(skip_serializing)]
    pub server: Option<String>,
    /// While the server cannot be reached, the longest wait between two sync attempts (they
    /// back off from one second up to this). When it can, changes arrive as they happen.
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

# While the server cannot be reached, the longest wait between two sync attempts, in seconds
# (they start at one second and double up to this). Online, changes arrive as they happen.
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
        Self::load_with_env(dir, std::env::vars())
    }

    /// Like [`Config::load`] with an explicit environment, so tests need not touch the process's.
    pub fn load_with_env(
        dir: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        let path = dir.join(CONFIG_FILE);
        let bad = |message: String| CoreError::Config {
            path: path.clone(),
            message,
        };
        let mut layers = Figment::from(Serialized::defaults(Config::default()));
        match std::fs::read_to_string(&path) {
            Ok(text) => layers = layers.merge(Toml::string(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(bad(e.to_string())),
        }
        let known = serde_json::to_value(Config::default()).unwrap_or_default();
        let from_env: BTreeMap<String, Value> =
            porchlight_model::settings_from_env(env, |name| known.get(name).is_some())
                .into_iter()
                // Kept as text: a token "0123" must stay "0123"; numbers and switches are read
                // from the text when extracted (`extract_lossy`).
                .map(|(name, value)| (name, Value::from(value)))
                .collect();
        let mut config: Config = layers
            .merge(Serialized::defaults(from_env))
            .extract_lossy()
            .map_err(|e| bad(e.to_string()))?;
        // An empty variable clears an optional setting.
        for slot in [&mut config.map_tiles, &mut config.quiet_hours] {
            if slot.as_deref() == Some("") {
                *slot = None;
            }
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

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Config::load_with_env(dir.path(), env(&[])).unwrap(),
            Config::default()
        );
        // The example parses to the defaults.
        assert_eq!(
            toml::from_str::<Config>(DEFAULT_CONFIG).unwrap(),
            Config::default()
        );
        std::fs::write(dir.path().join(CONFIG_FILE), "sync_interval_secs = 5\n").unwrap();
        let c = Config::load_with_env(dir.path(), env(&[])).unwrap();
        assert_eq!(c.sync_interval_secs, 5);
        let nine = env(&[("PORCHLIGHT_SYNC_INTERVAL_SECS", "9")]);
        assert_eq!(
            Config::load_with_env(dir.path(), nine)
                .unwrap()
                .sync_interval_secs,
            9
        );
    }

    #[test]
    fn every_setting_can_come_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load_with_env(
            dir.path(),
            env(&[
                ("PORCHLIGHT_SYNC_INTERVAL_SECS", "30"),
                (
                    "PORCHLIGHT_MAP_TILES",
                    "https://tiles.example/{z}/{x}/{y}.png",
                ),
                ("PORCHLIGHT_DEFAULT_ALERT_HOURS", "12"),
                ("PORCHLIGHT_QUIET_HOURS", "22:00-07:00"),
                ("PORCHLIGHT_DROP_DELAY_MAX_SECS", "0"),
                // The app's own variables are not settings and are left alone.
                ("PORCHLIGHT_DATA_DIR", "/tmp/somewhere"),
            ]),
        )
        .unwrap();
        assert_eq!(c.sync_interval_secs, 30);
        assert_eq!(
            c.map_tiles.as_deref(),
            Some("https://tiles.example/{z}/{x}/{y}.png")
        );
        assert_eq!(c.default_alert_hours, 12);
        assert_eq!(c.quiet_hours.as_deref(), Some("22:00-07:00"));
        assert_eq!(c.drop_delay_max_secs, 0);
        // An empty variable clears an optional setting set in the file.
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "quiet_hours = \"23:00-06:00\"\n",
        )
        .unwrap();
        let cleared = Config::load_with_env(dir.path(), env(&[("PORCHLIGHT_QUIET_HOURS", "")]));
        assert_eq!(cleared.unwrap().quiet_hours, None);
        // An older file naming its server still loads.
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "server = \"https://old.example\"\n",
        )
        .unwrap();
        assert!(Config::load_with_env(dir.path(), env(&[])).is_ok());
    }

    #[test]
    fn bad_config_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "sync_interval = 5\n").unwrap();
        let err = Config::load_with_env(dir.path(), env(&[])).unwrap_err();
        assert!(err.to_string().contains("config.toml"), "{err}");
        let err = Config::load_with_env(
            &tempfile::tempdir().unwrap().path().join("none"),
            env(&[("PORCHLIGHT_SYNC_INTERVAL_SECS", "often")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("sync_interval_secs"), "{err}");
    }
}
