//! CSV cells that a spreadsheet opens as text, never as a formula (OWASP "CSV Injection").
//!
//! A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a
//! single quote in front, so Excel, LibreOffice and Google Sheets show it instead of
//! evaluating it (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3+cmd|...`). Plain numbers (`-3.5`,
//! `+1e3`) are left alone: a spreadsheet reads them as numbers, which they are.
//!
//! [`escape`] and [`unescape`] are exact inverses, so a file exported and imported again
//! comes back unchanged: a cell that already starts with quotes before a trigger character
//! (`'=x`) gets one more on the way out and loses one on the way in.

use std::borrow::Cow;

/// The first characters a spreadsheet may treat as the start of a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell` would be read as a formula, or is quotes before one (so that
/// [`unescape`] cannot mistake it for an escaped cell).
fn needs_quote(cell: &str) -> bool {
    let rest = cell.trim_start_matches('\'');
    rest.starts_with(TRIGGERS) && !is_plain_number(rest)
}

/// A decimal number with an optional sign, fraction and exponent, and nothing else.
fn is_plain_number(cell: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(digits)
}

/// `cell` as it should be written to a CSV file meant for spreadsheets.
pub fn escape(cell: &str) -> Cow<'_, str> {
    if needs_quote(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell read back from a file [`escape`] wrote: the quote it added is removed.
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_quoted_and_numbers_and_text_are_not() {
        for formula in [
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+1+1",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1,2)",
            "\t=1",
            "\r=1",
            "-",
            "=",
        ] {
            assert_eq!(escape(formula), format!("'{formula}"), "{formula:?}");
        }
        for plain in [
            "-3.5", "+12", "-1e-3", "42", "", "Nairobi", "a=b", "'quoted'",
        ] {
            assert_eq!(escape(plain), plain, "{plain:?}");
        }
    }

    #[test]
    fn unescape_inverts_escape() {
        for cell in [
            "=1+1", "'=1+1", "''=1+1", "-3.5", "'-3.5", "-x", "'", "''", "it's", "'a", "@", "",
            "\t", "'\t",
        ] {
            assert_eq!(unescape(&escape(cell)), cell, "{cell:?}");
        }
        // Quotes a person typed before plain text are kept.
        assert_eq!(unescape("'hello"), "'hello");
    }
}
