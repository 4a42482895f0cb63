//! Reader for the WordNet 3.0 database files shipped by the Debian package
//! `wordnet-base` (`/usr/share/wordnet/`), see wndb(5WN) and morphy(7WN).
//!
//! The four `index.*` files are kept in memory as raw text plus a sorted table
//! of line starts (about 6.3 MB + 0.6 MB); the exception lists (`*.exc`) are
//! parsed into hash maps (about 0.5 MB). The large `data.*` files (22 MB) stay
//! on disk: a synset is read by seeking to its byte offset.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Source line written into the generated fixture.
pub(crate) const FIXTURE_SOURCE: &str =
    "WordNet 3.0 (Princeton University), Debian package wordnet-base";
/// Licence line written into the generated fixture.
pub(crate) const FIXTURE_LICENCE: &str =
    "WordNet 3.0 license (BSD-style), see https://wordnet.princeton.edu/license-and-commercial-use";

/// Maximum length of [`Entry::definition`], in characters.
pub(crate) const MAX_DEFINITION_CHARS: usize = 160;
/// Maximum number of [`Entry::synonyms`].
pub(crate) const MAX_SYNONYMS: usize = 8;
/// Number of leading synsets whose lemmas feed [`Entry::synonyms`].
pub(crate) const SYNONYM_SYNSETS: usize = 3;

/// Closed-class words for which [`WordNet::lookup`] always returns `None`.
///
/// WordNet only describes nouns, verbs, adjectives and adverbs; where it has an
/// entry spelled like one of these words it is a homograph that would mislead
/// on a word card ("a" = angstrom, "i" = iodine, "it" = information
/// technology, "he" = helium, "can" = metal container, "may" = the month).
pub(crate) const FUNCTION_WORDS: &[&str] = &[
    // articles and determiners
    "a", "an", "the", "this", "that", "these", "those", // pronouns
    "i", "me", "my", "mine", "myself", "you", "your", "yours", "he", "him", "his", "she", "her",
    "hers", "it", "its", "we", "us", "our", "ours", "they", "them", "their", "theirs", "who",
    "whom", "whose", "which", "what", // conjunctions
    "and", "or", "but", "nor", "if", "because", "than", // prepositions
    "of", "to", "in", "on", "at", "by", "for", "from", "with", "into", "as", "upon", // modals
    "can", "could", "will", "would", "shall", "should", "may", "might", "must",
];

/// The four WordNet parts of speech: file suffix and public name.
const PARTS: [(&str, &str); 4] = [
    ("noun", "noun"),
    ("verb", "verb"),
    ("adj", "adjective"),
    ("adv", "adverb"),
];

/// Morphy detachment rules (suffix, replacement) per part of speech, in the
/// order of WordNet's `morph.c`.
const RULES: [&[(&str, &str)]; 4] = [
    &[
        ("s", ""),
        ("ses", "s"),
        ("xes", "x"),
        ("zes", "z"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("men", "man"),
        ("ies", "y"),
    ],
    &[
        ("s", ""),
        ("ies", "y"),
        ("es", "e"),
        ("es", ""),
        ("ed", "e"),
        ("ed", ""),
        ("ing", "e"),
        ("ing", ""),
    ],
    &[("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    &[],
];

/// What a word card shows about a word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Entry {
    /// Gloss of the first synset of the chosen part of speech (see
    /// [`WordNet::lookup`]), without example sentences, at most 160 characters.
    pub(crate) definition: String,
    /// `"noun"`, `"verb"`, `"adjective"` or `"adverb"`.
    #[serde(rename = "pos")]
    pub(crate) part_of_speech: &'static str,
    /// Other lemmas of the first three synsets (underscores as spaces,
    /// deduplicated, the word and its base form excluded), at most 8.
    pub(crate) synonyms: Vec<String>,
}

/// One part of speech: index text held in memory, data file on disk.
struct PosIndex {
    text: String,
    /// Byte offsets of the index lines, sorted by lemma.
    lines: Vec<u32>,
    exceptions: HashMap<String, Vec<String>>,
    data_path: PathBuf,
}

/// The fields of an index line that [`WordNet`] uses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IndexLine {
    synset_cnt: usize,
    tagsense_cnt: usize,
    offsets: Vec<u64>,
}

/// Ranking of a part-of-speech candidate: corpus tag count, `tagsense_cnt`,
/// synset count.
type Score = (u64, usize, usize);

/// The fields of a data line that [`WordNet`] uses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Synset {
    words: Vec<String>,
    gloss: String,
}

