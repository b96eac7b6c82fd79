//! Who may create workshops (`POST /api/rooms`): with `--creator-keys FILE`, a holder of one of the
//! operator's creator keys (`Authorization: Bearer <key>`); with `--trusted-user-header`, a user
//! the authenticating reverse proxy in front names (accepted only from `--trusted-proxy`
//! addresses); with neither, anyone (as before — the server warns at start when it is bound to
//! anything but loopback). The creator is kept in the room's record, so a signed-in facilitator
//! can list the workshops they made (`GET /api/rooms`).
//!
//! The key file holds one key per line, as it is or as `sha256:<hex>` (blank lines and lines
//! starting with `#` are skipped); only digests are kept in memory, and the file is read again
//! on SIGHUP (a file that cannot be read then keeps the keys there were).

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::RwLock;

use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;
use subtle::ConstantTimeEq;

use crate::tokens;

/// Why a creation is refused (the HTTP handler answers `401 {"error"}`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "creating a workshop needs a creator key (Authorization: Bearer <key>) from the operator"
    )]
    NoKey,
    #[error("this creator key is not valid on this server")]
    WrongKey,
}

#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("creator keys file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("creator keys file {path}, line {line}: {why}")]
    Line {
        path: PathBuf,
        line: usize,
        why: String,
    },
}

pub struct Creators {
    file: Option<PathBuf>,
    /// SHA-256 (hex) of each key.
    keys: RwLock<HashSet<String>>,
    user_header: Option<HeaderName>,
    proxies: Vec<IpNet>,
}

impl Creators {
    pub fn new(
        file: Option<PathBuf>,
        user_header: Option<HeaderName>,
        proxies: Vec<IpNet>,
    ) -> Result<Creators, KeysError> {
        let keys = match &file {
            Some(path) => read_keys(path)?,
            None => HashSet::new(),
        };
        Ok(Creators {
            file,
            keys: RwLock::new(keys),
            user_header,
            proxies,
        })
    }

    /// Does creating a workshop need a key or a signed-in user?
    pub fn required(&self) -> bool {
        self.file.is_some() || self.user_header.is_some()
    }

    /// Reads the key file again (SIGHUP); on an error the keys stay as they were.
    pub fn reload(&self) -> Result<usize, KeysError> {
        let Some(path) = &self.file else {
            return Ok(0);
        };
        let keys = read_keys(path)?;
        let n = keys.len();
        if let Ok(mut current) = self.keys.write() {
            *current = keys;
        }
        Ok(n)
    }

    /// The user the trusted proxy names, if the request came from one and names one.
    pub fn user(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<String> {
        let header = self.user_header.as_ref()?;
        let peer = peer?;
        if !self.proxies.iter().any(|net| net.contains(&peer)) {
            return None;
        }
        let name = headers.get(header)?.to_str().ok()?.trim();
        (!name.is_empty() && name.chars().count() <= 256).then(|| name.to_string())
    }

    /// Who is creating: `user:<name>` (signed in through the proxy) or `key:<first 16 hex of
    /// its digest>`, or `None` when creation is open to anyone. Refused when a key or user is
    /// required and the request has neither.
    pub fn creator(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
        bearer: Option<&str>,
    ) -> Result<Option<String>, Refused> {
        if let Some(user) = self.user(headers, peer) {
            return Ok(Some(format!("user:{user}")));
        }
        if !self.required() {
            return Ok(None);
        }
        let key = bearer.ok_or(Refused::NoKey)?;
        let presented = tokens::digest(key);
        let known = self.keys.read().map(|keys| {
            keys.iter()
                .any(|k| bool::from(k.as_bytes().ct_eq(presented.as_bytes())))
        });
        match known {
            Ok(true) => Ok(Some(format!("key:{}", &presented[..16]))),
            _ if self.file.is_none() => Err(Refused::NoKey),
            _ => Err(Refused::WrongKey),
        }
    }
}

fn read_keys(path: &PathBuf) -> Result<HashSet<String>, KeysError> {
    let text = std::fs::read_to_string(path).map_err(|error| KeysError::Read {
        path: path.clone(),
        error,
    })?;
    let mut keys = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| KeysError::Line {
            path: path.clone(),
            line: i + 1,
            why: why.to_string(),
        };
        let digest = match line.strip_prefix("sha256:") {
            Some(hex) => {
                let hex = hex.trim().to_ascii_lowercase();
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad("sha256: must be followed by 64 hex digits"));
                }
                hex
            }
            None if line.chars().count() < 16 => {
                return Err(bad("a key must be at least 16 characters"))
            }
            None if line.contains(char::is_whitespace) => return Err(bad("a key has no spaces")),
            None => tokens::digest(line),
        };
        keys.insert(digest);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn keys_as_they_are_or_as_digests_and_reloaded() {
        let plain = "kommune-nord-2026-facilitator";
        let other = "kommune-syd-2026-facilitator";
        let (_dir, path) = file(&format!(
            "# creator keys\n\n{plain}\nsha256:{}\n",
            tokens::digest(other).to_uppercase()
        ));
        let creators = Creators::new(Some(path.clone()), None, Vec::new()).unwrap();
        let headers = HeaderMap::new();
        assert!(creators
            .creator(&headers, None, Some(plain))
            .unwrap()
            .is_some());
        assert!(creators
            .creator(&headers, None, Some(other))
            .unwrap()
            .is_some());
        assert_eq!(
            creators.creator(&headers, None, Some("not-a-key-at-all")),
            Err(Refused::WrongKey)
        );
        assert_eq!(creators.creator(&headers, None, None), Err(Refused::NoKey));
        std::fs::write(&path, format!("{other}\n")).unwrap();
        assert_eq!(creators.reload().unwrap(), 1);
        assert_eq!(
            creators.creator(&headers, None, Some(plain)),
            Err(Refused::WrongKey)
        );
        std::fs::write(&path, "short\n").unwrap();
        assert!(creators.reload().is_err());
        assert!(
            creators.creator(&headers, None, Some(other)).is_ok(),
            "a bad file keeps the keys"
        );
    }

    #[test]
    fn the_user_header_counts_only_from_a_trusted_proxy() {
        let header = HeaderName::from_static("x-forwarded-user");
        let creators = Creators::new(
            None,
            Some(header.clone()),
            vec!["10.0.0.0/8".parse().unwrap()],
        )
        .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header, "anne@kommune.dk".parse().unwrap());
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "192.168.1.9".parse().unwrap();
        assert_eq!(
            creators.creator(&headers, Some(proxy), None).unwrap(),
            Some("user:anne@kommune.dk".to_string())
        );
        assert_eq!(
            creators.creator(&headers, Some(stranger), None),
            Err(Refused::NoKey)
        );
        let open = Creators::new(None, None, Vec::new()).unwrap();
        assert_eq!(open.creator(&headers, Some(stranger), None), Ok(None));
    }
}
