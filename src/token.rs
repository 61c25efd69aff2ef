//! `childstat token`: a new bearer token, shown once, and the `[access]` entry that holds
//! only its SHA-256, to paste into the configuration.

use crate::error::AppError;
use childstat_api::auth::sha256_hex;
use childstat_config::{AccessConfig, Role, TokenConfig};
use rand::TryRngCore;

/// Marks childstat tokens, so secret scanners and people can tell one when they see it.
pub const PREFIX: &str = "cst_";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    /// `cst_` and 64 hex digits: 256 random bits.
    pub token: String,
    pub entry: TokenConfig,
}

/// A token from 32 bytes of the operating system's random source.
pub fn generate(name: &str, role: Role) -> Result<NewToken, AppError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| AppError::Invalid(format!("the system random source failed: {e}")))?;
    from_bytes(name, role, bytes)
}

/// The token made of `bytes`, with its entry, checked as `[access]` would check it.
pub fn from_bytes(name: &str, role: Role, bytes: [u8; 32]) -> Result<NewToken, AppError> {
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(AppError::Invalid(
            "--name must be a non-empty name without control characters, e.g. qi-team".into(),
        ));
    }
    let token: String = std::iter::once(PREFIX.to_string())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect();
    let entry = TokenConfig {
        name: name.to_string(),
        sha256: sha256_hex(&token),
        role,
    };
    Ok(NewToken { token, entry })
}

impl NewToken {
    /// The entry as a TOML inline table, for `tokens = [ ... ]` under `[access]`.
    pub fn toml_entry(&self) -> String {
        let quoted = |s: &str| {
            let mut out = String::from('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        };
        format!(
            "{{ name = {}, sha256 = \"{}\", role = \"{}\" }}",
            quoted(&self.entry.name),
            self.entry.sha256,
            self.entry.role.as_str()
        )
    }

    /// What `childstat token` prints: the token once, then where its hash goes.
    pub fn instructions(&self) -> String {
        format!(
            "Token for `{name}` ({role}). It is shown only this once; childstat keeps only its hash:\n\n\
             \x20 {token}\n\n\
             Add this entry to the configuration file, under [access]:\n\n\
             \x20 [access]\n\
             \x20 tokens = [\n\
             \x20   {entry},\n\
             \x20 ]\n\n\
             and restart childstat. Clients send it as `Authorization: Bearer <token>`.\n",
            name = self.entry.name,
            role = self.entry.role.as_str(),
            token = self.token,
            entry = self.toml_entry(),
        )
    }

    /// Whether the entry would pass `[access]` validation next to `existing` tokens.
    pub fn fits(&self, existing: &AccessConfig) -> Result<(), String> {
        if let Some(t) = existing.tokens.iter().find(|t| t.name == self.entry.name) {
            return Err(format!(
                "a token named `{}` is already configured; choose another --name or remove it first",
                t.name
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use childstat_api::auth::Keys;
    use childstat_config::Config;

    #[test]
    fn the_entry_holds_the_hash_and_the_token_resolves_to_its_role() {
        let t = from_bytes("qi-team", Role::Reviewer, [7u8; 32]).unwrap();
        assert_eq!(t.token, format!("cst_{}", "07".repeat(32)));
        assert_eq!(t.entry.sha256, sha256_hex(&t.token));
        assert!(!t.toml_entry().contains(&t.token));
        let keys = Keys::new(&AccessConfig {
            tokens: vec![t.entry.clone()],
        });
        assert_eq!(keys.resolve(&t.token), Some(Role::Reviewer));
    }

    #[test]
    fn the_printed_entry_loads_as_configuration() {
        let t = from_bytes("press \"office\"", Role::Public, [42u8; 32]).unwrap();
        let text = format!("[access]\ntokens = [\n  {},\n]\n", t.toml_entry());
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        let cfg = Config::load_from(Some(f.path()), &[]).unwrap();
        assert_eq!(cfg.access.tokens, vec![t.entry.clone()]);
        assert!(t.instructions().contains(&t.token));
        assert!(t.instructions().contains(&t.toml_entry()));
    }

    #[test]
    fn generated_tokens_differ_and_bad_names_are_refused() {
        let a = generate("a", Role::Viewer).unwrap();
        let b = generate("a", Role::Viewer).unwrap();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), PREFIX.len() + 64);
        assert!(from_bytes(" ", Role::Viewer, [0; 32]).is_err());
        assert!(from_bytes("a\nb", Role::Viewer, [0; 32]).is_err());
        let existing = AccessConfig {
            tokens: vec![a.entry.clone()],
        };
        assert!(b.fits(&existing).is_err());
        assert!(generate("c", Role::Viewer).unwrap().fits(&existing).is_ok());
    }
}