/// Tag counts from `cntlist.rev` (`sense_key sense_number tag_cnt`), kept
/// as raw text with line starts sorted by sense key.
#[derive(Default)]
struct Counts {
    text: String,
    lines: Vec<u32>,
}

impl Counts {
    /// Loads `cntlist.rev`; a missing file gives empty counts.
    fn open(dir: &Path) -> io::Result<Counts> {
        match fs::read_to_string(dir.join("cntlist.rev")) {
            Ok(text) => {
                let lines = sorted_line_starts(&text)?;
                Ok(Counts { text, lines })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Counts::default()),
            Err(e) => Err(e),
        }
    }

    /// Total tagged-corpus count of `lemma` per part of speech (noun, verb,
    /// adjective incl. satellites, adverb).
    fn totals(&self, lemma: &str) -> [u64; 4] {
        let prefix = format!("{lemma}%");
        let first = self
            .lines
            .partition_point(|&s| line_lemma(&self.text, s) < prefix.as_str());
        let mut totals = [0u64; 4];
        for &start in self.lines.get(first..).unwrap_or(&[]) {
            let line = self
                .text
                .get(start as usize..)
                .and_then(|t| t.lines().next());
            let Some(rest) = line.and_then(|l| l.strip_prefix(&prefix)) else {
                break;
            };
            if let Some((pos, count)) = parse_count(rest) {
                totals[pos] += count;
            }
        }
        totals
    }

    #[cfg(test)]
    fn memory_estimate(&self) -> usize {
        self.text.capacity() + self.lines.capacity() * 4
    }
}

/// Parses the rest of a `cntlist.rev` line after `lemma%`:
/// `ss_type:lex_filenum:lex_id:head:head_id sense_number tag_cnt`; returns
/// (part index, count).
fn parse_count(rest: &str) -> Option<(usize, u64)> {
    let pos = match rest.as_bytes().first()? {
        b'1' => 0,
        b'2' => 1,
        b'3' | b'5' => 2,
        b'4' => 3,
        _ => return None,
    };
    let count = rest.split_whitespace().nth(2)?.parse().ok()?;
    Some((pos, count))
}

/// A WordNet 3.0 database opened from a directory.
pub(crate) struct WordNet {
    parts: Vec<PosIndex>,
    counts: Counts,
}

impl WordNet {
    /// Opens the database in `dir` (e.g. `/usr/share/wordnet`): reads the four
    /// index files and exception lists into memory and checks that the four
    /// data files exist.
    pub(crate) fn open(dir: &Path) -> io::Result<WordNet> {
        let parts = PARTS
            .iter()
            .map(|(suffix, _)| PosIndex::open(dir, suffix))
            .collect::<io::Result<Vec<_>>>()?;
        let counts = Counts::open(dir)?;
        Ok(WordNet { parts, counts })
    }

    /// Approximate heap memory held by this value, in bytes.
    #[cfg(test)]
    pub(crate) fn memory_estimate(&self) -> usize {
        let parts: usize = self.parts.iter().map(PosIndex::memory_estimate).sum();
        parts + self.counts.memory_estimate()
    }

    /// Base forms of `word` found in WordNet, as `(part of speech, lemma)` in
    /// the order noun, verb, adjective, adverb; within one part of speech:
    /// exception-list forms, then the word itself, then morphy suffix rules.
    #[cfg(test)]
    pub(crate) fn base_forms(&self, word: &str) -> Vec<(&'static str, String)> {
        let key = normalise(word);
        let mut out = Vec::new();
        if key.is_empty() {
            return out;
        }
        for (i, part) in self.parts.iter().enumerate() {
            for lemma in part.base_forms(&key, RULES[i]) {
                out.push((PARTS[i].1, lemma));
            }
        }
        out
    }

