//! Trusted-document manifests: Apollo's `persisted-query-manifest.json` and GraphQL Codegen's
//! `persisted-documents.json`.
//!
//! ```text
//! Apollo:  {"format": "apollo-persisted-query-manifest", "version": 1,
//!           "operations": [{"id": "<sha256 hex>", "name": "Me", "type": "query", "body": "..."}]}
//! Codegen: {"<sha256 hex>" or "sha256:<hex>": "<document>", ...}
//! ```

use serde_json::Value;
use sha2::{Digest, Sha256};

/// One document of a manifest, its id checked against its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Lower-case hex SHA-256 of `body`.
    pub hash: String,
    /// The name the manifest gives, if any.
    pub name: Option<String>,
    /// The document.
    pub body: String,
    /// Where it sits in the manifest, for error messages (e.g. `operations[2]`).
    pub path: String,
}

/// Lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Whether `hash` is 64 hex digits.
pub fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The hex of a `sha256:<hex>` document id; `None` for any other form.
pub fn document_hash(id: &str) -> Option<String> {
    id.strip_prefix("sha256:")
        .filter(|hex| is_sha256_hex(hex))
        .map(str::to_ascii_lowercase)
}

/// Reads either manifest format; every error names the entry at fault.
pub fn parse(manifest: &Value) -> Result<Vec<ManifestEntry>, String> {
    let Value::Object(map) = manifest else {
        return Err("a manifest is a JSON object".into());
    };
    let entries = if map.get("format").and_then(Value::as_str)
        == Some("apollo-persisted-query-manifest")
    {
        if map.get("version").and_then(Value::as_i64) != Some(1) {
            return Err("only version 1 of apollo-persisted-query-manifest is known".into());
        }
        let Some(Value::Array(operations)) = map.get("operations") else {
            return Err("`operations` must be an array".into());
        };
        operations
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let path = format!("operations[{i}]");
                let text = |field: &str| op.get(field).and_then(Value::as_str).map(str::to_owned);
                let id = text("id").ok_or_else(|| format!("{path}: `id` must be a string"))?;
                let body =
                    text("body").ok_or_else(|| format!("{path}: `body` must be a string"))?;
                entry(path, &id, text("name"), body)
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        map.iter()
            .map(|(id, body)| {
                let path = format!("[{id:?}]");
                let body = body
                    .as_str()
                    .ok_or_else(|| format!("{path}: the document must be a string"))?;
                entry(path, id, None, body.to_owned())
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    if entries.is_empty() {
        return Err("the manifest holds no operations".into());
    }
    Ok(entries)
}

fn entry(
    path: String,
    id: &str,
    name: Option<String>,
    body: String,
) -> Result<ManifestEntry, String> {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    if !is_sha256_hex(hex) {
        return Err(format!(
            "{path}: id {id:?} is not a SHA-256 hash (64 hex digits, optionally after `sha256:`)"
        ));
    }
    let hash = sha256_hex(&body);
    if !hex.eq_ignore_ascii_case(&hash) {
        return Err(format!(
            "{path}: id {id:?} is not the SHA-256 of its body (sha256:{hash})"
        ));
    }
    Ok(ManifestEntry {
        hash,
        name,
        body,
        path,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const BODY: &str = "query Me { me { id } }";

    #[test]
    fn both_formats_are_read() {
        let hash = sha256_hex(BODY);
        let apollo = json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": hash, "name": "Me", "type": "query", "body": BODY }]
        });
        let entries = parse(&apollo).expect("apollo");
        assert_eq!(entries[0].hash, hash);
        assert_eq!(entries[0].name.as_deref(), Some("Me"));
        for key in [hash.clone(), format!("sha256:{hash}"), hash.to_uppercase()] {
            let codegen = json!({ key: BODY });
            let entries = parse(&codegen).expect("codegen");
            assert_eq!(entries[0].hash, hash);
            assert_eq!(entries[0].body, BODY);
        }
    }

    #[test]
    fn a_wrong_hash_names_its_entry() {
        let err = parse(&json!({ "sha256:0000000000000000000000000000000000000000000000000000000000000000": BODY }))
            .expect_err("wrong hash");
        assert!(err.contains("is not the SHA-256 of its body"), "{err}");
        let err = parse(&json!({
            "format": "apollo-persisted-query-manifest", "version": 1,
            "operations": [{ "id": sha256_hex(BODY), "body": BODY }, { "id": "abc", "body": BODY }]
        }))
        .expect_err("bad id");
        assert!(err.starts_with("operations[1]"), "{err}");
        assert!(parse(&json!({})).is_err());
        assert!(parse(&json!([])).is_err());
    }

    #[test]
    fn document_ids_are_sha256_only() {
        let hash = sha256_hex(BODY);
        assert_eq!(document_hash(&format!("sha256:{hash}")), Some(hash.clone()));
        assert_eq!(document_hash(&hash), None);
        assert_eq!(document_hash("md5:abc"), None);
    }
}
