//! The environment layer of Porchlight's settings, shared by the device and the server: both read
//! defaults, then a TOML file, then `PORCHLIGHT_<NAME>` variables (layered with `figment`).

/// The prefix of every Porchlight environment variable.
pub const ENV_PREFIX: &str = "PORCHLIGHT_";

/// The `PORCHLIGHT_*` entries of `env` that name a setting `is_setting` knows, as (setting name in
/// lower case, value). Other Porchlight variables (the app's `PORCHLIGHT_DATA_DIR`, a test's
/// seed) belong to someone else and are left out, so a settings file can still refuse unknown
/// names.
pub fn settings_from_env(
    env: impl IntoIterator<Item = (String, String)>,
    is_setting: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    env.into_iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix(ENV_PREFIX)?.to_ascii_lowercase();
            is_setting(&name).then_some((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_porchlight_settings_are_taken() {
        let env = [
            ("PORCHLIGHT_SYNC_INTERVAL_SECS", "9"),
            ("PORCHLIGHT_DATA_DIR", "/tmp/x"),
            ("HOME", "/root"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(
            settings_from_env(env, |name| name == "sync_interval_secs"),
            [("sync_interval_secs".to_owned(), "9".to_owned())]
        );
    }
}