    /// Looks `word` up (case-insensitive, spaces as underscores).
    ///
    /// Rule: for each part of speech the first base form (see
    /// [`WordNet::base_forms`]) is a candidate; the candidate whose senses
    /// are most frequent in the semantic concordance wins (sum of its
    /// `cntlist.rev` tag counts for that part of speech), ties go to the
    /// higher `tagsense_cnt`, then to more synsets, then to the order noun,
    /// verb, adjective, adverb. The entry
    /// describes that lemma's first synset (WordNet orders synsets by
    /// frequency). Words in [`FUNCTION_WORDS`], empty input and words not in
    /// WordNet give `None`. Errors come only from reading the data files.
    pub(crate) fn lookup(&self, word: &str) -> io::Result<Option<Entry>> {
        let key = normalise(word);
        if key.is_empty() || FUNCTION_WORDS.contains(&key.as_str()) {
            return Ok(None);
        }
        let Some((i, lemma, line)) = self.best_candidate(&key) else {
            return Ok(None);
        };
        let part = &self.parts[i];
        let mut synsets = Vec::new();
        for &offset in line.offsets.iter().take(SYNONYM_SYNSETS) {
            synsets.push(part.read_synset(offset)?);
        }
        let Some(first) = synsets.first() else {
            return Ok(None);
        };
        Ok(Some(Entry {
            definition: clean_definition(&first.gloss),
            part_of_speech: PARTS[i].1,
            synonyms: collect_synonyms(&synsets, &[&key, &lemma]),
        }))
    }

    /// The winning (part index, lemma, index line) for a normalised word.
    fn best_candidate(&self, key: &str) -> Option<(usize, String, IndexLine)> {
        let mut best: Option<(Score, usize, String, IndexLine)> = None;
        for (i, part) in self.parts.iter().enumerate() {
            let Some(lemma) = part.base_forms(key, RULES[i]).into_iter().next() else {
                continue;
            };
            let Some(line) = part.find(&lemma).and_then(parse_index_line) else {
                continue;
            };
            let score = (
                self.counts.totals(&lemma)[i],
                line.tagsense_cnt,
                line.synset_cnt,
            );
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, i, lemma, line));
            }
        }
        best.map(|(_, i, lemma, line)| (i, lemma, line))
    }
}

impl PosIndex {
    /// Loads `index.<suffix>` and `<suffix>.exc` from `dir`.
    fn open(dir: &Path, suffix: &str) -> io::Result<PosIndex> {
        let text = fs::read_to_string(dir.join(format!("index.{suffix}")))?;
        let lines = sorted_line_starts(&text)?;
        let exceptions = match fs::read_to_string(dir.join(format!("{suffix}.exc"))) {
            Ok(exc) => parse_exceptions(&exc),
            Err(e) if e.kind() == io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(e),
        };
        let data_path = dir.join(format!("data.{suffix}"));
        fs::metadata(&data_path)?;
        Ok(PosIndex {
            text,
            lines,
            exceptions,
            data_path,
        })
    }

    #[cfg(test)]
    fn memory_estimate(&self) -> usize {
        let exc: usize = self
            .exceptions
            .iter()
            .map(|(k, v)| 48 + k.capacity() + v.iter().map(|s| 24 + s.capacity()).sum::<usize>())
            .sum();
        self.text.capacity() + self.lines.capacity() * 4 + exc
    }

    /// The index line of `lemma`, by binary search.
    fn find(&self, lemma: &str) -> Option<&str> {
        let pos = self
            .lines
            .binary_search_by(|&start| line_lemma(&self.text, start).cmp(lemma))
            .ok()?;
        let start = *self.lines.get(pos)? as usize;
        self.text.get(start..)?.lines().next()
    }

    fn contains(&self, lemma: &str) -> bool {
        self.find(lemma).is_some()
    }

