//! Assertions on GraphQL response bodies.

use serde_json::Value;

/// The `extensions.code` of the first error.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {body}"))
}

/// Fails the test with the body when it holds errors.
pub fn assert_no_errors(body: &Value) {
    assert!(
        body.get("errors").is_none_or(Value::is_null),
        "unexpected errors: {body}"
    );
}

/// Fails unless the first error's `extensions.code` is `code`, printing the whole body.
#[track_caller]
pub fn check_code(body: &Value, code: &str, context: std::fmt::Arguments<'_>) {
    let actual = body["errors"][0]["extensions"]["code"].as_str();
    if actual != Some(code) {
        let context = context.to_string();
        let separator = if context.is_empty() { "" } else { ": " };
        panic!("{context}{separator}expected error code {code}, got {actual:?} in\n{body:#}");
    }
}

/// `assert_code!(body, "BAD_USER_INPUT")`: the first error's `extensions.code` is that code;
/// prints the whole body otherwise. A context message may follow, as with `assert!`.
macro_rules! assert_code {
    ($body:expr, $code:expr $(,)?) => {
        $crate::integration::common::assert::check_code(&$body, $code, format_args!(""))
    };
    ($body:expr, $code:expr, $($context:tt)+) => {
        $crate::integration::common::assert::check_code(&$body, $code, format_args!($($context)+))
    };
}
pub(crate) use assert_code;
