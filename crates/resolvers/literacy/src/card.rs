//! SVG picture cards for words (`/media/picture/{text}.svg`): an emoji picked
//! from the CLDR annotation table `emoji.tsv` above the word, set in a
//! dyslexia-friendly font on a low-glare cream background.

use crate::wordnet::FUNCTION_WORDS;
use std::collections::HashMap;

/// Card width in pixels.
pub(crate) const WIDTH: u32 = 400;
/// Card height in pixels.
pub(crate) const HEIGHT: u32 = 300;
/// Longest word shown on a card, in characters; longer input is cut and ends
/// with an ellipsis so that the card stays under 2 KB.
pub(crate) const MAX_WORD_CHARS: usize = 32;
/// Longest emoji shown on a card, in characters (ZWJ sequences included).
pub(crate) const MAX_EMOJI_CHARS: usize = 12;

const BACKGROUND: &str = "#FDF6E3";
const BORDER: &str = "#E9DFC4";
const INK: &str = "#333333";
const LABEL_INK: &str = "#6B6455";
const WORD_FONT: &str = "OpenDyslexic, 'Comic Sans MS', Verdana, sans-serif";
const EMOJI_FONT: &str = "'Noto Color Emoji', 'Apple Color Emoji', 'Segoe UI Emoji', sans-serif";

/// One row of `emoji.tsv`.
#[derive(Debug, Clone)]
struct Row {
    emoji: String,
    /// Lower-cased CLDR text-to-speech name.
    name: String,
    /// Lower-cased keywords.
    keywords: Vec<String>,
}

impl Row {
    /// Flags and ZWJ sequences only match by exact name.
    fn keyword_eligible(&self) -> bool {
        !self.name.starts_with("flag") && !is_flag(&self.emoji) && !self.emoji.contains('\u{200D}')
    }

    /// Whether `word` is one of the words of the name ("red" in "red heart").
    fn name_has_word(&self, word: &str) -> bool {
        self.name
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == word)
    }

    /// Ranking inside a keyword tier: keycaps first (their keywords are
    /// number names: "one" → 1️⃣, not a clock face), then names containing the
    /// word, then shorter names, then file order.
    fn rank(&self, word: &str, index: usize) -> (bool, bool, usize, usize) {
        let words = self.name.split_whitespace().count();
        let keycap = self.name.starts_with("keycap:");
        (!keycap, !self.name_has_word(word), words, index)
    }
}

/// Regional-indicator pairs and tag sequences (subdivision flags).
fn is_flag(emoji: &str) -> bool {
    emoji
        .chars()
        .any(|c| matches!(c, '\u{1F1E6}'..='\u{1F1FF}' | '\u{E0020}'..='\u{E007F}'))
}

/// Emoji table from `emoji.tsv` (`emoji<TAB>tts_name<TAB>kw1|kw2|...`).
#[derive(Debug, Clone, Default)]
pub(crate) struct EmojiIndex {
    rows: Vec<Row>,
    /// Lower-cased name → first row with that name.
    by_name: HashMap<String, usize>,
    /// Lower-cased keyword → rows, in file order.
    by_keyword: HashMap<String, Vec<usize>>,
}

