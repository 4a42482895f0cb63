//! Syllables: counting, splitting a pronunciation, and splitting a spelling for display.
//!
//! * Sounds: every vowel phoneme is one syllable nucleus; consonants between two nuclei are
//!   split by the maximal onset principle (the next syllable takes the longest legal English
//!   onset, e.g. `EH K . S T R AH` in "extra").
//! * Spelling: a classroom heuristic on vowel-letter groups (see [`split_spelling`]).

use crate::phonetics::dictionary::Phone;
#[cfg(test)]
use crate::phonetics::dictionary::Phoneme;

/// Number of syllables = number of vowel phonemes (nuclei).
pub(crate) fn syllable_count(p: &[Phone]) -> usize {
    p.iter().filter(|ph| ph.phoneme.is_vowel()).count()
}

/// Splits phones into syllables (maximal onset principle with legal English onsets).
/// A sequence without vowels is one chunk; an empty input gives no chunk.
#[cfg(test)]
pub(crate) fn split_phones(p: &[Phone]) -> Vec<Vec<Phone>> {
    let nuclei: Vec<usize> = (0..p.len()).filter(|&i| p[i].phoneme.is_vowel()).collect();
    if nuclei.len() < 2 {
        return if p.is_empty() {
            Vec::new()
        } else {
            vec![p.to_vec()]
        };
    }
    let mut starts = vec![0];
    for pair in nuclei.windows(2) {
        let cluster = &p[pair[0] + 1..pair[1]];
        starts.push(pair[1] - longest_onset(cluster));
    }
    starts.push(p.len());
    starts.windows(2).map(|w| p[w[0]..w[1]].to_vec()).collect()
}

/// Length of the longest suffix of `cluster` that is a legal English onset.
#[cfg(test)]
fn longest_onset(cluster: &[Phone]) -> usize {
    let phonemes: Vec<Phoneme> = cluster.iter().map(|p| p.phoneme).collect();
    (0..=phonemes.len().min(3))
        .rev()
        .find(|&n| is_legal_onset(&phonemes[phonemes.len() - n..]))
        .unwrap_or(0)
}

/// English onsets (General American), from the usual phonotactics tables.
#[cfg(test)]
fn is_legal_onset(onset: &[Phoneme]) -> bool {
    use Phoneme::*;
    match onset {
        [] => true,
        // NG never starts an English syllable.
        [c] => !c.is_vowel() && *c != NG,
        [a, b] => matches!(
            (a, b),
            (P | B | K | G | F, R | L)
                | (T | D | TH | SH, R)
                | (T | D | K | G | S | TH, W)
                | (S, P | T | K | M | N | L | F)
                | (P | B | K | G | F | V | M | HH, Y)
        ),
        [S, b, c] => matches!((b, c), (P, R | L | Y) | (T, R) | (K, R | W | Y)),
        _ => false,
    }
}

/// Splits a written word into `syllables` chunks when the heuristic can (e.g. "water" →
/// `["wa", "ter"]`, "together" → `["to", "geth", "er"]`); a one-syllable request returns
/// the word itself. If the vowel groups cannot be made to match the count, the best
/// heuristic split is returned (possibly with a different number of chunks).
///
/// Rules, in order:
/// * vowel letters `a e i o u` (and `y` after a consonant) form groups, one per syllable;
/// * a final silent `e` is not a group (it stays in the last chunk), but consonant + `le`
///   is ("ta-ble", "lit-tle");
/// * VCV splits V-CV ("wa-ter"), except after a word-initial vowel in words of three or
///   more syllables ("el-e-phant"), and `x` which stays left ("tax-i");
/// * a digraph `ch ck sh th ng` stays left ("geth-er", "rock-et"), `ph wh` go right
///   ("e-phant");
/// * VCCV splits VC-CV ("bas-ket", "rab-bit") unless the CC is a blend with `r`/`l`
///   ("se-cret"); longer clusters keep a final r/l blend right ("chil-dren") and otherwise
///   split after the first consonant ("mon-ster").
pub(crate) fn split_spelling(word: &str, syllables: usize) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    if syllables <= 1 || chars.is_empty() {
        return vec![word.to_owned()];
    }
    let lower: Vec<char> = chars.iter().map(|c| c.to_ascii_lowercase()).collect();
    let mut groups = vowel_groups(&lower);
    fit_groups(&mut groups, &lower, syllables);
    let mut cuts: Vec<usize> = groups
        .windows(2)
        .map(|w| cut_between(&lower, w[0], w[1], groups.len()))
        .collect();
    cuts.insert(0, 0);
    cuts.push(chars.len());
    cuts.windows(2)
        .map(|w| chars[w[0]..w[1]].iter().collect())
        .filter(|s: &String| !s.is_empty())
        .collect()
}

