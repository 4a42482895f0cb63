//! Flashcard drafts from key sentences: definition and date questions where a sentence
//! has that shape, cloze deletions of the most salient term otherwise.

use std::collections::{HashMap, HashSet};

use crate::rank::{rank_sentences, ranked_sentences, ranking_order};
use crate::words::{content_key, content_words, is_stop_word};

/// What a blanked-out term is replaced with on the front of a cloze card.
pub const BLANK: &str = "_____";

/// Never more cards than this, whatever `max_cards` asks for.
const MAX_CARDS: usize = 5;
/// Longest card front, in characters.
const MAX_FRONT_CHARS: usize = 500;
/// Longest card back, in characters.
const MAX_BACK_CHARS: usize = 200;
/// Longest subject of a definition or date question, in words.
const MAX_SUBJECT_WORDS: usize = 6;
/// A cloze front must keep at least this many words besides the blank.
const MIN_CLOZE_CONTEXT_WORDS: usize = 3;

/// The kind of a [`CardDraft`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardKind {
    /// The front is the sentence with one term replaced by [`BLANK`]; the back is the term.
    Cloze,
    /// The front is a question ("What is …?", "When was … born?"); the back its answer.
    Question,
}

/// A flashcard proposed from a source sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct CardDraft {
    /// Cloze or question.
    pub kind: CardKind,
    /// Prompt side, at most 500 characters, never empty.
    pub front: String,
    /// Answer side, at most 200 characters, never empty, never equal to the front.
    pub back: String,
    /// The sentence the card was made from.
    pub source_sentence: String,
}

/// Drafts up to `max_cards` (and never more than 5) flashcards from `text`.
///
/// Sentences are ranked with TextRank ([`crate::rank_sentences`]) and tried from best
/// to worst until enough cards are made; the cards are returned in document order.
/// A sentence shaped like a definition — `<Subject> is/are/was/were/refers to/means
/// <rest>` with a subject of one to six words — becomes a question card
/// (`What is <Subject>?` → `<rest>`), and `<Subject> was born/founded/built/… in
/// <year>` or `<Subject> began/ended/… in <year>` becomes `When was <Subject> born?` →
/// `<year>`. Any other sentence becomes a cloze card blanking its most salient term:
/// a year or other number first, then a capitalised multi-word name that does not
/// open the sentence, then the content word found in the most sentences of the text
/// (ties: the longer word). Terms already used as an answer are avoided.
///
/// Cards never have an empty side, a front equal to the back, a back over 200
/// characters (long definitions are cut at a word boundary with "…") or a front over
/// 500 characters (such sentences are skipped), and no two cards share a front.
/// Questions in the text itself are not turned into cards. Short, empty or garbled
/// text gives fewer cards or none.
pub fn cards_from_text(text: &str, max_cards: usize) -> Vec<CardDraft> {
    let limit = max_cards.min(MAX_CARDS);
    if limit == 0 {
        return Vec::new();
    }
    let sentences = ranked_sentences(text);
    let scores = rank_sentences(&sentences);
    let frequencies = document_frequencies(&sentences);
    let mut picked: Vec<(usize, CardDraft)> = Vec::new();
    let mut fronts = HashSet::new();
    let mut answers = HashSet::new();
    for index in ranking_order(&scores) {
        if picked.len() >= limit {
            break;
        }
        let Some(card) = card_for(&sentences[index], &frequencies, &answers) else {
            continue;
        };
        if fronts.insert(card.front.to_lowercase()) {
            answers.insert(answer_key(&card.back));
            picked.push((index, card));
        }
    }
    picked.sort_by_key(|(index, _)| *index);
    picked.into_iter().map(|(_, card)| card).collect()
}

/// Normalised form of an answer, so that "Plants" and "plant" count as the same one.
fn answer_key(answer: &str) -> String {
    let key = content_words(answer).join(" ");
    if key.is_empty() {
        answer.to_lowercase()
    } else {
        key
    }
}