impl EmojiIndex {
    /// Parses the TSV text; `#` comment lines, blank lines and lines with
    /// fewer than two columns are skipped.
    pub(crate) fn parse(tsv: &str) -> EmojiIndex {
        let mut index = EmojiIndex::default();
        for line in tsv.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(emoji), Some(name)) = (cols.next(), cols.next()) else {
                continue;
            };
            let keywords = cols
                .next()
                .unwrap_or("")
                .split('|')
                .map(|k| k.trim().to_lowercase())
                .filter(|k| !k.is_empty())
                .collect();
            index.push(Row {
                emoji: emoji.trim().to_string(),
                name: name.trim().to_lowercase(),
                keywords,
            });
        }
        index
    }

    fn push(&mut self, row: Row) {
        let i = self.rows.len();
        self.by_name.entry(row.name.clone()).or_insert(i);
        for k in &row.keywords {
            let rows = self.by_keyword.entry(k.clone()).or_default();
            if rows.last() != Some(&i) {
                rows.push(i);
            }
        }
        self.rows.push(row);
    }

    /// Number of emoji rows.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The emoji for `word` (case-insensitive), trying in order:
    /// 1. name equal to the word ("dog" → 🐕), then `"<word> face"`;
    /// 2. keyword equal to the word;
    /// 3. singular/plural variants of the word, by name, then by keyword.
    ///
    /// Keyword matches skip flags and ZWJ sequences, and prefer keycaps, then
    /// emoji whose name contains the word, then shorter names, then file
    /// order. Function words ([`FUNCTION_WORDS`]: "i", "can", "you"...) only
    /// match by exact name, because their CLDR keywords are loose ("i" →
    /// ℹ️ information, "can" → 🗑️ wastebasket); variants shorter than 3 letters
    /// are not tried ("is" ↛ "i").
    pub(crate) fn pick(&self, word: &str) -> Option<&str> {
        let word = word.trim().to_lowercase();
        if word.is_empty() {
            return None;
        }
        let mut i = self.by_exact_name(&word);
        if i.is_none() && !FUNCTION_WORDS.contains(&word.as_str()) {
            let variants = variants(&word);
            i = self
                .by_keyword(&word)
                .or_else(|| variants.iter().find_map(|v| self.by_exact_name(v)))
                .or_else(|| variants.iter().find_map(|v| self.by_keyword(v)));
        }
        self.rows.get(i?).map(|r| r.emoji.as_str())
    }

    fn by_exact_name(&self, word: &str) -> Option<usize> {
        self.by_name
            .get(word)
            .or_else(|| self.by_name.get(&format!("{word} face")))
            .copied()
    }

    fn by_keyword(&self, word: &str) -> Option<usize> {
        self.by_keyword
            .get(word)?
            .iter()
            .copied()
            .filter_map(|i| self.rows.get(i).map(|r| (i, r)))
            .filter(|(_, r)| r.keyword_eligible())
            .min_by_key(|(i, r)| r.rank(word, *i))
            .map(|(i, _)| i)
    }
}

/// Singular and plural spellings of `word` to try when it has no match.
fn variants(word: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(stem) = word.strip_suffix("ies") {
        out.push(format!("{stem}y"));
    }
    if let Some(stem) = word.strip_suffix("es") {
        out.push(stem.to_string());
    }
    if let Some(stem) = word.strip_suffix('s') {
        out.push(stem.to_string());
    }
    if let Some(stem) = word.strip_suffix('y') {
        out.push(format!("{stem}ies"));
    }
    out.push(format!("{word}s"));
    out.push(format!("{word}es"));
    out.retain(|v| v.chars().count() >= 3 && v != word);
    out
}

/// Renders a 400×300 standalone SVG card for `word`.
///
/// Names get a small "name" label and a capital first letter. Without an
/// emoji the word is centred alone. Every piece of input is XML-escaped
/// (`& < > " '`), characters not allowed in XML 1.0 become U+FFFD, and over-long
/// input is cut ([`MAX_WORD_CHARS`], [`MAX_EMOJI_CHARS`]), so the output is
/// well-formed and under 2 KB for any input.
pub(crate) fn render(word: &str, is_name: bool, emoji: Option<&str>) -> String {
    let shown = display_word(word, is_name);
    let text = escape(&shown);
    let emoji = emoji
        .map(|e| escape(&truncate(e.trim(), MAX_EMOJI_CHARS, false)))
        .filter(|e| !e.is_empty());
    let size = word_font_size(shown.chars().count());
    let word_y = if emoji.is_some() { 235 } else { 150 + size / 3 };
    let mut svg = String::with_capacity(1200);
    svg.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"t\">\
<title id=\"t\">{text}</title>\
<rect x=\"2\" y=\"2\" width=\"396\" height=\"296\" rx=\"24\" fill=\"{BACKGROUND}\" \
stroke=\"{BORDER}\" stroke-width=\"2\"/>"
    ));
    if is_name {
        svg.push_str(&label());
    }
    if let Some(e) = &emoji {
        svg.push_str(&format!(
            "<text x=\"200\" y=\"140\" font-size=\"96\" text-anchor=\"middle\" \
font-family=\"{EMOJI_FONT}\" aria-hidden=\"true\">{e}</text>"
        ));
    }
    svg.push_str(&format!(
        "<text x=\"200\" y=\"{word_y}\" font-size=\"{size}\" text-anchor=\"middle\" \
font-family=\"{WORD_FONT}\" letter-spacing=\"0.12em\" fill=\"{INK}\">{text}</text></svg>"
    ));
    svg
}