/// A vowel group as a half-open range of letter indices.
type Group = (usize, usize);

fn is_vowel_at(w: &[char], i: usize) -> bool {
    match w[i] {
        'a' | 'e' | 'i' | 'o' | 'u' => true,
        // y is a vowel after a consonant (gym, happy), a consonant at the start (yellow)
        // and part of a vowel team after a vowel (day, boy).
        'y' => i > 0 && !matches!(w[i - 1], 'a' | 'e' | 'o' | 'u'),
        _ => false,
    }
}

/// Maximal runs of vowel letters, minus a silent final `e` (consonant + `le` keeps its `e`).
fn vowel_groups(w: &[char]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for i in 0..w.len() {
        if !is_vowel_at(w, i) {
            continue;
        }
        match groups.last_mut() {
            Some(g) if g.1 == i => g.1 = i + 1,
            _ => groups.push((i, i + 1)),
        }
    }
    let n = w.len();
    if groups.len() > 1
        && let Some(&(s, e)) = groups.last()
        && e == n
        && s == n - 1
        && w[s] == 'e'
        && !ends_consonant_le(w)
    {
        groups.pop();
    }
    groups
}

/// "table", "little": consonant + le at the end (the `le` is a syllable of its own).
fn ends_consonant_le(w: &[char]) -> bool {
    let n = w.len();
    n >= 3 && w[n - 2] == 'l' && w[n - 1] == 'e' && !is_vowel_at(w, n - 3)
}

/// Makes the number of groups equal to `target` when possible.
fn fit_groups(groups: &mut Vec<Group>, w: &[char], target: usize) {
    // Too many: first drop a silent-looking final "-es"/"-ed" e (jumped, makes), then merge
    // the two closest groups (fewest letters between them) until the count fits.
    if groups.len() > target
        && let Some(&(s, e)) = groups.last()
        && e - s == 1
        && w[s] == 'e'
        && e + 1 == w.len()
        && matches!(w[e], 's' | 'd')
    {
        groups.pop();
    }
    while groups.len() > target && groups.len() >= 2 {
        let k = (0..groups.len() - 1)
            .min_by_key(|&k| groups[k + 1].0 - groups[k].1)
            .unwrap_or(0);
        groups[k].1 = groups[k + 1].1;
        groups.remove(k + 1);
    }
    // Too few: split the longest multi-letter group (hiatus, as in "li-on", "po-em").
    while groups.len() < target {
        let Some(k) = (0..groups.len())
            .filter(|&k| groups[k].1 - groups[k].0 >= 2)
            .max_by_key(|&k| groups[k].1 - groups[k].0)
        else {
            return;
        };
        let (s, e) = groups[k];
        groups[k] = (s, s + 1);
        groups.insert(k + 1, (s + 1, e));
    }
}

const LEFT_DIGRAPHS: [&str; 5] = ["ch", "ck", "sh", "th", "ng"];
const RIGHT_DIGRAPHS: [&str; 2] = ["ph", "wh"];
const RL_BLENDS: [&str; 13] = [
    "bl", "br", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl", "pr", "tr", "wr",
];

/// True when the letters `cons` spell one of `list`.
fn spells_one_of(cons: &[char], list: &[&str]) -> bool {
    list.iter().any(|d| d.chars().eq(cons.iter().copied()))
}