/// For each content-word key, the number of sentences containing it.
fn document_frequencies(sentences: &[String]) -> HashMap<String, usize> {
    let mut frequencies = HashMap::new();
    for word in sentences
        .iter()
        .flat_map(|sentence| content_words(sentence))
    {
        *frequencies.entry(word).or_insert(0) += 1;
    }
    frequencies
}

/// The best valid card for one sentence: a date question, a definition question or a
/// cloze, in that order of preference.
fn card_for(
    sentence: &str,
    frequencies: &HashMap<String, usize>,
    used_answers: &HashSet<String>,
) -> Option<CardDraft> {
    if sentence.trim_end().ends_with('?') {
        return None;
    }
    let words: Vec<&str> = sentence.split_whitespace().collect();
    date_question(&words)
        .and_then(|(front, back)| finalize(CardKind::Question, front, back, sentence))
        .or_else(|| {
            definition_question(&words)
                .and_then(|(front, back)| finalize(CardKind::Question, front, back, sentence))
        })
        .or_else(|| {
            let term = cloze_term(&words, frequencies, used_answers)?;
            let front = blank_out(sentence, &term);
            finalize(CardKind::Cloze, front, term, sentence)
        })
}

/// Applies the card invariants, truncating an over-long question answer.
fn finalize(kind: CardKind, front: String, back: String, sentence: &str) -> Option<CardDraft> {
    let front = front.trim().to_owned();
    let mut back = back.trim().to_owned();
    if front.is_empty() || back.is_empty() || front.chars().count() > MAX_FRONT_CHARS {
        return None;
    }
    if back.chars().count() > MAX_BACK_CHARS {
        if kind == CardKind::Cloze {
            return None;
        }
        back = truncate_words(&back, MAX_BACK_CHARS);
    }
    if front.to_lowercase() == back.to_lowercase() {
        return None;
    }
    if kind == CardKind::Cloze && !has_cloze_context(&front) {
        return None;
    }
    Some(CardDraft {
        kind,
        front,
        back,
        source_sentence: sentence.to_owned(),
    })
}

/// The front contains a blank and enough other words to be answerable.
fn has_cloze_context(front: &str) -> bool {
    let context = front
        .split_whitespace()
        .filter(|word| !word.contains(BLANK) && word.chars().any(char::is_alphabetic))
        .count();
    front.contains(BLANK) && context >= MIN_CLOZE_CONTEXT_WORDS
}

/// Cuts `text` to at most `max_chars` characters at a word boundary, ending in "…".
fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let budget = max_chars.saturating_sub(1);
    let cut = text
        .char_indices()
        .nth(budget)
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..cut];
    let at_word = match head.rfind(char::is_whitespace) {
        Some(space) if space > 0 => &head[..space],
        _ => head,
    };
    let trimmed = at_word.trim_end_matches(|c: char| c.is_whitespace() || ",;:-(".contains(c));
    let kept = if trimmed.is_empty() { head } else { trimmed };
    format!("{kept}\u{2026}")
}

// ---------------------------------------------------------------------------
// Questions

/// Verbs that mark a clause rather than a noun phrase in front of the copula
/// ("Scientists think photosynthesis is …").
const REPORTING_VERBS: &[&str] = &[
    "agree", "argue", "believe", "believed", "claim", "claims", "feel", "found", "hope", "knew",
    "know", "mean", "means", "note", "notes", "said", "say", "says", "seem", "seems", "show",
    "showed", "shows", "suggest", "suggests", "think", "thinks", "thought",
];

/// Words that may appear inside a subject even though they are stop words.
const SUBJECT_CONNECTORS: &[&str] = &["a", "an", "and", "of", "the"];

/// Pronoun-like openers that make a poor question subject.
#[rustfmt::skip]
const BAD_SUBJECT_OPENERS: &[&str] = &[
    "anyone", "anything", "everyone", "everything", "neither", "none", "nothing", "someone",
    "something", "today", "tomorrow", "yesterday",
];

/// Determiners that open a noun-phrase definition ("is a …", "was the …").
const DETERMINERS: &[&str] = &["a", "an", "another", "any", "each", "one", "the"];

