//! Server settings, layered: built-in defaults, then a TOML file, then `PORCHLIGHT_*` environment
//! variables (so a container can override one value without a file).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use figment::value::Value;
use porchlight_crdt::MAX_CHANGE_BYTES;
use serde::{Deserialize, Serialize, Serializer};

use crate::Error;

/// A value that must not end up in logs: `Debug` prints `<hidden>`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

/// Written as `<hidden>` too: a secret is never serialised (only the names of the settings are,
/// to know which environment variables are settings).
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("<hidden>")
    }
}

/// How the server speaks to devices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Plain HTTP: only behind a reverse proxy that does TLS, or on loopback (devices refuse
    /// plain `http://` to any other address).
    Off,
    /// A certificate made on first start and kept in `tls_dir`; devices pin its fingerprint,
    /// which travels in invite codes.
    #[default]
    SelfSigned,
    /// The operator's certificate chain and key (`tls_cert`, `tls_key`, PEM).
    Certificate,
}

impl std::str::FromStr for TlsMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" => Ok(Self::Off),
            "self-signed" => Ok(Self::SelfSigned),
            "certificate" => Ok(Self::Certificate),
            _ => Err("expected off, self-signed or certificate".into()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// `sqlite://PATH` (PostgreSQL comes later).
    pub database: String,
    /// Largest request body, in bytes; bigger ones get 413 before being read.
    pub body_limit: usize,
    /// Largest single Automerge change, in bytes.
    pub max_change_bytes: usize,
    /// At most this many changes per sync response...
    pub page_changes: usize,
    /// ...and at most about this many bytes of them.
    pub page_bytes: usize,
    /// How long a session token works, in seconds.
    pub token_lifetime_secs: u64,
    /// How long a sign-in challenge may be answered, in seconds.
    pub challenge_lifetime_secs: u64,
    /// Longest long-poll, in seconds.
    pub max_wait_secs: u64,
    /// Longest invite validity a coordinator may ask for, in seconds.
    pub max_invite_secs: u64,
    /// Creating a group needs this token (unless `open_group_creation`; with neither, nobody may).
    pub group_creation_token: Option<Secret>,
    /// Drop tokens one member may have signed per UTC day (`POST /v1/tokens`). Drops themselves
    /// are not limited per address: each spends a token.
    pub tokens_per_day: u32,
    /// Reply reads one network address may make per hour (`GET /v1/replies/{id}`).
    pub reply_reads_per_hour: u32,
    /// Drops and published replies are deleted this many days after the day they were stored.
    pub drop_retention_days: u32,
    /// At most this many drops per `GET /v1/drops` page (and at most `page_bytes` of them).
    pub page_drops: usize,
    // --- hardening (issue 10): group creation, blobs ---
    /// Lets anyone who can reach the server create groups without a creation token. Off by
    /// default: without it, `group_creation_token` must be set and given.
    pub open_group_creation: bool,
    /// Blobs are deleted this many days after their last upload.
    pub blob_retention_days: u32,
    /// The most bytes of blobs one group may hold.
    pub blob_quota_bytes: u64,
    /// TLS: off, self-signed (the default) or the operator's certificate.
    pub tls: TlsMode,
    /// The operator's certificate chain, PEM (with `tls = certificate`).
    pub tls_cert: Option<PathBuf>,
    /// The operator's private key, PEM (with `tls = certificate`).
    pub tls_key: Option<PathBuf>,
    /// Where the self-signed certificate is kept; default: beside the database file
    /// (`server.db.tls/`).
    pub tls_dir: Option<PathBuf>,
    // --- compaction (DECISIONS 30) ---
    /// Seconds between compaction passes; 0 turns compaction off.
    pub compact_every_secs: u64,
    /// The newest this many changes of each group stay as they were pushed.
    pub compact_keep_changes: u64,
    /// A document is folded once it has at least this many older changes.
    pub compact_min_changes: u64,
    // --- throughput (issue 11, DECISIONS 63) ---
    /// How long, at most, this instance keeps a session's identity and a group's newest numbers
    /// in memory, in seconds (0 = never; at most [`MAX_CACHE_SECS`]). Revocations and pushes
    /// retire them sooner; this bounds a missed notification.
    pub cache_secs: u64,
}

