//! The reading scorer: a weighted edit distance between the expected phonemes and what was
//! heard, with substitution costs from articulatory features (`phonemes.tsv`).
//!
//! # Costs
//!
//! Stress is ignored everywhere. Inserting or omitting a phoneme costs **1.0**.
//! Substituting phoneme *a* by *b* costs:
//!
//! | case | cost | examples |
//! |---|---|---|
//! | same phoneme | 0.0 | |
//! | vowel ↔ consonant | 1.0 | AE ↔ T |
//! | consonants, same features in the table (only L/R) | 0.3 | L ↔ R |
//! | consonants, voicing only differs | 0.3 | P/B, T/D, K/G, F/V, TH/DH, S/Z, SH/ZH, CH/JH |
//! | consonants, place only differs | 0.5 | B/D, P/T, M/N, T/K, S/SH |
//! | consonants, manner only differs | 0.6 | D/N, T/S, B/W, D/L |
//! | consonants, two features differ | 0.8 | P/D, K/F, B/V |
//! | consonants, all three differ | 1.0 | K/L, P/Z |
//! | vowels, same features in the table | 0.25 | IH/IY, UH/UW, AH/ER, AW/AY, OW/OY |
//! | vowels, one of height/backness/rounding/diphthong differs | 0.35 | AE/EH, EH/EY, AO/OW |
//! | vowels, two differ | 0.55 | AE/AH, IH/EY, AA/AO |
//! | vowels, three differ | 0.7 | IY/AO |
//! | vowels, all four differ | 0.8 | IY/OW, IH/OY |
//!
//! # Similarity
//!
//! `similarity = round(100 × (1 − cost / max(len(expected), len(heard))))`, clamped to
//! 0..=100; an empty heard sequence scores 0. The product passes a reading at > 70, so on a
//! 3-phoneme word one voicing slip passes (90), a b/d swap passes (83), a vowel two features
//! off passes narrowly (82), while one omission (67) or an unrelated word fails.

use crate::phonetics::dictionary::{Dictionary, Phone, Phoneme, Pronunciation};
use crate::phonetics::letter_to_sound::letter_to_sound;

/// Cost of inserting or omitting one phoneme.
pub(crate) const INDEL_COST: f64 = 1.0;

/// Substitution costs between the 39 phonemes, computed once from `phonemes.tsv`.
#[derive(Clone, Debug)]
pub(crate) struct CostTable {
    /// `costs[a as usize][b as usize]`, symmetric, zero diagonal.
    costs: [[f64; 39]; 39],
}

/// The feature description of one phoneme as read from the TSV.
#[derive(Clone, Debug, PartialEq)]
struct Features {
    vowel: bool,
    /// Feature values in a fixed key order (see [`CONSONANT_KEYS`] / [`VOWEL_KEYS`]).
    values: Vec<String>,
}

const CONSONANT_KEYS: [&str; 3] = ["voicing", "place", "manner"];
const VOWEL_KEYS: [&str; 4] = ["height", "backness", "rounding", "diphthong"];

impl CostTable {
    /// Parses `phonemes.tsv` (`phoneme<TAB>ipa<TAB>type<TAB>features`, `#` comments).
    /// Every one of the 39 phonemes must be present exactly once with all its features.
    pub(crate) fn parse(tsv: &str) -> Result<CostTable, String> {
        let mut table: Vec<Option<Features>> = vec![None; 39];
        for (n, line) in tsv.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (phoneme, features) =
                parse_row(line).map_err(|e| format!("line {}: {e}", n + 1))?;
            let slot = &mut table[phoneme as usize];
            if slot.is_some() {
                return Err(format!("line {}: duplicate phoneme {phoneme}", n + 1));
            }
            *slot = Some(features);
        }
        let mut features = Vec::with_capacity(39);
        for (p, f) in Phoneme::ALL.iter().zip(table) {
            features.push(f.ok_or_else(|| format!("phoneme {p} missing"))?);
        }
        let mut costs = [[0.0; 39]; 39];
        for (i, fa) in features.iter().enumerate() {
            for (j, fb) in features.iter().enumerate() {
                costs[i][j] = if i == j { 0.0 } else { feature_cost(fa, fb) };
            }
        }
        Ok(CostTable { costs })
    }

    /// Substitution cost in [0, 1] (see the module documentation for the table).
    pub(crate) fn substitution(&self, a: Phoneme, b: Phoneme) -> f64 {
        self.costs[a as usize][b as usize]
    }
}