/// Participles that make "is/was <participle>" passive voice rather than a definition.
const IRREGULAR_PARTICIPLES: &[&str] = &[
    "born", "built", "done", "found", "given", "held", "known", "led", "made", "run", "said",
    "seen", "sent", "shown", "taken", "thought", "written",
];

/// "<Subject> was founded in <year>" events: participle as written in the question.
#[rustfmt::skip]
const DATED_PARTICIPLES: &[&str] = &[
    "born", "built", "completed", "created", "crowned", "discovered", "elected", "established",
    "formed", "founded", "invented", "launched", "opened", "painted", "published", "released",
    "signed", "written",
];

/// "<Subject> began in <year>" events: past tense and the base form used in the question.
const DATED_VERBS: &[(&str, &str)] = &[
    ("began", "begin"),
    ("died", "die"),
    ("ended", "end"),
    ("started", "start"),
];

/// `(front, back)` for "<Subject> was born in <year>" or "<Subject> began in <year>".
fn date_question(words: &[&str]) -> Option<(String, String)> {
    let limit = MAX_SUBJECT_WORDS.min(words.len());
    (1..=limit).find_map(|k| {
        let (subject_words, rest) = words.split_at(k);
        let (lead, event, year_words) = dated_event(rest)?;
        let year = year_phrase(year_words)?;
        let subject = subject_phrase(subject_words)?;
        Some((format!("When {lead} {subject} {event}?"), year))
    })
}

