//! Opaque pagination markers over ordered lists (KMS's `Marker`, IAM's `Marker`):
//! a marker is the last key returned, so a page stays correct while items are
//! added or removed between calls.

use crate::error::ApiError;

/// Decodes a pagination marker (an opaque position: the last id returned).
pub fn decode_marker(
    marker: Option<&str>,
    invalid: impl Fn() -> ApiError,
) -> Result<Option<String>, ApiError> {
    use base64::Engine as _;
    let Some(m) = marker else { return Ok(None) };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(m)
        .map_err(|_| invalid())?;
    String::from_utf8(bytes).map(Some).map_err(|_| invalid())
}

/// Encodes a pagination marker.
pub fn encode_marker(position: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position)
}

/// Pages an ordered list: items after `marker`, at most `limit`; returns the page
/// and the next marker when truncated.
pub fn page<T: Clone>(
    items: &[(String, T)],
    marker: Option<&str>,
    limit: usize,
    invalid: impl Fn() -> ApiError,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = limit.max(1);
    let start = match decode_marker(marker, invalid)? {
        None => 0,
        Some(after) => items
            .iter()
            .position(|(k, _)| *k > after)
            .unwrap_or(items.len()),
    };
    let rest = items.get(start..).unwrap_or_default();
    let page: Vec<T> = rest.iter().take(limit).map(|(_, v)| v.clone()).collect();
    let next = if rest.len() > limit {
        rest.get(limit - 1).map(|(k, _)| encode_marker(k))
    } else {
        None
    };
    Ok((page, next))
}
