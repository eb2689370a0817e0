//! Encryption context: non-secret key-value pairs bound to a ciphertext as
//! additional authenticated data. KMS requires an exact, case-sensitive match on
//! decryption, whatever order the pairs arrive in, so they are canonicalized:
//! sorted by key, each key and value length-prefixed.

use std::collections::BTreeMap;

/// An encryption context, in canonical (sorted) order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// The pairs, sorted by key.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The canonical bytes used as AAD: for each pair in key order,
    /// `u32 key length, key, u32 value length, value` (big-endian lengths).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.iter().map(|(k, v)| 8 + k.len() + v.len()).sum());
        for (k, v) in &self.0 {
            for part in [k, v] {
                out.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
                out.extend_from_slice(part.as_bytes());
            }
        }
        out
    }

    /// Reads canonical bytes back. `None` when malformed or not canonical.
    pub fn from_canonical_bytes(mut bytes: &[u8]) -> Option<Self> {
        let mut map = BTreeMap::new();
        let mut last: Option<String> = None;
        while !bytes.is_empty() {
            let mut take = || -> Option<String> {
                let len = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
                let len = usize::try_from(len).ok()?;
                let text = std::str::from_utf8(bytes.get(4..4 + len)?)
                    .ok()?
                    .to_string();
                bytes = bytes.get(4 + len..)?;
                Some(text)
            };
            let key = take()?;
            let value = take()?;
            if last.as_ref().is_some_and(|l| *l >= key) {
                return None;
            }
            last = Some(key.clone());
            map.insert(key, value);
        }
        Some(EncryptionContext(map))
    }
}

impl From<BTreeMap<String, String>> for EncryptionContext {
    fn from(map: BTreeMap<String, String>) -> Self {
        EncryptionContext(map)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for EncryptionContext {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        EncryptionContext(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_and_bytes_round_trip() {
        let a: EncryptionContext = [("project", "vision"), ("env", "prod")]
            .into_iter()
            .collect();
        let b: EncryptionContext = [("env", "prod"), ("project", "vision")]
            .into_iter()
            .collect();
        assert_eq!(a.canonical_bytes(), b.canonical_bytes());
        assert_eq!(
            EncryptionContext::from_canonical_bytes(&a.canonical_bytes()),
            Some(a.clone())
        );
        // A value cannot masquerade as a key boundary.
        let c: EncryptionContext = [("a", "b\u{0}c")].into_iter().collect();
        let d: EncryptionContext = [("a", "b"), ("c", "")].into_iter().collect();
        assert_ne!(c.canonical_bytes(), d.canonical_bytes());
        assert_eq!(
            EncryptionContext::from_canonical_bytes(&[0, 0, 0, 9, b'x']),
            None
        );
        assert_eq!(EncryptionContext::new().canonical_bytes(), Vec::<u8>::new());
    }
}
