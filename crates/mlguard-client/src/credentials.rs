//! Credentials and region, found the way the AWS CLI finds them: environment
//! variables first, then the profile (`--profile`, `AWS_PROFILE`, else `default`)
//! in the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else
//! `~/.aws/credentials`) and config file (`AWS_CONFIG_FILE`, else `~/.aws/config`,
//! where profiles are `[profile NAME]`).

use std::collections::HashMap;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::ClientError;

/// AWS credentials. The secret and token are wiped on drop and never printed.
#[derive(Clone)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: Zeroizing<String>,
    /// Session token of temporary credentials.
    pub session_token: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("session_token", &self.session_token.is_some())
            .finish_non_exhaustive()
    }
}

/// What a profile resolved to.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The credentials.
    pub credentials: Credentials,
    /// The region, if one is configured.
    pub region: Option<String>,
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// Parses an INI file into sections of key/value pairs (`[name]` headers, `key = value`).
fn ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut sections: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_string();
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            sections
                .entry(current.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    sections
}

fn read(path: &PathBuf) -> Option<Zeroizing<String>> {
    std::fs::read_to_string(path).ok().map(Zeroizing::new)
}

/// Resolves credentials and region for `profile` (None: `AWS_PROFILE` or `default`).
pub fn resolve(profile: Option<&str>) -> Result<Profile, ClientError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let env_region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    let explicit_profile = profile.map(str::to_string).or_else(|| env("AWS_PROFILE"));
    if explicit_profile.is_none()
        && let (Some(akid), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
    {
        return Ok(Profile {
            credentials: Credentials {
                access_key_id: akid,
                secret_access_key: Zeroizing::new(secret),
                session_token: env("AWS_SESSION_TOKEN").map(Zeroizing::new),
            },
            region: env_region,
        });
    }
    let name = explicit_profile.unwrap_or_else(|| "default".to_string());
    let credentials_path = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws/credentials")));
    let config_path = env("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws/config")));
    let creds_ini = credentials_path
        .as_ref()
        .and_then(read)
        .map(|t| ini(&t))
        .unwrap_or_default();
    let config_ini = config_path
        .as_ref()
        .and_then(read)
        .map(|t| ini(&t))
        .unwrap_or_default();
    let config_section = config_ini.get(&format!("profile {name}")).or_else(|| {
        if name == "default" {
            config_ini.get("default")
        } else {
            None
        }
    });
    let section = creds_ini.get(&name).or(config_section).ok_or_else(|| {
        ClientError::Config(format!(
            "no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or configure profile `{name}` in {}",
            credentials_path.map(|p| p.display().to_string()).unwrap_or_else(|| "~/.aws/credentials".into())
        ))
    })?;
    let get = |k: &str| {
        section
            .get(k)
            .or_else(|| config_section.and_then(|c| c.get(k)))
            .cloned()
    };
    let access_key_id = get("aws_access_key_id")
        .ok_or_else(|| ClientError::Config(format!("profile `{name}` has no aws_access_key_id")))?;
    let secret = get("aws_secret_access_key").ok_or_else(|| {
        ClientError::Config(format!("profile `{name}` has no aws_secret_access_key"))
    })?;
    Ok(Profile {
        credentials: Credentials {
            access_key_id,
            secret_access_key: Zeroizing::new(secret),
            session_token: get("aws_session_token").map(Zeroizing::new),
        },
        region: env_region.or_else(|| get("region")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections() {
        let parsed = ini("[default]\naws_access_key_id = A\n# c\n[profile x]\nregion=eu-west-1\n");
        assert_eq!(parsed["default"]["aws_access_key_id"], "A");
        assert_eq!(parsed["profile x"]["region"], "eu-west-1");
    }
}