/// For words following a subject, `(auxiliary, verb, words after "in")` of a dated
/// event: `was founded in …` → `("was", "founded", …)`, `began in …` → `("did",
/// "begin", …)`.
fn dated_event<'w>(rest: &'w [&'w str]) -> Option<(&'w str, &'w str, &'w [&'w str])> {
    match rest {
        [aux @ ("was" | "were"), participle, "in", year @ ..]
            if DATED_PARTICIPLES.contains(participle) =>
        {
            Some((aux, participle, year))
        }
        [verb, "in", year @ ..] => DATED_VERBS
            .iter()
            .find(|(past, _)| past == verb)
            .map(|&(_, base)| ("did", base, year)),
        _ => None,
    }
}

/// A year at the start of `words` ("1779", "1492,", "44 BC"), as the answer text.
fn year_phrase(words: &[&str]) -> Option<String> {
    let first = words.first()?;
    let core = first.trim_end_matches(|c: char| !c.is_alphanumeric());
    let digits = core.chars().count();
    if !(3..=4).contains(&digits) || !core.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let era = words
        .get(1)
        .filter(|_| core == *first)
        .map(|w| w.trim_end_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| ["BC", "BCE", "AD", "CE"].contains(w));
    Some(match era {
        Some(era) => format!("{core} {era}"),
        None => core.to_owned(),
    })
}

/// `(front, back)` for "<Subject> is/are/was/were/refers to/means <rest>".
fn definition_question(words: &[&str]) -> Option<(String, String)> {
    let limit = MAX_SUBJECT_WORDS.min(words.len().saturating_sub(1));
    let k = (1..=limit).find(|&k| is_copula(words, k))?;
    let subject = subject_phrase(&words[..k])?;
    let (front, rest) = match words[k] {
        "refers" => (format!("What does {subject} refer to?"), &words[k + 2..]),
        "means" => (format!("What does {subject} mean?"), &words[k + 1..]),
        verb => (format!("What {verb} {subject}?"), &words[k + 1..]),
    };
    if !is_definition_body(words[k], rest) {
        return None;
    }
    let back = rest
        .join(" ")
        .trim_end_matches(['.', '!', ';', ':', ','])
        .trim()
        .to_owned();
    Some((front, back))
}

fn is_copula(words: &[&str], k: usize) -> bool {
    match words[k] {
        "is" | "are" | "was" | "were" | "means" => true,
        "refers" => words.get(k + 1) == Some(&"to"),
        _ => false,
    }
}

/// Whether what follows the copula reads like a definition rather than an adjective,
/// a negation or the passive voice.
fn is_definition_body(verb: &str, rest: &[&str]) -> bool {
    let [first, _, ..] = rest else {
        return false;
    };
    let first = first.to_lowercase();
    match verb {
        "is" | "was" => DETERMINERS.contains(&first.as_str()),
        "are" | "were" => {
            DETERMINERS.contains(&first.as_str())
                || (rest.len() >= 3
                    && !is_stop_word(&first)
                    && !first.ends_with("ly")
                    && !first.ends_with("ed")
                    && !IRREGULAR_PARTICIPLES.contains(&first.as_str()))
        }
        _ => true,
    }
}

/// The subject of a question, or `None` if these words do not form a plausible one.
/// A leading article is lowercased ("The Calvin cycle" → "the Calvin cycle").
fn subject_phrase(words: &[&str]) -> Option<String> {
    let (first, tail) = words.split_first()?;
    if words.len() > MAX_SUBJECT_WORDS || !words.iter().all(|w| is_plain_word(w)) {
        return None;
    }
    let first_lower = first.to_lowercase();
    let article = matches!(first_lower.as_str(), "the" | "a" | "an");
    if !article && (is_stop_word(&first_lower) || BAD_SUBJECT_OPENERS.contains(&&*first_lower)) {
        return None;
    }
    let lowered: Vec<String> = tail.iter().map(|w| w.to_lowercase()).collect();
    let bad_inner = lowered.iter().any(|w| {
        (is_stop_word(w) && !SUBJECT_CONNECTORS.contains(&w.as_str()))
            || REPORTING_VERBS.contains(&w.as_str())
    });
    let ends_with_connector = lowered
        .last()
        .is_some_and(|w| SUBJECT_CONNECTORS.contains(&w.as_str()));
    let has_content = words.iter().any(|w| content_key(w).is_some());
    if bad_inner || ends_with_connector || !has_content {
        return None;
    }
    let opener = if article {
        first_lower
    } else {
        (*first).to_owned()
    };
    Some(
        std::iter::once(opener.as_str())
            .chain(tail.iter().copied())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Letters, digits, hyphens and apostrophes only, with at least one letter.
fn is_plain_word(word: &str) -> bool {
    word.chars().any(char::is_alphabetic)
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '\'' | '\u{2019}'))
}

// ---------------------------------------------------------------------------
// Cloze

/// Words that may join the parts of a capitalised name ("Statue of Liberty").
const NAME_CONNECTORS: &[&str] = &["da", "de", "del", "der", "du", "la", "of", "van", "von"];

/// The term to blank out: a number or year, else a multi-word name, else the most
/// widespread content word. Terms whose [`answer_key`] is in `used` are skipped.
fn cloze_term(
    words: &[&str],
    frequencies: &HashMap<String, usize>,
    used: &HashSet<String>,
) -> Option<String> {
    let fresh = |term: &str| !used.contains(&answer_key(term));
    number_term(words, fresh)
        .or_else(|| name_term(words).filter(|name| fresh(name)))
        .or_else(|| frequent_word_term(words, frequencies, fresh))
}

/// A word with surrounding punctuation and a trailing possessive removed.
fn core(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
        .trim_end_matches("'s")
        .trim_end_matches("\u{2019}s")
}

/// The first year (1000–2100), else the first other number.
fn number_term(words: &[&str], fresh: impl Fn(&str) -> bool) -> Option<String> {
    let numbers: Vec<&str> = words
        .iter()
        .map(|w| core(w))
        .filter(|w| is_number(w))
        .collect();
    let years = numbers.iter().filter(|w| is_year(w));
    years
        .chain(numbers.iter())
        .find(|w| fresh(w))
        .map(|w| (*w).to_owned())
}

/// Digits, optionally with inner `,` or `.` separators ("1,000", "3.5").
fn is_number(word: &str) -> bool {
    let starts = word.chars().next().is_some_and(|c| c.is_ascii_digit());
    let ends = word.chars().next_back().is_some_and(|c| c.is_ascii_digit());
    starts
        && ends
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
}

fn is_year(word: &str) -> bool {
    word.len() == 4
        && word
            .parse::<u32>()
            .is_ok_and(|year| (1000..=2100).contains(&year))
}

/// The longest run of two or more capitalised words (joined by name connectors) that
/// does not start the sentence; ties go to the earlier run. Punctuation ends a run.
fn name_term(words: &[&str]) -> Option<String> {
    let mut best: Option<Vec<&str>> = None;
    let mut run: Vec<&str> = Vec::new();
    for word in words.iter().skip(1) {
        let core_word = core(word);
        if word.starts_with(|c: char| !c.is_alphanumeric()) {
            keep_longer(&mut best, std::mem::take(&mut run));
        }
        let capitalised = core_word.starts_with(char::is_uppercase);
        let connector = !run.is_empty() && NAME_CONNECTORS.contains(&core_word);
        if capitalised || connector {
            run.push(core_word);
        } else {
            keep_longer(&mut best, std::mem::take(&mut run));
        }
        if has_trailing_mark(word) {
            keep_longer(&mut best, std::mem::take(&mut run));
        }
    }
    keep_longer(&mut best, run);
    best.map(|name| name.join(" "))
}

/// Whether [`core`] removed anything from the end of `word` (punctuation, possessive).
fn has_trailing_mark(word: &str) -> bool {
    word.trim_start_matches(|c: char| !c.is_alphanumeric())
        .len()
        > core(word).len()
}

/// Trims trailing connectors from `run` and keeps it in `best` if it is a longer name.
fn keep_longer<'a>(best: &mut Option<Vec<&'a str>>, mut run: Vec<&'a str>) {
    while run.last().is_some_and(|w| NAME_CONNECTORS.contains(w)) {
        run.pop();
    }
    let capitalised = run
        .iter()
        .filter(|w| w.starts_with(char::is_uppercase) && !is_stop_word(&w.to_lowercase()))
        .count();
    if capitalised >= 2 && best.as_ref().is_none_or(|b| run.len() > b.len()) {
        *best = Some(run);
    }
}