/// One data row → (phoneme, features), checking the type against the phoneme set.
fn parse_row(line: &str) -> Result<(Phoneme, Features), String> {
    let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
    let [symbol, _ipa, kind, feats] = cols[..] else {
        return Err(format!(
            "expected 4 tab-separated columns, got {}",
            cols.len()
        ));
    };
    let phoneme = Phoneme::parse(symbol).ok_or_else(|| format!("unknown phoneme {symbol:?}"))?;
    let vowel = match kind {
        "vowel" => true,
        "consonant" => false,
        other => return Err(format!("{symbol}: unknown type {other:?}")),
    };
    if vowel != phoneme.is_vowel() {
        return Err(format!("{symbol}: type {kind} contradicts the ARPAbet set"));
    }
    let pairs: Vec<(&str, &str)> = feats
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    let keys: &[&str] = if vowel { &VOWEL_KEYS } else { &CONSONANT_KEYS };
    let values = keys
        .iter()
        .map(|key| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| (*v).to_owned())
                .ok_or_else(|| format!("{symbol}: missing feature {key}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((phoneme, Features { vowel, values }))
}

/// Cost of substituting two *different* phonemes, from their features.
fn feature_cost(a: &Features, b: &Features) -> f64 {
    if a.vowel != b.vowel {
        return 1.0;
    }
    let differs: Vec<bool> = a
        .values
        .iter()
        .zip(&b.values)
        .map(|(x, y)| x != y)
        .collect();
    let count = differs.iter().filter(|&&d| d).count();
    if a.vowel {
        // Vowel confusions are common and mild; the cost grows with each differing feature.
        match count {
            0 => 0.25,
            1 => 0.35,
            2 => 0.55,
            3 => 0.7,
            _ => 0.8,
        }
    } else {
        match (count, differs.as_slice()) {
            (0, _) => 0.3,
            // Voicing-only pairs (b/p) are the mildest slip: same mouth shape.
            (1, [true, false, false]) => 0.3,
            (1, [false, true, false]) => 0.5,
            (1, _) => 0.6,
            (2, _) => 0.8,
            _ => 1.0,
        }
    }
}

/// What went wrong at one place of the alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MistakeKind {
    /// A phoneme was read as a different one.
    Substitution,
    /// An expected phoneme was not heard.
    Omission,
    /// An extra phoneme was heard.
    Insertion,
}

/// One mistake of an alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mistake {
    /// The expected phoneme (`None` for an insertion).
    pub(crate) expected: Option<Phoneme>,
    /// The heard phoneme (`None` for an omission).
    pub(crate) heard: Option<Phoneme>,
    /// Index in the expected sequence; for an insertion, the index of the expected phone it
    /// comes before (the expected length when it comes at the end).
    pub(crate) position: usize,
    /// Substitution, omission or insertion.
    pub(crate) kind: MistakeKind,
}

/// Result of scoring a reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Alignment {
    /// 0..=100, see the module documentation.
    pub(crate) similarity: u8,
    /// The mistakes in expected order.
    pub(crate) mistakes: Vec<Mistake>,
}

/// Aligns what was heard against what was expected (weighted edit distance; stress ignored).
pub(crate) fn align(expected: &[Phone], heard: &[Phone], costs: &CostTable) -> Alignment {
    let dp = cost_matrix(expected, heard, costs);
    let (n, m) = (expected.len(), heard.len());
    let total = dp[n][m];
    let similarity = if heard.is_empty() {
        0
    } else {
        let longest = n.max(m) as f64;
        (100.0 * (1.0 - total / longest)).round().clamp(0.0, 100.0) as u8
    };
    Alignment {
        similarity,
        mistakes: backtrack(&dp, expected, heard, costs),
    }
}

/// `dp[i][j]` = cheapest cost of turning `expected[..i]` into `heard[..j]`.
fn cost_matrix(expected: &[Phone], heard: &[Phone], costs: &CostTable) -> Vec<Vec<f64>> {
    let (n, m) = (expected.len(), heard.len());
    let mut dp = vec![vec![0.0; m + 1]; n + 1];
    for (i, row) in dp.iter_mut().enumerate() {
        row[0] = i as f64 * INDEL_COST;
    }
    for (j, cell) in dp[0].iter_mut().enumerate() {
        *cell = j as f64 * INDEL_COST;
    }
    for i in 1..=n {
        for j in 1..=m {
            let sub = dp[i - 1][j - 1]
                + costs.substitution(expected[i - 1].phoneme, heard[j - 1].phoneme);
            let omit = dp[i - 1][j] + INDEL_COST;
            let insert = dp[i][j - 1] + INDEL_COST;
            dp[i][j] = sub.min(omit).min(insert);
        }
    }
    dp
}