/// The longest `cache_secs` allowed: the time a revoked member could keep reading on an instance
/// that missed the revocation's notification.
pub const MAX_CACHE_SECS: u64 = 60;

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8470)),
            database: "sqlite://porchlight-server.db".to_owned(),
            body_limit: 8 * 1024 * 1024,
            max_change_bytes: MAX_CHANGE_BYTES,
            page_changes: 1000,
            page_bytes: 4 * 1024 * 1024,
            token_lifetime_secs: 3600,
            challenge_lifetime_secs: 60,
            max_wait_secs: 60,
            max_invite_secs: 30 * 24 * 3600,
            group_creation_token: None,
            tokens_per_day: 40,
            reply_reads_per_hour: 3600,
            drop_retention_days: 90,
            page_drops: 200,
            open_group_creation: false,
            blob_retention_days: 90,
            blob_quota_bytes: 256 * 1024 * 1024,
            tls: TlsMode::SelfSigned,
            tls_cert: None,
            tls_key: None,
            tls_dir: None,
            compact_every_secs: 3600,
            compact_keep_changes: 1000,
            compact_min_changes: 32,
            cache_secs: 2,
        }
    }
}

/// The file's shape: every field optional, unknown fields refused so a typo is an error rather
/// than a silently ignored setting.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Layer {
    listen: Option<SocketAddr>,
    database: Option<String>,
    body_limit: Option<usize>,
    max_change_bytes: Option<usize>,
    page_changes: Option<usize>,
    page_bytes: Option<usize>,
    token_lifetime_secs: Option<u64>,
    challenge_lifetime_secs: Option<u64>,
    max_wait_secs: Option<u64>,
    max_invite_secs: Option<u64>,
    group_creation_token: Option<Secret>,
    tokens_per_day: Option<u32>,
    reply_reads_per_hour: Option<u32>,
    drop_retention_days: Option<u32>,
    page_drops: Option<usize>,
    open_group_creation: Option<bool>,
    blob_retention_days: Option<u32>,
    blob_quota_bytes: Option<u64>,
    tls: Option<TlsMode>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_dir: Option<PathBuf>,
    compact_every_secs: Option<u64>,
    compact_keep_changes: Option<u64>,
    compact_min_changes: Option<u64>,
    cache_secs: Option<u64>,
}

impl Settings {
    /// When the background compaction folds (see [`crate::compact_once`]).
    pub fn compaction_policy(&self) -> crate::CompactionPolicy {
        crate::CompactionPolicy {
            keep_changes: self.compact_keep_changes,
            min_changes: self.compact_min_changes,
            docs_per_pass: 500,
        }
    }

