//! Tiny, panic-free parsers for the literacy fixtures (no serde).

/// One level of the graded word list (`dolch.json`).
#[derive(Debug, Clone, PartialEq)]
#[cfg(test)]
pub(crate) struct Level<'a> {
    /// Level number (1..=6 in the fixture).
    pub(crate) number: u8,
    /// The words of this level, in file order.
    pub(crate) words: Vec<&'a str>,
}

/// Parses the `levels` array of `dolch.json` by string scanning.
///
/// For each `"number": N` the next `"words": [ ... ]` array is read; words are
/// the quoted strings inside it (the fixture has no escaped characters in
/// words). Malformed input yields the levels parsed so far, never a panic.
#[cfg(test)]
pub(crate) fn parse_levels(json: &str) -> Vec<Level<'_>> {
    let mut out = Vec::new();
    let mut rest = match json.find("\"levels\"") {
        Some(i) => &json[i..],
        None => return out,
    };
    while let Some(level) = next_level(&mut rest) {
        out.push(level);
    }
    out
}

#[cfg(test)]
fn next_level<'a>(rest: &mut &'a str) -> Option<Level<'a>> {
    let i = rest.find("\"number\"")? + "\"number\"".len();
    let after = rest[i..].trim_start().strip_prefix(':')?.trim_start();
    let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
    let number: u8 = digits.parse().ok()?;
    let w = after.find("\"words\"")?;
    let open = after[w..].find('[')? + w + 1;
    let close = after[open..].find(']')? + open;
    let words = quoted_strings(&after[open..close]);
    *rest = &after[close..];
    Some(Level { number, words })
}

#[cfg(test)]
fn quoted_strings(s: &str) -> Vec<&str> {
    s.split('"').skip(1).step_by(2).collect()
}

/// Parses `word<TAB>zipf` lines (`#` lines and bad rows are skipped).
pub(crate) fn parse_zipf(tsv: &str) -> Vec<(&str, f64)> {
    tsv.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (w, z) = l.split_once('\t')?;
            let z: f64 = z.trim().parse().ok()?;
            z.is_finite().then_some((w, z))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fixture_levels() {
        let levels = parse_levels(include_str!("../../../../../fixtures/literacy/dolch.json"));
        let sizes: Vec<(u8, usize)> = levels.iter().map(|l| (l.number, l.words.len())).collect();
        assert_eq!(
            sizes,
            vec![(1, 40), (2, 52), (3, 41), (4, 46), (5, 41), (6, 40)]
        );
        assert!(levels[3].words.contains(&"don't"));
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for s in [
            "",
            "{",
            "\"levels\"",
            "\"levels\" \"number\": x",
            "\"levels\"\"number\":3\"words\"[",
        ] {
            let _ = parse_levels(s);
        }
        assert_eq!(
            parse_zipf("#h\nthe\t7.5\nbad\nx\tNaN\n"),
            vec![("the", 7.5)]
        );
    }
}