/// Walks the matrix back from the end; on ties prefers substitution, then omission,
/// so a slip is reported as one substitution rather than an omission plus an insertion.
fn backtrack(
    dp: &[Vec<f64>],
    expected: &[Phone],
    heard: &[Phone],
    costs: &CostTable,
) -> Vec<Mistake> {
    const EPS: f64 = 1e-9;
    let (mut i, mut j) = (expected.len(), heard.len());
    let mut mistakes = Vec::new();
    while i > 0 || j > 0 {
        if i > 0 && j > 0 {
            let (e, h) = (expected[i - 1].phoneme, heard[j - 1].phoneme);
            let sub = costs.substitution(e, h);
            if (dp[i - 1][j - 1] + sub - dp[i][j]).abs() < EPS {
                if e != h {
                    mistakes.push(Mistake {
                        expected: Some(e),
                        heard: Some(h),
                        position: i - 1,
                        kind: MistakeKind::Substitution,
                    });
                }
                i -= 1;
                j -= 1;
                continue;
            }
        }
        if i > 0 && (j == 0 || (dp[i - 1][j] + INDEL_COST - dp[i][j]).abs() < EPS) {
            mistakes.push(Mistake {
                expected: Some(expected[i - 1].phoneme),
                heard: None,
                position: i - 1,
                kind: MistakeKind::Omission,
            });
            i -= 1;
        } else {
            mistakes.push(Mistake {
                expected: None,
                heard: Some(heard[j - 1].phoneme),
                position: i,
                kind: MistakeKind::Insertion,
            });
            j -= 1;
        }
    }
    mistakes.reverse();
    mistakes
}

/// Phones of a speech-recognition transcript: words are runs of letters and apostrophes;
/// each takes its first dictionary pronunciation, else [`letter_to_sound`].
pub(crate) fn transcript_phones(dict: &Dictionary, transcript: &str) -> Vec<Phone> {
    transcript
        .split(|c: char| !(c.is_alphabetic() || is_apostrophe(c)))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .flat_map(|w| match dict.lookup(w).and_then(|prons| prons.first()) {
            Some(pron) => pron.0.clone(),
            None => letter_to_sound(w),
        })
        .collect()
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}')
}

