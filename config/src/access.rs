//! `[access]`: who may read the API. Tokens are stored only as SHA-256 hashes, so the
//! configuration (and `check-config` output) never holds a usable credential.

use crate::ConfigError;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// Bearer tokens, by the SHA-256 of the token. Empty means "no tokens": the API
    /// then listens on loopback only and case-level views are off.
    pub tokens: Vec<TokenConfig>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Who holds the token, for people reading the configuration (never logged per request).
    pub name: String,
    /// Lower-case hex SHA-256 of the token as presented in `Authorization: Bearer`.
    pub sha256: String,
    pub role: Role,
}

/// What a token may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Aggregates, small cells included: management.
    Viewer,
    /// Aggregates and the case-level candidate lists: authorised reviewers.
    Reviewer,
    /// Aggregates with small-cell suppression: anyone beyond management.
    Public,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Reviewer => "reviewer",
            Role::Public => "public",
        }
    }
}

/// Where the API really listens, given the configured `http.bind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenAddr {
    pub addr: SocketAddr,
    /// True when `http.bind` was narrowed to loopback because no tokens are configured.
    pub narrowed: bool,
}

impl AccessConfig {
    pub fn has_tokens(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// Without tokens anyone who can reach the port could read everything, so only this
    /// host may: a non-loopback bind becomes the loopback address of the same family, on
    /// the same port.
    pub fn listen_addr(&self, bind: SocketAddr) -> ListenAddr {
        if self.has_tokens() || bind.ip().is_loopback() {
            return ListenAddr {
                addr: bind,
                narrowed: false,
            };
        }
        let loopback = match bind.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        ListenAddr {
            addr: SocketAddr::new(loopback, bind.port()),
            narrowed: true,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        for (i, t) in self.tokens.iter().enumerate() {
            let name_key = format!("access.tokens[{i}].name");
            if t.name.trim().is_empty() {
                return Err(ConfigError::invalid(
                    &name_key,
                    format!("{name_key} must not be empty"),
                ));
            }
            if let Some(first) = self.tokens[..i].iter().position(|o| o.name == t.name) {
                return Err(ConfigError::invalid(
                    &name_key,
                    format!(
                        "{name_key} `{}` is duplicated (first at access.tokens[{first}])",
                        t.name
                    ),
                ));
            }
            let hash_key = format!("access.tokens[{i}].sha256");
            let is_hash = t.sha256.len() == 64
                && t.sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !is_hash {
                // The value is not echoed: if someone pasted the token itself here, the
                // error message should not spread it into logs.
                return Err(ConfigError::invalid(
                    &hash_key,
                    format!(
                        "{hash_key} must be 64 lower-case hex digits, the SHA-256 of the token \
                         (`childstat token` prints it), not {} characters",
                        t.sha256.chars().count()
                    ),
                ));
            }
            if let Some(first) = self.tokens[..i].iter().position(|o| o.sha256 == t.sha256) {
                return Err(ConfigError::invalid(
                    &hash_key,
                    format!(
                        "{hash_key} is the same hash as access.tokens[{first}].sha256: \
                         one token cannot have two names or roles"
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    const H1: &str = "0b8f8ce2a9d3bd4e9a0bc9c5b1b7b0a64e3e5e5cdbdb2a1f4ed1e8b8f8d1c2a3";
    const H2: &str = "a1f4ed1e8b8f8d1c2a30b8f8ce2a9d3bd4e9a0bc9c5b1b7b0a64e3e5e5cdbdb2";

    fn token(name: &str, sha256: &str, role: Role) -> TokenConfig {
        TokenConfig {
            name: name.into(),
            sha256: sha256.into(),
            role,
        }
    }

    fn with_tokens(tokens: Vec<TokenConfig>) -> Config {
        let mut c = Config::embedded_defaults();
        c.access.tokens = tokens;
        c
    }

    fn invalid(tokens: Vec<TokenConfig>) -> ConfigError {
        let err = with_tokens(tokens).validate().expect_err("invalid");
        assert!(matches!(err, ConfigError::Invalid { .. }), "{err:?}");
        err
    }

    #[test]
    fn defaults_have_no_tokens() {
        let c = Config::embedded_defaults();
        assert!(c.access.tokens.is_empty());
        assert!(!c.access.has_tokens());
    }

    #[test]
    fn tokens_load_from_a_user_file() {
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        std::io::Write::write_all(
            &mut f,
            format!(
                "[access]\ntokens = [\n  {{ name = \"qi-team\", sha256 = \"{H1}\", role = \"reviewer\" }},\n  \
                 {{ name = \"press\", sha256 = \"{H2}\", role = \"public\" }},\n]\n"
            )
            .as_bytes(),
        )
        .unwrap();
        let c = Config::load_from(Some(f.path()), &[]).unwrap();
        assert_eq!(
            c.access.tokens,
            vec![
                token("qi-team", H1, Role::Reviewer),
                token("press", H2, Role::Public)
            ]
        );
    }

    #[test]
    fn tokens_load_from_one_environment_variable() {
        let raw = format!("[{{name=\"qi-team\",sha256=\"{H1}\",role=\"viewer\"}}]");
        let c = Config::load_from(None, &[("CHILDSTAT__ACCESS__TOKENS".into(), raw)]).unwrap();
        assert_eq!(c.access.tokens, vec![token("qi-team", H1, Role::Viewer)]);
    }

    #[test]
    fn an_unknown_role_names_the_key() {
        let raw = format!("[{{name=\"x\",sha256=\"{H1}\",role=\"admin\"}}]");
        let err =
            Config::load_from(None, &[("CHILDSTAT__ACCESS__TOKENS".into(), raw)]).unwrap_err();
        assert_eq!(err.key(), Some("access.tokens[0].role"), "{err}");
        assert!(err.to_string().contains("`viewer`"), "{err}");
    }

    #[test]
    fn validation_names_the_key() {
        let cases = [
            (
                invalid(vec![token(" ", H1, Role::Viewer)]),
                "access.tokens[0].name",
                "access.tokens[0].name must not be empty",
            ),
            (
                invalid(vec![
                    token("a", H1, Role::Viewer),
                    token("a", H2, Role::Public),
                ]),
                "access.tokens[1].name",
                "access.tokens[1].name `a` is duplicated (first at access.tokens[0])",
            ),
            (
                invalid(vec![token("a", &H1.to_uppercase(), Role::Viewer)]),
                "access.tokens[0].sha256",
                "access.tokens[0].sha256 must be 64 lower-case hex digits",
            ),
            (
                invalid(vec![token("a", &H1[..63], Role::Viewer)]),
                "access.tokens[0].sha256",
                "access.tokens[0].sha256 must be 64 lower-case hex digits",
            ),
            (
                invalid(vec![
                    token("a", H1, Role::Viewer),
                    token("b", H1, Role::Reviewer),
                ]),
                "access.tokens[1].sha256",
                "access.tokens[1].sha256 is the same hash as access.tokens[0].sha256",
            ),
        ];
        for (err, key, start) in cases {
            assert_eq!(err.key(), Some(key));
            assert!(err.to_string().starts_with(start), "{err}");
        }
    }

    #[test]
    fn a_pasted_token_is_not_echoed() {
        let secret = "cst_this-is-the-token-itself-not-its-hash";
        let err = invalid(vec![token("a", secret, Role::Viewer)]);
        assert!(!err.to_string().contains(secret), "{err}");
    }

    #[test]
    fn without_tokens_a_public_bind_narrows_to_loopback_on_the_same_port() {
        let none = AccessConfig::default();
        let some = AccessConfig {
            tokens: vec![token("a", H1, Role::Viewer)],
        };
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        let cases = [
            (&none, "0.0.0.0:8080", "127.0.0.1:8080", true),
            (&none, "10.1.2.3:9000", "127.0.0.1:9000", true),
            (&none, "[::]:8080", "[::1]:8080", true),
            (&none, "127.0.0.1:8080", "127.0.0.1:8080", false),
            (&none, "127.0.0.2:0", "127.0.0.2:0", false),
            (&none, "[::1]:8080", "[::1]:8080", false),
            (&some, "0.0.0.0:8080", "0.0.0.0:8080", false),
            (&some, "10.1.2.3:9000", "10.1.2.3:9000", false),
        ];
        for (access, bind, want, narrowed) in cases {
            assert_eq!(
                access.listen_addr(addr(bind)),
                ListenAddr {
                    addr: addr(want),
                    narrowed
                },
                "{bind}"
            );
        }
    }
}
