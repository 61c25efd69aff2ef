use figment::error::Kind;
use figment::Source;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Everything that can go wrong loading configuration. Every message names the key
/// involved and, for values read from a file or the environment, where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A layer is not valid TOML, or a value does not fit its key: an unknown key,
    /// a wrong type, an unparsable duration, address or time zone.
    #[error("{message}")]
    Load {
        /// Dotted path of the offending key, e.g. `kafka.batch_size` or `zones[3].code`.
        key: Option<String>,
        message: String,
    },
    /// Every value has the right type but breaks a rule, e.g. a zero batch size.
    #[error("{message}")]
    Invalid { key: String, message: String },
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ConfigError {
    /// The dotted path of the key at fault, when there is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Load { key, .. } => key.as_deref(),
            ConfigError::Invalid { key, .. } => Some(key),
            ConfigError::Read { .. } => None,
        }
    }

    /// `message` is the whole sentence, so each rule can phrase itself naturally.
    pub(crate) fn invalid(key: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            key: key.to_owned(),
            message,
        }
    }

    /// Rewrites figment's errors, whose keys read `"default.zones.3.code"` (profile
    /// included, arrays dotted) and whose environment sources do not name the variable.
    pub(crate) fn from_figment(err: figment::Error) -> ConfigError {
        let mut key = None;
        let mut message = String::new();
        for e in err {
            let path = render_path(&e.path);
            if !message.is_empty() {
                message.push('\n');
            }
            message.push_str(&describe(&e, &path));
            if key.is_none() && !path.is_empty() {
                key = Some(path);
            }
        }
        ConfigError::Load { key, message }
    }
}

fn describe(e: &figment::Error, path: &str) -> String {
    let source = source(e);
    let mut out = match &e.kind {
        Kind::UnknownField(field, expected) => {
            let parent = render_path(&e.path[..e.path.len().saturating_sub(1)]);
            let place = if parent.is_empty() {
                "at the top level".to_owned()
            } else {
                format!("in {parent}")
            };
            format!(
                "unknown field `{field}` {place}; expected {}",
                one_of(expected)
            )
        }
        // figment's own wording doubles the backticks around the alternatives.
        Kind::UnknownVariant(value, expected) => {
            format!(
                "{path}: unknown value `{value}`; expected {}",
                one_of(expected)
            )
        }
        // Keyless errors are whole-layer ones, such as TOML syntax errors spanning
        // several lines, so the layer goes first where it cannot be missed.
        kind if path.is_empty() => {
            let text = kind.to_string();
            return match source {
                Some(source) => format!("{source}: {}", text.trim_end()),
                None => text.trim_end().to_owned(),
            };
        }
        kind => format!("{path}: {kind}"),
    };
    if let Some(source) = source {
        let _ = write!(out, " (from {source})");
    }
    out
}

fn source(e: &figment::Error) -> Option<String> {
    let md = e.metadata.as_ref()?;
    Some(match &md.source {
        Some(Source::File(file)) => format!("file {}", file.display()),
        _ if md.name.contains("environment variable") => {
            let mut var = crate::ENV_PREFIX.to_owned();
            var.push_str(&e.path.join("__").to_ascii_uppercase());
            format!("environment variable {var}")
        }
        _ => md.name.to_string(),
    })
}

/// `["zones", "3", "code"]` becomes `zones[3].code`.
fn render_path(path: &[String]) -> String {
    let mut out = String::new();
    for part in path {
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            let _ = write!(out, "[{part}]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.len() {
        0 => "nothing here".to_owned(),
        1 => quoted[0].clone(),
        _ => format!("one of {}", quoted.join(", ")),
    }
}