    /// Base forms of a normalised word present in this index (see
    /// [`WordNet::base_forms`]).
    fn base_forms(&self, key: &str, rules: &[(&str, &str)]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |s: String| {
            if self.contains(&s) && !out.contains(&s) {
                out.push(s);
            }
        };
        if let Some(bases) = self.exceptions.get(key) {
            bases.iter().cloned().for_each(&mut push);
        }
        push(key.to_string());
        for stem in detach(key, rules) {
            push(stem);
        }
        out
    }

    /// Reads and parses the synset at byte `offset` of the data file.
    fn read_synset(&self, offset: u64) -> io::Result<Synset> {
        let mut file = File::open(&self.data_path)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut buf = Vec::with_capacity(512);
        BufReader::with_capacity(2048, file).read_until(b'\n', &mut buf)?;
        let line = String::from_utf8_lossy(&buf);
        parse_data_line(&line, offset).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "bad synset at offset {offset} in {}",
                    self.data_path.display()
                ),
            )
        })
    }
}

/// Lower-cases, trims and turns spaces into underscores, as WordNet stores
/// lemmas.
fn normalise(word: &str) -> String {
    word.split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

/// Line starts of an index file, without the licence header (lines starting
/// with two spaces), sorted by lemma.
fn sorted_line_starts(text: &str) -> io::Result<Vec<u32>> {
    let too_big = || io::Error::new(io::ErrorKind::InvalidData, "index file over 4 GB");
    let mut starts = Vec::with_capacity(text.len() / 40);
    let mut pos = 0usize;
    for line in text.split_inclusive('\n') {
        if !line.starts_with("  ") && !line.trim().is_empty() {
            starts.push(u32::try_from(pos).map_err(|_| too_big())?);
        }
        pos += line.len();
    }
    if !starts.is_sorted_by(|&a, &b| line_lemma(text, a) <= line_lemma(text, b)) {
        starts.sort_by(|&a, &b| line_lemma(text, a).cmp(line_lemma(text, b)));
    }
    starts.shrink_to_fit();
    Ok(starts)
}

/// The first field of the line starting at byte `start`.
fn line_lemma(text: &str, start: u32) -> &str {
    let rest = text.get(start as usize..).unwrap_or("");
    let end = rest.find([' ', '\n']).unwrap_or(rest.len());
    &rest[..end]
}

/// Parses an exception list: `inflected base [base...]` per line.
fn parse_exceptions(text: &str) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        if let Some(inflected) = fields.next() {
            let bases: Vec<String> = fields.map(str::to_string).collect();
            if !bases.is_empty() {
                map.entry(inflected.to_string()).or_default().extend(bases);
            }
        }
    }
    map.shrink_to_fit();
    map
}

/// Candidate stems from the morphy suffix rules, plus an undoubled final
/// consonant for `-ed`, `-ing`, `-er`, `-est` ("running" → "run").
fn detach(word: &str, rules: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for (suffix, replacement) in rules {
        let Some(stem) = word.strip_suffix(suffix) else {
            continue;
        };
        if stem.is_empty() {
            continue;
        }
        out.push(format!("{stem}{replacement}"));
        if replacement.is_empty() && matches!(*suffix, "ed" | "ing" | "er" | "est") {
            out.extend(undouble(stem));
        }
    }
    out
}

/// "runn" → "run"; `None` unless the stem ends in a doubled consonant.
fn undouble(stem: &str) -> Option<String> {
    let bytes = stem.as_bytes();
    let n = bytes.len();
    if n < 3 || bytes[n - 1] != bytes[n - 2] {
        return None;
    }
    let c = bytes[n - 1];
    (c.is_ascii_lowercase() && !b"aeiou".contains(&c)).then(|| stem[..n - 1].to_string())
}