/// The best alignment over the expected word's alternate pronunciations (highest similarity;
/// the first alternate wins ties). No pronunciation at all scores 0.
///
/// `dict` is not consulted yet; it is part of the signature so that callers need not change
/// when homophone-aware scoring is added.
pub(crate) fn best_alignment(
    _dict: &Dictionary,
    expected_word_prons: &[Pronunciation],
    heard: &[Phone],
    costs: &CostTable,
) -> Alignment {
    let mut best: Option<Alignment> = None;
    for pron in expected_word_prons {
        let candidate = align(&pron.0, heard, costs);
        if best
            .as_ref()
            .is_none_or(|b| candidate.similarity > b.similarity)
        {
            best = Some(candidate);
        }
    }
    best.unwrap_or_else(|| align(&[], heard, costs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made table with just enough rows to exercise the parser; the full file is
    /// tested in tests/literacy.rs.
    fn table() -> CostTable {
        let mut tsv = String::from("# comment\n");
        for p in Phoneme::ALL {
            let row = match p.as_str() {
                "B" => "B\tb\tconsonant\tvoicing=voiced,place=bilabial,manner=stop",
                "P" => "P\tp\tconsonant\tvoicing=voiceless,place=bilabial,manner=stop",
                "D" => "D\td\tconsonant\tvoicing=voiced,place=alveolar,manner=stop",
                "N" => "N\tn\tconsonant\tvoicing=voiced,place=alveolar,manner=nasal",
                "AE" => "AE\tæ\tvowel\theight=low,backness=front,rounding=unrounded,diphthong=no",
                "AH" => "AH\tʌ\tvowel\theight=mid,backness=central,rounding=unrounded,diphthong=no",
                s if p.is_vowel() => {
                    tsv.push_str(&format!(
                        "{s}\tx\tvowel\theight=high,backness=back,rounding=rounded,diphthong=yes\n"
                    ));
                    continue;
                }
                s => {
                    tsv.push_str(&format!(
                        "{s}\tx\tconsonant\tvoicing=voiceless,place=glottal,manner=glide\n"
                    ));
                    continue;
                }
            };
            tsv.push_str(row);
            tsv.push('\n');
        }
        CostTable::parse(&tsv).expect("test table parses")
    }

    fn ph(s: &str) -> Vec<Phone> {
        s.split_whitespace().filter_map(Phone::parse).collect()
    }

    #[test]
    fn cost_classes() {
        let t = table();
        use Phoneme::*;
        assert_eq!(t.substitution(B, B), 0.0);
        assert_eq!(t.substitution(B, P), 0.3);
        assert_eq!(t.substitution(B, D), 0.5);
        assert_eq!(t.substitution(D, N), 0.6);
        assert_eq!(t.substitution(P, N), 1.0);
        assert_eq!(t.substitution(P, D), 0.8);
        assert_eq!(t.substitution(AE, AH), 0.55);
        assert_eq!(t.substitution(AE, B), 1.0);
        assert_eq!(t.substitution(D, B), t.substitution(B, D));
    }

    #[test]
    fn parse_errors() {
        assert!(CostTable::parse("").unwrap_err().contains("missing"));
        assert!(CostTable::parse("XX\tx\tvowel\theight=low").is_err());
        assert!(
            CostTable::parse("B\tb\tvowel\theight=low")
                .unwrap_err()
                .contains("contradicts")
        );
        assert!(
            CostTable::parse("B\tb\tconsonant\tvoicing=voiced")
                .unwrap_err()
                .contains("place")
        );
        assert!(CostTable::parse("B\tb").is_err());
    }

    #[test]
    fn alignment_scores_and_mistakes() {
        let t = table();
        let bad = ph("B AE1 D");
        let exact = align(&bad, &ph("B AE0 D"), &t);
        assert_eq!(
            (exact.similarity, exact.mistakes.len()),
            (100, 0),
            "stress ignored"
        );

        let pad = align(&bad, &ph("P AE1 D"), &t);
        assert_eq!(pad.similarity, 90);
        assert_eq!(
            pad.mistakes,
            vec![Mistake {
                expected: Some(Phoneme::B),
                heard: Some(Phoneme::P),
                position: 0,
                kind: MistakeKind::Substitution
            }]
        );

        let omitted = align(&bad, &ph("B AE1"), &t);
        assert_eq!(omitted.similarity, 67);
        assert_eq!(omitted.mistakes[0].kind, MistakeKind::Omission);
        assert_eq!(omitted.mistakes[0].position, 2);

        let inserted = align(&bad, &ph("B AE1 D D"), &t);
        assert_eq!(inserted.similarity, 75);
        assert_eq!(inserted.mistakes[0].kind, MistakeKind::Insertion);

        assert_eq!(align(&bad, &[], &t).similarity, 0);
        assert_eq!(align(&bad, &[], &t).mistakes.len(), 3);
        assert_eq!(align(&[], &bad, &t).similarity, 0);
        assert_eq!(align(&[], &[], &t).similarity, 0);
    }

    #[test]
    fn best_over_alternates() {
        let t = table();
        let dict = Dictionary::parse("");
        let prons = [Pronunciation(ph("P AE1 D")), Pronunciation(ph("B AE1 D"))];
        assert_eq!(
            best_alignment(&dict, &prons, &ph("B AE1 D"), &t).similarity,
            100
        );
        assert_eq!(best_alignment(&dict, &[], &ph("B AE1 D"), &t).similarity, 0);
    }

    #[test]
    fn transcript_words() {
        let dict = Dictionary::parse("don't D OW1 N T\ndon't(2) D OW1 N\nbad B AE1 D\n");
        let phones = transcript_phones(&dict, "Don\u{2019}t, BAD... cat!");
        let text: Vec<String> = phones.iter().map(|p| p.to_string()).collect();
        assert_eq!(text.join(" "), "D OW1 N T B AE1 D K AE1 T");
        assert!(transcript_phones(&dict, " ' -- ").is_empty());
    }
}
