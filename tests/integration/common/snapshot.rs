//! Snapshot assertions on response bodies, with what differs from run to run redacted: ids,
//! times, tokens, cursors and request ids. Snapshots are stored in
//! `tests/integration/snapshots/` and must be the same in both run modes.

/// The redactions every body snapshot gets. A value under one of these keys, at any depth,
/// is replaced by a placeholder that keeps its presence visible.
const REDACTIONS: &[(&str, &str)] = &[
    ("id", "[id]"),
    ("userId", "[id]"),
    ("requestId", "[request id]"),
    ("accessToken", "[token]"),
    ("refreshToken", "[token]"),
    ("token", "[token]"),
    ("secret", "[secret]"),
    ("cursor", "[cursor]"),
    ("endCursor", "[cursor]"),
    ("startCursor", "[cursor]"),
    ("createdAt", "[time]"),
    ("updatedAt", "[time]"),
    ("readAt", "[time]"),
    ("lastUsedAt", "[time]"),
    ("expiresAt", "[time]"),
    ("revokedAt", "[time]"),
    ("deadline", "[time]"),
    ("startedAt", "[time]"),
    ("resolvedAt", "[time]"),
    ("observedAt", "[time]"),
    ("unlockedAt", "[time]"),
    ("completedAt", "[time]"),
    ("nextReviewAt", "[time]"),
    ("lastReviewedAt", "[time]"),
];

/// Insta settings with [`REDACTIONS`] applied at every depth.
pub fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (key, placeholder) in REDACTIONS {
        // `.key` at the top level, `.**.key` below it.
        settings.add_redaction(&format!(".{key}"), *placeholder);
        settings.add_redaction(&format!(".**.{key}"), *placeholder);
    }
    settings.set_prepend_module_to_snapshot(true);
    settings.set_omit_expression(true);
    settings
}

/// `assert_body_snapshot!("name", body)`: the JSON body equals the snapshot `name` of this test
/// module, with ids, times, tokens, cursors and request ids redacted.
macro_rules! assert_body_snapshot {
    ($name:expr, $body:expr $(,)?) => {{
        let body: &serde_json::Value = &$body;
        $crate::integration::common::snapshot::settings().bind(|| {
            insta::assert_json_snapshot!($name, body);
        });
    }};
}
pub(crate) use assert_body_snapshot;