/// The content word of the sentence found in the most sentences of the text (ties: the
/// longer word, then the earlier one).
fn frequent_word_term(
    words: &[&str],
    frequencies: &HashMap<String, usize>,
    fresh: impl Fn(&str) -> bool,
) -> Option<String> {
    let mut best: Option<(usize, usize, String)> = None;
    for word in words {
        let surface = core(word);
        let length = surface.chars().count();
        if length < 3 || !surface.chars().all(char::is_alphanumeric) || is_number(surface) {
            continue;
        }
        let Some(key) = content_key(surface) else {
            continue;
        };
        let frequency = frequencies.get(&key).copied().unwrap_or(0);
        let better = best
            .as_ref()
            .is_none_or(|(f, l, _)| (frequency, length) > (*f, *l));
        if better && fresh(surface) {
            best = Some((frequency, length, surface.to_owned()));
        }
    }
    best.map(|(_, _, term)| term)
}

/// `sentence` with every whole-word occurrence of `term` (also with its first letter
/// in the other case) replaced by [`BLANK`].
fn blank_out(sentence: &str, term: &str) -> String {
    let mut variants = vec![
        term.to_owned(),
        flip_first(term, true),
        flip_first(term, false),
    ];
    variants.dedup();
    variants.iter().fold(sentence.to_owned(), |text, variant| {
        replace_whole_word(&text, variant)
    })
}

/// `term` with its first character upper- or lowercased.
fn flip_first(term: &str, upper: bool) -> String {
    let mut chars = term.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let first: String = if upper {
        first.to_uppercase().collect()
    } else {
        first.to_lowercase().collect()
    };
    first + chars.as_str()
}

