//! Sentence splitting: Unicode (UAX #29) sentence bounds, repaired after abbreviations
//! and initials, then filtered down to sentences worth studying.

use unicode_segmentation::UnicodeSegmentation;

use crate::words::collapse_whitespace;

/// Abbreviations (lowercased) after which a UAX #29 break is not a sentence end.
/// Dotted forms such as `e.g.`, `i.e.` and `U.S.` are caught by [`is_dotted_initials`].
const ABBREVIATIONS: &[&str] = &[
    "approx.", "capt.", "cf.", "co.", "col.", "corp.", "dept.", "dr.", "esp.", "etc.", "fig.",
    "gen.", "gov.", "inc.", "jr.", "lt.", "ltd.", "mr.", "mrs.", "ms.", "mt.", "no.", "prof.",
    "rev.", "sen.", "sgt.", "sr.", "st.", "vol.", "vs.",
];

/// Fewer words than this and a fragment is not kept as a sentence.
const MIN_WORDS: usize = 4;

/// Splits `text` into sentences.
///
/// Blank lines (and bulleted lines) separate paragraphs and a sentence never spans
/// two paragraphs; single line breaks inside a paragraph are treated as spaces, so
/// hard-wrapped text is rejoined. Within a paragraph the Unicode sentence bounds of
/// UAX #29 are used, and a bound that directly follows a common abbreviation
/// (`Dr.`, `Mr.`, `St.`, `vs.`, `etc.`, …), dotted initials (`e.g.`, `i.e.`, `U.S.`)
/// or a single capital initial (`J.`) is undone. Whitespace inside each sentence is
/// collapsed. Fragments with fewer than four words, or whose visible characters are
/// mostly not letters, are dropped.
pub fn sentences(text: &str) -> Vec<String> {
    paragraphs(text)
        .iter()
        .flat_map(|paragraph| split_paragraph(paragraph))
        .filter(|sentence| is_usable(sentence))
        .collect()
}

/// Groups lines into paragraphs: a blank line ends a paragraph and a line starting with
/// a bullet marker starts a new one (the marker itself is dropped).
fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        let bullet = strip_bullet(line);
        if line.is_empty() || bullet.is_some() {
            push_nonempty(&mut out, &mut current);
        }
        current.push(' ');
        current.push_str(bullet.unwrap_or(line));
    }
    push_nonempty(&mut out, &mut current);
    out
}

/// The text after a leading list marker (`-`, `*`, `•`, `–`), if the line has one.
fn strip_bullet(line: &str) -> Option<&str> {
    ["- ", "* ", "\u{2022} ", "\u{2013} "]
        .iter()
        .find_map(|marker| line.strip_prefix(marker))
}

fn push_nonempty(out: &mut Vec<String>, current: &mut String) {
    let text = collapse_whitespace(current);
    if !text.is_empty() {
        out.push(text);
    }
    current.clear();
}

/// Splits one paragraph on UAX #29 sentence bounds, re-joining pieces that were split
/// right after an abbreviation or initial.
fn split_paragraph(paragraph: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for piece in paragraph.split_sentence_bounds() {
        current.push_str(piece);
        if !ends_with_abbreviation(current.trim_end()) {
            push_nonempty(&mut out, &mut current);
        }
    }
    push_nonempty(&mut out, &mut current);
    out
}

/// Whether the last word of `text` is an abbreviation that does not end a sentence.
fn ends_with_abbreviation(text: &str) -> bool {
    let Some(last) = text.split_whitespace().last() else {
        return false;
    };
    let token = last.trim_start_matches(|c: char| !c.is_alphanumeric());
    if !token.ends_with('.') {
        return false;
    }
    ABBREVIATIONS.contains(&token.to_lowercase().as_str()) || is_dotted_initials(token)
}

/// `J.`, `e.g.`, `i.e.`, `U.S.`, `J.R.R.`: single letters each followed by a dot. A lone
/// initial must be a capital letter (a lowercase `a.` is more likely a sentence end).
fn is_dotted_initials(token: &str) -> bool {
    let Some(body) = token.strip_suffix('.') else {
        return false;
    };
    let parts: Vec<&str> = body.split('.').collect();
    let single_letters = parts.iter().all(|part| {
        let mut chars = part.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic())
    });
    single_letters && (parts.len() > 1 || body.chars().all(char::is_uppercase))
}

/// A sentence worth keeping: at least [`MIN_WORDS`] words and mostly letters.
fn is_usable(sentence: &str) -> bool {
    if sentence.unicode_words().count() < MIN_WORDS {
        return false;
    }
    let visible = sentence.chars().filter(|c| !c.is_whitespace()).count();
    let letters = sentence.chars().filter(|c| c.is_alphabetic()).count();
    letters * 2 >= visible
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_after_title_abbreviation_only_at_real_ends() {
        let got = sentences("Dr. Smith arrived at the lab early. He left again before noon.");
        assert_eq!(
            got,
            vec![
                "Dr. Smith arrived at the lab early.",
                "He left again before noon."
            ]
        );
    }

    #[test]
    fn short_sentences_are_dropped() {
        // Both sentences are real, but neither has four words.
        assert!(sentences("Dr. Smith arrived. He left.").is_empty());
    }

    #[test]
    fn does_not_split_after_eg_ie_and_initials() {
        let text = "Some plants, e.g. this cactus, store water for months. \
                    Others, i.e. Most ferns, need shade all day. \
                    The novel by J. R. R. Tolkien sold millions of copies. \
                    Trade between the U.S. And Canada grew quickly in that decade.";
        let got = sentences(text);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(got[0].contains("e.g. this cactus"));
        assert!(got[1].starts_with("Others, i.e. Most"));
        assert!(got[2].contains("J. R. R. Tolkien"));
        assert!(got[3].contains("U.S. And Canada"));
    }

    #[test]
    fn merges_after_vs_st_and_mrs() {
        let got = sentences(
            "The match was Arsenal vs. Chelsea on a cold evening. \
             Mrs. Jones lives on St. Mary Street near the river.",
        );
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[1].starts_with("Mrs. Jones lives on St. Mary Street"));
    }

    #[test]
    fn paragraphs_do_not_merge_and_wrapped_lines_do() {
        let text = "Heading Without Punctuation Here\n\nThe first line wraps\nonto a second line here.\n- a bullet item with words\n- another bullet item here";
        let got = sentences(text);
        assert_eq!(
            got,
            vec![
                "Heading Without Punctuation Here",
                "The first line wraps onto a second line here.",
                "a bullet item with words",
                "another bullet item here",
            ]
        );
    }

    #[test]
    fn drops_fragments_that_are_mostly_not_letters() {
        assert!(sentences("12 34 56 78 90 12 34.").is_empty());
        assert!(sentences("### --- *** ??? !!!").is_empty());
        assert!(sentences("").is_empty());
        assert!(sentences("   \n\n\t ").is_empty());
    }

    #[test]
    fn collapses_whitespace_inside_sentences() {
        let got = sentences("Plants   need\tlight   to grow well.");
        assert_eq!(got, vec!["Plants need light to grow well."]);
    }

    #[test]
    fn dotted_initials() {
        assert!(is_dotted_initials("e.g."));
        assert!(is_dotted_initials("U.S."));
        assert!(is_dotted_initials("J."));
        assert!(!is_dotted_initials("a."));
        assert!(!is_dotted_initials("end."));
        assert!(!is_dotted_initials("."));
    }
}