/// Parses an index line (wndb(5WN)):
/// `lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...`.
fn parse_index_line(line: &str) -> Option<IndexLine> {
    let mut f = line.split_whitespace().skip(2);
    let synset_cnt: usize = f.next()?.parse().ok()?;
    let p_cnt: usize = f.next()?.parse().ok()?;
    let mut f = f.skip(p_cnt);
    let _sense_cnt = f.next()?;
    let tagsense_cnt: usize = f.next()?.parse().ok()?;
    let offsets = f
        .take(synset_cnt)
        .map(|s| s.parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    Some(IndexLine {
        synset_cnt,
        tagsense_cnt,
        offsets,
    })
}

/// Parses a data line (wndb(5WN)):
/// `synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt ... | gloss`,
/// with `w_cnt` in hexadecimal. Checks that the line's offset is `offset`.
fn parse_data_line(line: &str, offset: u64) -> Option<Synset> {
    let (head, gloss) = line.split_once(" | ").unwrap_or((line, ""));
    let mut f = head.split_whitespace();
    if f.next()?.parse::<u64>().ok()? != offset {
        return None;
    }
    let _lex_filenum = f.next()?;
    let _ss_type = f.next()?;
    let w_cnt = usize::from_str_radix(f.next()?, 16).ok()?;
    let mut words = Vec::with_capacity(w_cnt);
    for _ in 0..w_cnt {
        words.push(clean_lemma(f.next()?));
        let _lex_id = f.next()?;
    }
    Some(Synset {
        words,
        gloss: gloss.trim().to_string(),
    })
}

/// Drops the adjective marker (`(a)`, `(p)`, `(ip)`) and turns underscores
/// into spaces.
fn clean_lemma(word: &str) -> String {
    let word = word
        .strip_suffix("(a)")
        .or_else(|| word.strip_suffix("(p)"))
        .or_else(|| word.strip_suffix("(ip)"))
        .unwrap_or(word);
    word.replace('_', " ")
}

/// The gloss without its quoted example sentences, at most
/// [`MAX_DEFINITION_CHARS`] characters (first clause, then a cut at a word
/// boundary with an ellipsis).
fn clean_definition(gloss: &str) -> String {
    let before_examples = match gloss.find('"') {
        Some(0) | None => gloss,
        Some(i) => &gloss[..i],
    };
    let text = strip_trailing_eg(before_examples);
    if text.chars().count() <= MAX_DEFINITION_CHARS {
        return text.to_string();
    }
    let clause = text.split(';').next().unwrap_or(text).trim();
    if clause.chars().count() <= MAX_DEFINITION_CHARS {
        return clause.to_string();
    }
    truncate_words(clause, MAX_DEFINITION_CHARS - 1) + "…"
}

/// Trims whitespace and dangling separators left by removed examples
/// (`;`, `,`, `:`, "e.g.").
fn strip_trailing_eg(text: &str) -> &str {
    let mut text = text.trim();
    loop {
        let next = text
            .trim_end_matches([';', ',', ':'])
            .trim_end()
            .strip_suffix("e.g.")
            .unwrap_or(text.trim_end_matches([';', ',', ':']))
            .trim_end();
        if next == text {
            return text;
        }
        text = next;
    }
}

/// The longest prefix of `text` of at most `max` characters ending at a word
/// boundary (or cut mid-word if there is none).
fn truncate_words(text: &str, max: usize) -> String {
    let cut = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let prefix = &text[..cut];
    let at_space = prefix.rfind(' ').filter(|&i| i > 0).unwrap_or(prefix.len());
    prefix[..at_space]
        .trim_end_matches([' ', ',', ';', ':'])
        .to_string()
}

/// Lemmas of `synsets` in order, deduplicated case-insensitively, without
/// the `exclude` words, at most [`MAX_SYNONYMS`].
fn collect_synonyms(synsets: &[Synset], exclude: &[&str]) -> Vec<String> {
    let mut seen: HashSet<String> = exclude
        .iter()
        .map(|w| w.replace('_', " ").to_lowercase())
        .collect();
    let mut out = Vec::new();
    for word in synsets.iter().flat_map(|s| &s.words) {
        if out.len() == MAX_SYNONYMS {
            break;
        }
        if seen.insert(word.to_lowercase()) {
            out.push(word.clone());
        }
    }
    out
}

/// Builds the `wordnet.json` fixture for `words`:
/// `{"source", "licence", "words": {word: {"definition", "pos", "synonyms"}}}`.
///
/// Keys are the words lower-cased and trimmed; only words with an entry are
/// included (a read error counts as no entry); keys are inserted in sorted
/// order, so the output is stable with or without serde_json's
/// `preserve_order` feature.
pub(crate) fn build_fixture(wordnet: &WordNet, words: &[&str]) -> serde_json::Value {
    let mut found: BTreeMap<String, Entry> = BTreeMap::new();
    for word in words {
        let key = word.trim().to_lowercase();
        if found.contains_key(&key) {
            continue;
        }
        if let Ok(Some(entry)) = wordnet.lookup(&key) {
            found.insert(key, entry);
        }
    }
    let mut map = serde_json::Map::new();
    for (word, entry) in found {
        let value = serde_json::json!({
            "definition": entry.definition,
            "pos": entry.part_of_speech,
            "synonyms": entry.synonyms,
        });
        map.insert(word, value);
    }
    serde_json::json!({
        "licence": FIXTURE_LICENCE,
        "source": FIXTURE_SOURCE,
        "words": map,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = "/usr/share/wordnet";

    /// The real database, or `None` (the test prints `SKIPPED`) when wordnet-base is not
    /// installed; under `CI` (`.ci/run` installs it) a missing database fails instead, like
    /// the suite's other tests that need a service.
    fn wordnet() -> Option<WordNet> {
        if !Path::new(DIR).join("index.noun").exists() {
            let message = format!("SKIPPED: {DIR} missing (apt-get install wordnet-base)");
            assert!(std::env::var_os("CI").is_none(), "{message}");
            eprintln!("{message}");
            return None;
        }
        Some(WordNet::open(Path::new(DIR)).expect("open wordnet"))
    }

    /// `agora literacy import-wordnet` reproduces the shipped fixture byte for byte.
    #[test]
    fn the_shipped_fixture_is_what_import_wordnet_writes() {
        if wordnet().is_none() {
            return;
        }
        let (json, found) = crate::api::import_wordnet(Path::new(DIR)).expect("import");
        assert_eq!(
            json,
            include_str!("../../../../fixtures/literacy/wordnet.json")
        );
        assert_eq!(found, 203);
    }

    fn entry(wn: &WordNet, word: &str) -> Entry {
        wn.lookup(word).expect("io").expect(word)
    }

    #[test]
    fn dog_is_a_noun_with_synonyms() {
        let Some(wn) = wordnet() else { return };
        let e = entry(&wn, "dog");
        assert_eq!(e.part_of_speech, "noun");
        assert!(
            e.definition.starts_with("a member of the genus Canis"),
            "{e:?}"
        );
        assert!(!e.definition.contains('"'));
        assert!(e.synonyms.contains(&"domestic dog".to_string()), "{e:?}");
        assert!(!e.synonyms.iter().any(|s| s == "dog"));
    }

    #[test]
    fn happy_and_beautiful_are_adjectives() {
        let Some(wn) = wordnet() else { return };
        let happy = entry(&wn, "happy");
        assert_eq!(happy.part_of_speech, "adjective");
        assert!(happy.definition.contains("pleasure"), "{happy:?}");
        let beautiful = entry(&wn, "Beautiful");
        assert_eq!(beautiful.part_of_speech, "adjective");
        assert!(beautiful.definition.contains("admiration"), "{beautiful:?}");
        assert!(beautiful.synonyms.iter().all(|s| !s.contains('(')));
    }

    #[test]
    fn run_prefers_the_verb() {
        let Some(wn) = wordnet() else { return };
        let e = entry(&wn, "run");
        assert_eq!(e.part_of_speech, "verb");
        assert!(e.definition.contains("move fast"), "{e:?}");
    }

    #[test]
    fn corpus_counts_choose_the_part_of_speech() {
        let Some(wn) = wordnet() else { return };
        assert_eq!(wn.counts.totals("run")[1], 268);
        assert_eq!(entry(&wn, "white").part_of_speech, "adjective");
        assert_eq!(entry(&wn, "round").part_of_speech, "adjective");
        assert_eq!(entry(&wn, "walk").part_of_speech, "verb");
        assert_eq!(entry(&wn, "leopard").part_of_speech, "noun");
    }

    #[test]
    fn inflected_forms_reach_their_base() {
        let Some(wn) = wordnet() else { return };
        let has = |word: &str, pos: &str, lemma: &str| {
            wn.base_forms(word)
                .iter()
                .any(|(p, l)| *p == pos && l == lemma)
        };
        assert!(has("went", "verb", "go"));
        assert!(has("children", "noun", "child"));
        assert!(has("running", "verb", "run"));
        assert!(has("jumped", "verb", "jump"));
        assert!(has("stopped", "verb", "stop"));
        assert!(has("boxes", "noun", "box"));
        assert!(has("ponies", "noun", "pony"));
        assert_eq!(entry(&wn, "went"), entry(&wn, "go"));
        assert_eq!(entry(&wn, "children").part_of_speech, "noun");
        assert!(entry(&wn, "children").definition.contains("young person"));
        assert_eq!(entry(&wn, "running").part_of_speech, "verb");
    }

    #[test]
    fn function_and_unknown_words_have_no_entry() {
        let Some(wn) = wordnet() else { return };
        for word in ["the", "a", "and", "of", "", "   ", "xyzzyplugh", "<script>"] {
            assert_eq!(wn.lookup(word).expect("io"), None, "{word}");
        }
    }

    #[test]
    fn definitions_and_synonyms_are_bounded() {
        let Some(wn) = wordnet() else { return };
        for word in ["set", "take", "break", "line", "head", "good", "well"] {
            let e = entry(&wn, word);
            assert!(
                e.definition.chars().count() <= MAX_DEFINITION_CHARS,
                "{e:?}"
            );
            assert!(!e.definition.is_empty());
            assert!(e.synonyms.len() <= MAX_SYNONYMS);
        }
    }

    #[test]
    fn fixture_is_sorted_and_skips_missing_words() {
        let Some(wn) = wordnet() else { return };
        let v = build_fixture(&wn, &["happy", "the", "dog", "Dog"]);
        assert_eq!(v["source"], FIXTURE_SOURCE);
        let words = v["words"].as_object().expect("words");
        let keys: Vec<&String> = words.keys().collect();
        assert_eq!(keys, ["dog", "happy"]);
        assert_eq!(v["words"]["dog"]["pos"], "noun");
    }

    #[test]
    fn memory_stays_modest() {
        let Some(wn) = wordnet() else { return };
        let bytes = wn.memory_estimate();
        assert!(bytes < 12_000_000, "{bytes}");
    }

    #[test]
    fn parsers_handle_garbage() {
        assert_eq!(parse_index_line("dog n x"), None);
        assert_eq!(parse_index_line(""), None);
        assert_eq!(parse_data_line("00000001 03 n zz", 1), None);
        assert_eq!(parse_data_line("00000001 03 n 02 a 0", 1), None);
        assert_eq!(parse_data_line("00000002 03 n 01 a 0 000 | g", 1), None);
        let s = parse_data_line(
            "00000001 00 s 01 big(a) 0 000 | large; \"a big house\"  ",
            1,
        );
        assert_eq!(s.expect("parse").words, ["big"]);
        assert_eq!(clean_definition("large; \"a big house\""), "large");
        assert_eq!(clean_definition("keep; e.g., \"keep clean\""), "keep");
        assert_eq!(parse_count("1:05:00:: 1 42"), Some((0, 42)));
        assert_eq!(parse_count("5:00:00:big:00 2 7"), Some((2, 7)));
        assert_eq!(parse_count("9:x"), None);
        let long = "word ".repeat(60);
        let d = clean_definition(&long);
        assert!(d.chars().count() <= MAX_DEFINITION_CHARS && d.ends_with('…'));
        assert_eq!(undouble("runn").as_deref(), Some("run"));
        assert_eq!(undouble("pass"), Some("pas".to_string()));
        assert_eq!(undouble("see"), None);
    }
}