/// Replaces occurrences of `word` not embedded in a longer alphanumeric run.
fn replace_whole_word(text: &str, word: &str) -> String {
    if word.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, _) in text.match_indices(word) {
        let end = start + word.len();
        let clear_before = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let clear_after = text[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if clear_before && clear_after {
            out.push_str(&text[last..start]);
            out.push_str(BLANK);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sentence: &str) -> Vec<&str> {
        sentence.split_whitespace().collect()
    }

    fn question(sentence: &str) -> Option<(String, String)> {
        let words = words(sentence);
        date_question(&words).or_else(|| definition_question(&words))
    }

    fn pair(front: &str, back: &str) -> Option<(String, String)> {
        Some((front.to_owned(), back.to_owned()))
    }

    #[test]
    fn definition_questions_keep_tense_and_number() {
        assert_eq!(
            question("Chlorophyll is a green pigment found in plants."),
            pair("What is Chlorophyll?", "a green pigment found in plants")
        );
        assert_eq!(
            question("Mitochondria are organelles that release energy from food."),
            pair(
                "What are Mitochondria?",
                "organelles that release energy from food"
            )
        );
        assert_eq!(
            question("The Hanseatic League was a commercial network of market towns."),
            pair(
                "What was the Hanseatic League?",
                "a commercial network of market towns"
            )
        );
        assert_eq!(
            question("The Beatles were an English rock band formed in Liverpool."),
            pair(
                "What were the Beatles?",
                "an English rock band formed in Liverpool"
            )
        );
        assert_eq!(
            question("Osmosis refers to the movement of water across a membrane."),
            pair(
                "What does Osmosis refer to?",
                "the movement of water across a membrane"
            )
        );
        assert_eq!(
            question("Photosynthesis means putting together with light."),
            pair(
                "What does Photosynthesis mean?",
                "putting together with light"
            )
        );
    }

    #[test]
    fn non_definitions_are_not_questions() {
        for sentence in [
            "It is a long way to the top of the hill.",
            "This process is a key step in the cycle.",
            "Photosynthesis is important for nearly all life.",
            "The light energy is captured by chlorophyll in the leaves.",
            "Scientists think photosynthesis is an ancient process.",
            "In 1990, the company was a small startup.",
            "Plants are not able to move around freely.",
            "Plants are usually green because of chlorophyll.",
            "The oxygen released during photosynthesis is the source of the air.",
            "One two three four five six seven is a long subject indeed.",
            "Photosynthesis is.",
        ] {
            assert_eq!(question(sentence), None, "{sentence}");
        }
    }

    #[test]
    fn date_questions() {
        assert_eq!(
            question("The University of Oxford was founded in 1096 by scholars."),
            pair("When was the University of Oxford founded?", "1096")
        );
        assert_eq!(
            question("Marie Curie was born in 1867, in Warsaw."),
            pair("When was Marie Curie born?", "1867")
        );
        assert_eq!(
            question("The First World War began in 1914 after an assassination."),
            pair("When did the First World War begin?", "1914")
        );
        assert_eq!(
            question("Julius Caesar died in 44 BC at the hands of senators."),
            None,
            "two-digit years are not recognised"
        );
        assert_eq!(
            question("The Colosseum was built in 80 AD under Titus."),
            None
        );
        assert_eq!(
            question("The Parthenon was built in 438 BC on the Acropolis."),
            pair("When was the Parthenon built?", "438 BC")
        );
    }

    #[test]
    fn cloze_prefers_year_then_name_then_frequent_word() {
        let frequencies = document_frequencies(&[
            "Plants need light.".to_owned(),
            "Plants need water.".to_owned(),
            "Roots absorb water from the soil.".to_owned(),
        ]);
        let none = HashSet::new();
        let term = |s: &str| cloze_term(&words(s), &frequencies, &none);
        assert_eq!(
            term("Jan Ingenhousz showed in 1779 that 3 plants need light.").as_deref(),
            Some("1779")
        );
        assert_eq!(
            term("A sample of 250 plants was grown.").as_deref(),
            Some("250")
        );
        assert_eq!(
            term("The experiments of Jan Ingenhousz changed botany forever.").as_deref(),
            Some("Jan Ingenhousz")
        );
        assert_eq!(
            term("Visitors admire the Statue of Liberty every day.").as_deref(),
            Some("Statue of Liberty")
        );
        assert_eq!(
            term("Most plants need water to grow.").as_deref(),
            Some("plants")
        );
        // Tie on document frequency (1): the longest word wins.
        assert_eq!(
            term("Leaves capture sunlight quickly.").as_deref(),
            Some("sunlight")
        );
    }

    #[test]
    fn cloze_avoids_used_answers() {
        let frequencies = document_frequencies(&["Plants need water and light.".to_owned()]);
        let used: HashSet<String> = [answer_key("plant")].into_iter().collect();
        let term = cloze_term(&words("Plants need water daily."), &frequencies, &used);
        assert_eq!(term.as_deref(), Some("water"));
    }

    #[test]
    fn blank_out_replaces_whole_words_in_either_case() {
        assert_eq!(
            blank_out("Plants feed plants, not transplants.", "plants"),
            "_____ feed _____, not transplants."
        );
        assert_eq!(
            blank_out("In 1779 and 17790.", "1779"),
            "In _____ and 17790."
        );
    }

    #[test]
    fn name_runs_stop_at_punctuation() {
        assert_eq!(
            name_term(&words(
                "He met Marie Curie, Pierre Curie and Albert Einstein there."
            )),
            Some("Marie Curie".to_owned())
        );
        assert_eq!(name_term(&words("Jan Ingenhousz worked hard.")), None);
        assert_eq!(
            name_term(&words("The work of Jan Ingenhousz's lab mattered.")),
            Some("Jan Ingenhousz".to_owned())
        );
    }

    #[test]
    fn truncation_is_at_a_word_boundary() {
        let text = "word ".repeat(100);
        let cut = truncate_words(text.trim(), 50);
        assert!(cut.chars().count() <= 50);
        assert!(cut.ends_with("word\u{2026}"), "{cut}");
        let solid = "x".repeat(300);
        assert_eq!(truncate_words(&solid, 10).chars().count(), 10);
        assert_eq!(truncate_words("short", 10), "short");
    }

    #[test]
    fn long_definitions_are_truncated_and_long_fronts_skipped() {
        let long = format!(
            "Photosynthesis is the process {}ending here.",
            "by which green plants convert light into sugar and ".repeat(6)
        );
        let cards = cards_from_text(&long, 5);
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].front, "What is Photosynthesis?");
        assert!(cards[0].back.chars().count() <= MAX_BACK_CHARS);
        assert!(cards[0].back.ends_with('\u{2026}'));

        let rambling = format!(
            "The river {}flows to the sea.",
            "winds slowly past the old mills and ".repeat(15)
        );
        assert!(rambling.chars().count() > MAX_FRONT_CHARS);
        assert!(cards_from_text(&rambling, 5).is_empty());
    }

    #[test]
    fn finalize_rejects_degenerate_cards() {
        let s = "source";
        assert!(finalize(CardKind::Question, " ".into(), "x".into(), s).is_none());
        assert!(finalize(CardKind::Question, "x".into(), "".into(), s).is_none());
        assert!(finalize(CardKind::Question, "Same".into(), "same".into(), s).is_none());
        assert!(
            finalize(
                CardKind::Cloze,
                "no blank at all here".into(),
                "x".into(),
                s
            )
            .is_none()
        );
        assert!(finalize(CardKind::Cloze, "_____ _____ _____.".into(), "x".into(), s).is_none());
        assert!(
            finalize(
                CardKind::Cloze,
                "_____ need water to grow.".into(),
                "x".into(),
                s
            )
            .is_some()
        );
    }

    #[test]
    fn questions_in_the_text_are_not_used() {
        assert!(cards_from_text("What is the process by which plants make food?", 5).is_empty());
    }

    #[test]
    fn max_cards_is_respected_and_capped_at_five() {
        let text = "Volcanoes erupt molten rock called lava onto the surface. \
                    Lava cools and hardens into igneous rock over time. \
                    Igneous rock weathers into soil that supports plants. \
                    Plants growing on volcanic soil are often very productive. \
                    Farmers have settled near volcanoes for thousands of years. \
                    Volcanic ash can travel hundreds of kilometres in the wind. \
                    Ash clouds disrupt air travel across whole continents.";
        assert!(cards_from_text(text, 0).is_empty());
        assert_eq!(cards_from_text(text, 2).len(), 2);
        assert_eq!(cards_from_text(text, 50).len(), 5);
    }
}