    /// Defaults, then `file` if given (it must exist), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, Error> {
        let text = match file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?,
            ),
            None => None,
        };
        Self::from_sources(text.as_deref(), std::env::vars())
    }

    /// Defaults, then the TOML `file_text`, then the `PORCHLIGHT_*` entries of `env`.
    pub fn from_sources(
        file_text: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Error> {
        let mut settings = Settings::default();
        if let Some(text) = file_text {
            let layer: Layer = Figment::from(Toml::string(text))
                .extract()
                .map_err(|e| Error::Config(format!("settings file: {e}")))?;
            settings.apply(layer);
        }
        let known = serde_json::to_value(Layer::default()).unwrap_or_default();
        let from_env: std::collections::BTreeMap<String, Value> =
            porchlight_model::settings_from_env(env, |name| known.get(name).is_some())
                .into_iter()
                // Kept as text: a token "0123" must stay "0123"; numbers and switches are read
                // from the text when extracted (`extract_lossy`).
                .map(|(name, value)| (name, Value::from(value)))
                .collect();
        let layer: Layer = Figment::from(Serialized::defaults(from_env))
            .extract_lossy()
            .map_err(|e| {
                Error::Config(format!(
                    "environment ({}*): {e}",
                    porchlight_model::ENV_PREFIX
                ))
            })?;
        settings.apply(layer);
        settings.check()?;
        Ok(settings)
    }

    fn apply(&mut self, l: Layer) {
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(v) = l.$field { self.$field = v; } )* };
        }
        take!(
            listen,
            database,
            body_limit,
            max_change_bytes,
            page_changes,
            page_bytes,
            token_lifetime_secs,
            challenge_lifetime_secs,
            max_wait_secs,
            max_invite_secs,
            tokens_per_day,
            reply_reads_per_hour,
            drop_retention_days,
            page_drops,
            open_group_creation,
            blob_retention_days,
            blob_quota_bytes,
            tls,
            compact_every_secs,
            compact_keep_changes,
            compact_min_changes,
            cache_secs
        );
        if l.group_creation_token.is_some() {
            self.group_creation_token = l.group_creation_token;
        }
        for (slot, value) in [
            (&mut self.tls_cert, l.tls_cert),
            (&mut self.tls_key, l.tls_key),
            (&mut self.tls_dir, l.tls_dir),
        ] {
            if value.is_some() {
                *slot = value;
            }
        }
    }

    fn check(&self) -> Result<(), Error> {
        let positive = [
            ("body_limit", self.body_limit as u64),
            ("max_change_bytes", self.max_change_bytes as u64),
            ("page_changes", self.page_changes as u64),
            ("page_bytes", self.page_bytes as u64),
            ("token_lifetime_secs", self.token_lifetime_secs),
            ("challenge_lifetime_secs", self.challenge_lifetime_secs),
            ("max_wait_secs", self.max_wait_secs),
            ("max_invite_secs", self.max_invite_secs),
            ("tokens_per_day", u64::from(self.tokens_per_day)),
            ("reply_reads_per_hour", u64::from(self.reply_reads_per_hour)),
            ("drop_retention_days", u64::from(self.drop_retention_days)),
            ("page_drops", self.page_drops as u64),
            ("blob_retention_days", u64::from(self.blob_retention_days)),
            ("blob_quota_bytes", self.blob_quota_bytes),
            ("compact_min_changes", self.compact_min_changes),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(Error::Config(format!("{name} must be greater than 0")));
        }
        if self.cache_secs > MAX_CACHE_SECS {
            return Err(Error::Config(format!(
                "cache_secs is at most {MAX_CACHE_SECS}: it is how long a revoked member may keep \
                 reading on an instance that missed the revocation"
            )));
        }
        // Devices refuse any change over this limit, so a server taking bigger ones would store
        // changes nobody can apply.
        if self.max_change_bytes > MAX_CHANGE_BYTES {
            return Err(Error::Config(format!(
                "max_change_bytes may only lower the limit devices apply ({MAX_CHANGE_BYTES} bytes)"
            )));
        }
        if self.open_group_creation && self.group_creation_token.is_some() {
            return Err(Error::Config(
                "set either group_creation_token or open_group_creation = true, not both".into(),
            ));
        }
        let files = self.tls_cert.is_some() || self.tls_key.is_some();
        match self.tls {
            TlsMode::Certificate if self.tls_cert.is_none() || self.tls_key.is_none() => Err(
                Error::Config("tls = \"certificate\" needs both tls_cert and tls_key".into()),
            ),
            TlsMode::Off | TlsMode::SelfSigned if files => Err(Error::Config(
                "tls_cert and tls_key are only used with tls = \"certificate\"; set it, or remove them".into(),
            )),
            _ => Ok(()),
        }
    }
}

