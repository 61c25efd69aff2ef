//! Layering: embedded defaults, then the user file, then environment variables.

use crate::{Config, ConfigError, DEFAULTS_TOML};
use figment::providers::{Env, Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use std::path::Path;

/// Environment variables starting with this (case-insensitive) override the files.
pub const ENV_PREFIX: &str = "CHILDSTAT__";
/// Separates nesting levels in a variable name: `CHILDSTAT__KAFKA__BROKERS`.
const ENV_SEPARATOR: &str = "__";
pub(crate) const DEFAULTS_NAME: &str = "built-in defaults (config/childstat.toml)";

impl Config {
    /// Loads defaults, then `file` if given, then `CHILDSTAT__*` variables from the
    /// process environment, and validates the result.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load_with(file, Env::prefixed(ENV_PREFIX).split(ENV_SEPARATOR))
    }

    /// [`Config::load`], with `env` standing in for the process environment, so that
    /// tests and embedders need not mutate global state.
    pub fn load_from(file: Option<&Path>, env: &[(String, String)]) -> Result<Config, ConfigError> {
        Config::load_with(file, EnvPairs(env.to_vec()))
    }

    /// The compiled-in defaults alone: no file, no environment.
    pub fn embedded_defaults() -> Config {
        // A unit test loads and validates the embedded file, so this cannot fail in a
        // released binary.
        defaults_figment()
            .extract()
            .expect("config/childstat.toml must deserialize into Config")
    }

    fn load_with(file: Option<&Path>, env: impl Provider) -> Result<Config, ConfigError> {
        let mut figment = defaults_figment();
        if let Some(path) = file {
            // figment reads a missing file as empty; a file the operator named must exist.
            std::fs::File::open(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            figment = figment.merge(Toml::file_exact(path));
        }
        let config: Config = figment
            .merge(env)
            .extract()
            .map_err(ConfigError::from_figment)?;
        config.validate()?;
        Ok(config)
    }
}

fn defaults_figment() -> Figment {
    Figment::from(Named {
        name: DEFAULTS_NAME,
        inner: Toml::string(DEFAULTS_TOML),
    })
}

/// Renames a provider, so errors in the embedded file say where it really lives
/// rather than "TOML source string".
struct Named<P> {
    name: &'static str,
    inner: P,
}

impl<P: Provider> Provider for Named<P> {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.inner.data()
    }
}

/// The same mapping as `Env::prefixed(ENV_PREFIX).split(ENV_SEPARATOR)`, over a given
/// list of variables instead of the process environment.
struct EnvPairs(Vec<(String, String)>);

impl Provider for EnvPairs {
    fn metadata(&self) -> Metadata {
        // Identical metadata, so errors read the same whichever provider produced them.
        Env::prefixed(ENV_PREFIX).metadata()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (name, raw) in &self.0 {
            let name = name.trim();
            let Some(rest) = name
                .get(..ENV_PREFIX.len())
                .filter(|p| p.eq_ignore_ascii_case(ENV_PREFIX))
                .map(|_| &name[ENV_PREFIX.len()..])
            else {
                continue;
            };
            let key = rest.replace(ENV_SEPARATOR, ".").trim().to_ascii_lowercase();
            if key.split('.').any(str::is_empty) {
                continue;
            }
            let value: Value = raw.parse().unwrap_or_else(|never| match never {});
            insert_nested(&mut dict, &key, value);
        }
        Ok(Profile::Default.collect(dict))
    }
}

fn insert_nested(dict: &mut Dict, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            dict.insert(key.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = dict
                .entry(head.to_owned())
                .or_insert_with(|| Dict::new().into());
            if !matches!(entry, Value::Dict(..)) {
                *entry = Dict::new().into();
            }
            if let Value::Dict(_, inner) = entry {
                insert_nested(inner, rest, value);
            }
        }
    }
}