/// The index where the chunk of group `b` starts (letters between `a` and `b` are consonants).
fn cut_between(w: &[char], a: Group, b: Group, total_groups: usize) -> usize {
    let cons = &w[a.1..b.0];
    let start = a.1;
    // Consonant + le at the end: the consonant opens the last chunk (ta-ble, lit-tle),
    // unless it closes a ck digraph (pick-le).
    if b.1 == w.len() && ends_consonant_le(w) && b.0 == w.len() - 1 && !cons.is_empty() {
        let c_pos = b.0 - 2;
        if c_pos >= start {
            let ck = c_pos > 0 && w[c_pos - 1] == 'c' && w[c_pos] == 'k';
            return if ck { c_pos + 1 } else { c_pos };
        }
    }
    match cons.len() {
        0 => start,
        1 => {
            let initial_vowel = a.0 == 0 && a.1 == 1;
            if cons[0] == 'x' || (initial_vowel && total_groups >= 3) {
                start + 1
            } else {
                start
            }
        }
        2 if spells_one_of(cons, &LEFT_DIGRAPHS) => start + 2,
        2 if spells_one_of(cons, &RIGHT_DIGRAPHS) || spells_one_of(cons, &RL_BLENDS) => start,
        2 => start + 1,
        _ => cut_cluster(cons, start),
    }
}

/// Three or more consonants between two vowel groups.
fn cut_cluster(cons: &[char], start: usize) -> usize {
    let n = cons.len();
    let tail2 = &cons[n - 2..];
    if spells_one_of(tail2, &RL_BLENDS) || spells_one_of(tail2, &RIGHT_DIGRAPHS) {
        // "chil-dren", "hun-dred", "dol-phin".
        return start + n - 2;
    }
    if spells_one_of(&cons[..2], &LEFT_DIGRAPHS) {
        return start + 2;
    }
    start + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phones(s: &str) -> Vec<Phone> {
        s.split_whitespace().filter_map(Phone::parse).collect()
    }

    fn split(s: &str) -> String {
        split_phones(&phones(s))
            .iter()
            .map(|syl| {
                syl.iter()
                    .map(|p| p.phoneme.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join(" . ")
    }

    #[test]
    fn counts_nuclei() {
        assert_eq!(syllable_count(&phones("EH1 L AH0 F AH0 N T")), 3);
        assert_eq!(syllable_count(&phones("HH M")), 0);
        assert_eq!(syllable_count(&[]), 0);
    }

    #[test]
    fn maximal_onset() {
        assert_eq!(split("EH1 K S T R AH0"), "EH K . S T R AH");
        assert_eq!(split("EH1 L AH0 F AH0 N T"), "EH . L AH . F AH N T");
        // Strict maximal onset: /sk/ is a legal onset, so it goes right.
        assert_eq!(split("B AE1 S K AH0 T"), "B AE . S K AH T");
        assert_eq!(split("S IH1 NG ER0"), "S IH NG . ER");
        assert_eq!(split("AE1 T L AH0 S"), "AE T . L AH S");
        assert_eq!(split("K AE1 T"), "K AE T");
        assert_eq!(split("HH M"), "HH M");
        assert!(split_phones(&[]).is_empty());
    }

    fn spell(word: &str, n: usize) -> String {
        split_spelling(word, n).join("-")
    }

    #[test]
    fn spelling_splits_from_the_brief() {
        assert_eq!(spell("water", 2), "wa-ter");
        assert_eq!(spell("little", 2), "lit-tle");
        assert_eq!(spell("because", 2), "be-cause");
        assert_eq!(spell("yellow", 2), "yel-low");
        assert_eq!(spell("together", 3), "to-geth-er");
        assert_eq!(spell("rabbit", 2), "rab-bit");
        assert_eq!(spell("table", 2), "ta-ble");
        assert_eq!(spell("basket", 2), "bas-ket");
        assert_eq!(spell("elephant", 3), "el-e-phant");
    }

    #[test]
    fn spelling_more_cases() {
        assert_eq!(spell("cat", 1), "cat");
        assert_eq!(spell("make", 1), "make");
        assert_eq!(spell("children", 2), "chil-dren");
        assert_eq!(spell("rocket", 2), "rock-et");
        assert_eq!(spell("pickle", 2), "pick-le");
        assert_eq!(spell("lion", 2), "li-on");
        assert_eq!(spell("happy", 2), "hap-py");
        assert_eq!(spell("wanted", 2), "wan-ted");
        assert_eq!(split_spelling("naïve", 2).concat(), "naïve");
        assert_eq!(spell("jumped", 1), "jumped");
        assert_eq!(spell("Secret", 2), "Se-cret");
        assert_eq!(spell("", 3), "");
        assert_eq!(spell("xyz", 3), "xyz");
        assert_eq!(split_spelling("beautiful", 3).len(), 3);
    }
}