/// A commented example settings file holding the defaults (`porchlight serve --default-config`).
pub fn default_config() -> &'static str {
    include_str!("default_config.toml")
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
    fn text_settings_from_the_environment_stay_text() {
        let s = Settings::from_sources(
            None,
            env(&[
                ("PORCHLIGHT_GROUP_CREATION_TOKEN", "0123"),
                (
                    "PORCHLIGHT_DATABASE",
                    "sqlite:///var/lib/porchlight/server.db",
                ),
                ("PORCHLIGHT_LISTEN", "0.0.0.0:8470"),
                ("PORCHLIGHT_OPEN_GROUP_CREATION", "false"),
                ("PORCHLIGHT_COMPACT_EVERY_SECS", "0"),
                // Not a server setting: the app's, ignored here.
                ("PORCHLIGHT_DATA_DIR", "/tmp/x"),
            ]),
        )
        .unwrap();
        assert_eq!(s.group_creation_token.unwrap().expose(), "0123");
        assert_eq!(s.database, "sqlite:///var/lib/porchlight/server.db");
        assert_eq!(s.listen, "0.0.0.0:8470".parse().unwrap());
        assert_eq!(s.compact_every_secs, 0);
    }

    #[test]
    fn the_example_file_parses_to_the_defaults() {
        let s = Settings::from_sources(Some(default_config()), env(&[])).unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn environment_overrides_file_overrides_defaults() {
        let file = "body_limit = 100\nmax_wait_secs = 5\n";
        let s = Settings::from_sources(
            Some(file),
            env(&[("PORCHLIGHT_MAX_WAIT_SECS", "7"), ("PORCHLIGHT_OTHER", "x")]),
        )
        .unwrap();
        assert_eq!(s.body_limit, 100);
        assert_eq!(s.max_wait_secs, 7);
        assert_eq!(s.page_changes, Settings::default().page_changes);
    }

    #[test]
    fn bad_settings_are_rejected_not_panicking() {
        assert!(Settings::from_sources(Some("bodylimit = 1"), env(&[])).is_err());
        assert!(Settings::from_sources(None, env(&[("PORCHLIGHT_BODY_LIMIT", "lots")])).is_err());
        assert!(Settings::from_sources(Some("page_changes = 0"), env(&[])).is_err());
        assert!(Settings::from_sources(None, env(&[("PORCHLIGHT_TOKENS_PER_DAY", "0")])).is_err());
        assert!(Settings::from_sources(None, env(&[("PORCHLIGHT_PAGE_DROPS", "-1")])).is_err());
    }

    #[test]
    fn the_drop_box_settings_are_layered_like_the_rest() {
        let file = "tokens_per_day = 5\ndrop_retention_days = 30\n";
        let s = Settings::from_sources(
            Some(file),
            env(&[
                ("PORCHLIGHT_TOKENS_PER_DAY", "7"),
                ("PORCHLIGHT_REPLY_READS_PER_HOUR", "70"),
                ("PORCHLIGHT_PAGE_DROPS", "20"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (
                s.tokens_per_day,
                s.reply_reads_per_hour,
                s.drop_retention_days,
                s.page_drops
            ),
            (7, 70, 30, 20)
        );
    }

    #[test]
    fn the_change_limit_may_only_be_lowered() {
        let lower = Settings::from_sources(Some("max_change_bytes = 1000"), env(&[])).unwrap();
        assert_eq!(lower.max_change_bytes, 1000);
        let higher = format!("max_change_bytes = {}", MAX_CHANGE_BYTES + 1);
        assert!(matches!(
            Settings::from_sources(Some(&higher), env(&[])),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn group_creation_is_closed_unless_opened_or_given_a_token() {
        let s = Settings::default();
        assert!(!s.open_group_creation && s.group_creation_token.is_none());
        let open = Settings::from_sources(None, env(&[("PORCHLIGHT_OPEN_GROUP_CREATION", "true")]))
            .unwrap();
        assert!(open.open_group_creation);
        let both = "open_group_creation = true\ngroup_creation_token = \"x\"\n";
        assert!(matches!(
            Settings::from_sources(Some(both), env(&[])),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn tls_is_self_signed_unless_told_otherwise() {
        let s = Settings::from_sources(None, env(&[])).unwrap();
        assert_eq!(s.tls, TlsMode::SelfSigned);
        let file =
            "tls = \"certificate\"\ntls_cert = \"/etc/p/cert.pem\"\ntls_key = \"/etc/p/key.pem\"\n";
        let s = Settings::from_sources(Some(file), env(&[])).unwrap();
        assert_eq!(s.tls, TlsMode::Certificate);
        assert_eq!(s.tls_key.as_deref(), Some(Path::new("/etc/p/key.pem")));
        let s = Settings::from_sources(
            None,
            env(&[("PORCHLIGHT_TLS", "off"), ("PORCHLIGHT_TLS_DIR", "/x")]),
        )
        .unwrap();
        assert_eq!(
            (s.tls, s.tls_dir.as_deref()),
            (TlsMode::Off, Some(Path::new("/x")))
        );
    }

    #[test]
    fn half_a_tls_setup_is_rejected_not_panicking() {
        for (file, vars) in [
            ("tls = \"certificate\"\ntls_cert = \"c.pem\"\n", vec![]),
            ("tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n", vec![]),
            ("tls = \"on\"\n", vec![]),
            ("", vec![("PORCHLIGHT_TLS", "yes")]),
        ] {
            assert!(
                matches!(
                    Settings::from_sources(Some(file), env(&vars)),
                    Err(Error::Config(_))
                ),
                "{file:?} {vars:?}"
            );
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s =
            Settings::from_sources(None, env(&[("PORCHLIGHT_GROUP_CREATION_TOKEN", "hunter2")]))
                .unwrap();
        assert_eq!(
            s.group_creation_token.as_ref().map(Secret::expose),
            Some("hunter2")
        );
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
