//! Input rules for accounts: e-mail normalisation, the password policy, display names.

use std::{collections::HashSet, sync::LazyLock};

use agora_platform::{AppError, AppResult};
use unicode_segmentation::UnicodeSegmentation;

/// Shortest password accepted.
pub(crate) const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (bounds hashing work per request).
pub(crate) const MAX_PASSWORD_CHARS: usize = 256;
/// Longest display name, in visible characters (grapheme clusters).
pub(crate) const MAX_DISPLAY_NAME: usize = 40;

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// Trims and lower-cases an e-mail address and checks its shape; `BAD_USER_INPUT` on `field`.
pub(crate) fn normalize_email(raw: &str, field: &str) -> AppResult<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err(AppError::bad_input(field, "enter a valid e-mail address"))
    }
}

/// Checks the password policy: 10–256 characters, not one of the 1,000 most common passwords,
/// not the e-mail address.
pub(crate) fn check_password(password: &str, email: Option<&str>, field: &str) -> AppResult<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("password must be at least {MIN_PASSWORD_CHARS} characters long"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("password must be at most {MAX_PASSWORD_CHARS} characters long"),
        ));
    }
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS.contains(lowered.as_str()) {
        return Err(AppError::bad_input(
            field,
            "this password is among the most common ones; choose another",
        ));
    }
    if email.is_some_and(|e| e == lowered) {
        return Err(AppError::bad_input(
            field,
            "password must not be your e-mail address",
        ));
    }
    Ok(())
}

/// Trims a display name and checks it has 1–40 visible characters and no control characters.
///
/// Names are NFKC-normalised (look-alike compatibility forms such as full-width letters become
/// the plain ones) and may hold no control or format characters: a right-to-left override or a
/// zero-width character would let `"\u{202e}nimdA"` display as another user's name.
pub(crate) fn normalize_display_name(raw: &str, field: &str) -> AppResult<String> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_properties::{GeneralCategory, UnicodeEmoji, UnicodeGeneralCategory};
    let normalized: String = raw.nfkc().collect();
    let name = normalized.trim();
    let chars: Vec<char> = name.chars().collect();
    let pictographic =
        |c: Option<&char>| c.is_some_and(|c| !c.is_ascii() && c.is_emoji_char_or_emoji_component());
    let hidden = |i: usize, c: char| {
        // A zero-width joiner belongs between two emoji (a family), nowhere else.
        if c == '\u{200d}' {
            return !(pictographic(chars.get(i.wrapping_sub(1))) && pictographic(chars.get(i + 1)));
        }
        c.is_control()
            || matches!(
                c.general_category(),
                GeneralCategory::Format
                    | GeneralCategory::LineSeparator
                    | GeneralCategory::ParagraphSeparator
            )
    };
    let found = chars.iter().enumerate().find(|(i, c)| hidden(*i, **c));
    if let Some((_, &c)) = found {
        return Err(AppError::bad_input(
            field,
            format!(
                "display name must not contain control or formatting characters (found U+{:04X})",
                u32::from(c)
            ),
        ));
    }
    let visible = name.graphemes(true).count();
    if visible == 0 {
        return Err(AppError::bad_input(field, "display name must not be empty"));
    }
    if visible > MAX_DISPLAY_NAME {
        return Err(AppError::bad_input(
            field,
            format!("display name must be at most {MAX_DISPLAY_NAME} characters"),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_refuse_bidi_overrides_and_zero_width_characters() {
        for name in [
            "\u{202e}Admin",
            "Ad\u{200b}min",
            "Ad\u{200d}min",
            "Admin\u{2066}",
            "\u{feff}Admin",
            "A\u{2028}B",
        ] {
            let refused = normalize_display_name(name, "displayName");
            assert!(
                matches!(refused, Err(AppError::BadInput { .. })),
                "{name:?} was accepted"
            );
        }
        // Full-width letters are the plain ones after NFKC.
        assert_eq!(
            normalize_display_name("Ａｄａ", "displayName").expect("ok"),
            "Ada"
        );
        assert_eq!(
            normalize_display_name("  Zoë Ünal ", "displayName").expect("ok"),
            "Zoë Ünal"
        );
    }

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        assert_eq!(
            normalize_email("  Ada@Example.ORG ", "email").expect("ok"),
            "ada@example.org"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a b@example.org",
            "ada@@x.org",
            "ada@x..org",
        ] {
            assert!(normalize_email(bad, "email").is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password("nine char", None, "password").is_err());
        assert!(check_password("ten chars!", None, "password").is_ok());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert_eq!(COMMON_PASSWORDS.len(), 1000);
        assert!(check_password("1234567890", None, "password").is_err());
        assert!(check_password("BasketBall", None, "password").is_err());
        assert!(check_password("qwertyuiop", None, "password").is_err());
    }

    #[test]
    fn password_equal_to_email_is_refused() {
        assert!(check_password("ada@example.org", Some("ada@example.org"), "password").is_err());
    }

    #[test]
    fn display_name_counts_visible_characters() {
        // 40 family emoji are 40 visible characters though many more code points.
        let family = "👨‍👩‍👧".repeat(40);
        assert!(normalize_display_name(&family, "displayName").is_ok());
        assert!(normalize_display_name(&"x".repeat(41), "displayName").is_err());
        assert!(normalize_display_name("   ", "displayName").is_err());
        assert!(normalize_display_name("bad\u{7}name", "displayName").is_err());
        assert_eq!(
            normalize_display_name("  Ada  ", "displayName").expect("ok"),
            "Ada"
        );
    }
}