/// The small "name" label in the top-left corner.
fn label() -> String {
    format!(
        "<text x=\"24\" y=\"36\" font-size=\"18\" font-family=\"{WORD_FONT}\" \
letter-spacing=\"0.12em\" fill=\"{LABEL_INK}\">name</text>"
    )
}

/// The word as shown: trimmed, cut to [`MAX_WORD_CHARS`], capitalised for
/// names.
fn display_word(word: &str, is_name: bool) -> String {
    let word = truncate(word.trim(), MAX_WORD_CHARS, true);
    if !is_name {
        return word;
    }
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => word,
    }
}

/// At most `max` characters of `s`; with `ellipsis`, a cut ends in "…".
fn truncate(s: &str, max: usize, ellipsis: bool) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = if ellipsis { max.saturating_sub(1) } else { max };
    let mut out: String = s.chars().take(keep).collect();
    if ellipsis {
        out.push('…');
    }
    out
}

/// Font size that fits `chars` characters (about 0.72 em each with the
/// letter spacing) into 360 px, between 20 and 64 px.
fn word_font_size(chars: usize) -> usize {
    let chars = chars.max(1);
    (360 * 100 / (72 * chars)).clamp(20, 64)
}

/// XML-escapes text for element content and attribute values; characters
/// not allowed in XML 1.0 become U+FFFD.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Whether `c` is allowed in an XML 1.0 document (tab/newline handled by the
/// caller).
fn xml_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}' | '\u{FFFE}' | '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = include_str!("../../../../fixtures/literacy/emoji.tsv");
    fn index() -> EmojiIndex {
        EmojiIndex::parse(TSV)
    }

    fn dolch_words() -> Vec<String> {
        crate::api::level_words().expect("dolch.json")
    }

    /// Tiny XML checker: tags balance, no raw `<`/`&` in text, quotes close.
    fn well_formed(xml: &str) -> Result<(), String> {
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = xml;
        while let Some(open) = rest.find('<') {
            check_text(&rest[..open])?;
            let after = &rest[open + 1..];
            let close = tag_end(after).ok_or("unclosed tag")?;
            let tag = &after[..close];
            rest = &after[close + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let top = stack.pop().ok_or("close without open")?;
                if top != name.trim() {
                    return Err(format!("</{name}> closes <{top}>"));
                }
            } else if !tag.ends_with('/') && !tag.starts_with('?') {
                stack.push(tag.split_whitespace().next().ok_or("empty tag")?);
            }
            if stack.is_empty() && !rest.trim().is_empty() {
                return Err("content after root".into());
            }
        }
        check_text(rest)?;
        if stack.is_empty() {
            Ok(())
        } else {
            Err(format!("unclosed {stack:?}"))
        }
    }

    /// Index of the `>` ending a tag, skipping quoted attribute values; a raw
    /// `<` inside the tag is an error (`None`).
    fn tag_end(s: &str) -> Option<usize> {
        let mut quote = None;
        for (i, c) in s.char_indices() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), _) if c == q => quote = None,
                (_, '<') => return None,
                (None, '>') => return Some(i),
                _ => {}
            }
        }
        None
    }

    fn check_text(text: &str) -> Result<(), String> {
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| entity.starts_with(e));
            if !ok {
                return Err(format!("bad entity in {text:?}"));
            }
        }
        if text.contains('>') {
            return Err(format!("raw > in {text:?}"));
        }
        Ok(())
    }

    #[test]
    fn scanner_catches_broken_xml() {
        assert!(well_formed("<a><b/></a>").is_ok());
        assert!(well_formed("<a><b></a>").is_err());
        assert!(well_formed("<a>x<y</a>").is_err());
        assert!(well_formed("<a>&bad;</a>").is_err());
        assert!(well_formed("<a t=\"<\"></a>").is_err());
        assert!(well_formed("<a></a><b></b>").is_err());
    }

    #[test]
    fn escapes_markup_in_the_word() {
        let svg = render("<script>alert('x&y')</script>\"", false, Some("<b>"));
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;alert(&apos;x&amp;y&apos;)&lt;/script&gt;&quot;"));
        assert!(svg.contains("&lt;b&gt;"));
        well_formed(&svg).expect("well-formed");
    }

    #[test]
    fn control_characters_and_long_input_stay_safe() {
        let nasty = "\u{0}\u{1b}]8;;x\u{7}\u{FFFF}&&&".repeat(50);
        let svg = render(&nasty, true, Some(&"🐕\u{200D}".repeat(40)));
        well_formed(&svg).expect("well-formed");
        assert!(!svg.chars().any(|c| c < ' ' || c == '\u{FFFF}'));
        assert!(svg.len() < 2048, "{}", svg.len());
        let huge = "&".repeat(10_000);
        assert!(render(&huge, false, Some(&huge)).len() < 2048);
    }

    #[test]
    fn card_has_required_parts() {
        let svg = render("dog", false, Some("🐕"));
        assert!(
            svg.starts_with(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"300\""
            )
        );
        assert!(svg.contains("<title id=\"t\">dog</title>"));
        assert!(svg.contains("fill=\"#FDF6E3\""));
        assert!(svg.contains("font-family=\"OpenDyslexic, 'Comic Sans MS', Verdana, sans-serif\""));
        assert!(svg.contains("letter-spacing=\"0.12em\""));
        assert!(svg.contains("font-size=\"96\""));
        assert!(svg.contains(">🐕</text>"));
        assert!(!svg.contains("#000"));
        assert!(!svg.contains(">name<"));
        well_formed(&svg).expect("well-formed");
        assert!(svg.len() < 2048);
    }

    #[test]
    fn names_are_capitalised_and_labelled() {
        let svg = render("emma", true, None);
        assert!(svg.contains(">Emma</text>"));
        assert!(svg.contains("<title id=\"t\">Emma</title>"));
        assert!(svg.contains(">name</text>"));
        assert!(!svg.contains("font-size=\"96\""));
        well_formed(&svg).expect("well-formed");
        assert!(render("élodie", true, None).contains(">Élodie</text>"));
        well_formed(&render("", true, None)).expect("empty word");
    }

    #[test]
    fn long_words_shrink() {
        assert_eq!(word_font_size(3), 64);
        assert!(word_font_size(12) < 64);
        assert_eq!(word_font_size(MAX_WORD_CHARS), 20);
        assert_eq!(word_font_size(0), 64);
    }

    #[test]
    fn picks_by_name_then_keyword_then_variant() {
        let idx = index();
        assert!(idx.len() > 1900);
        assert_eq!(idx.pick("dog"), Some("🐕"));
        assert_eq!(idx.pick("Dog "), Some("🐕"));
        assert_eq!(idx.pick("sun"), Some("☀️"));
        assert_eq!(idx.pick("red"), Some("❤️"));
        assert_eq!(idx.pick("one"), Some("1️⃣"));
        assert_eq!(idx.pick("i"), None);
        assert_eq!(idx.pick("is"), None);
        assert_eq!(idx.pick("can"), None);
        assert_eq!(idx.pick("dogs"), Some("🐕"));
        assert_eq!(idx.pick("birds"), Some("🐦"));
        assert_eq!(idx.pick("qqqzzz"), None);
        assert_eq!(idx.pick(""), None);
        assert_eq!(idx.pick("<script>"), None);
    }

    #[test]
    fn flags_and_zwj_need_an_exact_name() {
        let idx = index();
        assert_eq!(idx.pick("flag: france"), Some("🇫🇷"));
        for word in dolch_words() {
            if let Some(e) = idx.pick(&word) {
                let exact = idx.by_exact_name(&word).is_some();
                assert!(
                    exact || (!is_flag(e) && !e.contains('\u{200D}')),
                    "{word} {e}"
                );
            }
        }
    }

    #[test]
    fn parse_skips_junk_lines() {
        let idx = EmojiIndex::parse("# c\n\nbroken\n🐕\tDog\tpet|Animal\n🐈\tcat\n");
        assert_eq!(idx.len(), 2);
        assert_eq!(idx.pick("animal"), Some("🐕"));
        assert_eq!(idx.pick("cat"), Some("🐈"));
        assert!(EmojiIndex::parse("").is_empty());
    }

    #[test]
    fn dolch_coverage() {
        let idx = index();
        let words = dolch_words();
        assert_eq!(words.len(), 260);
        let hits: Vec<(String, &str)> = words
            .iter()
            .filter_map(|w| idx.pick(w).map(|e| (w.clone(), e)))
            .collect();
        eprintln!("dolch emoji coverage: {}/{}", hits.len(), words.len());
        for (w, e) in &hits {
            eprintln!("  {w}\t{e}");
        }
        assert!(hits.len() >= 60, "{}", hits.len());
        for (w, e) in &hits {
            let svg = render(w, false, Some(e));
            well_formed(&svg).expect("well-formed");
            assert!(svg.len() < 2048);
        }
    }
}
