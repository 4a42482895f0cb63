//! One short, concrete and kind tip for the most important mistake of a reading.
//!
//! Priority (the first kind present wins; within a kind, the earliest in the word):
//! 1. a known dyslexic letter confusion (b/d, p/q, m/w, n/u) seen as its sounds;
//! 2. a voicing slip (/b/ for /p/...): "feel your throat";
//! 3. any other substitution;
//! 4. an omission;
//! 5. an insertion.

use crate::phonetics::align::{Mistake, MistakeKind};
use crate::phonetics::dictionary::Phoneme;

/// A tip for the most important mistake, or `None` when there is none.
pub(crate) fn tip(mistakes: &[Mistake]) -> Option<String> {
    let ranked = |rank: fn(&Mistake) -> Option<String>| mistakes.iter().find_map(rank);
    ranked(letter_confusion)
        .or_else(|| ranked(voicing_slip))
        .or_else(|| ranked(other_substitution))
        .or_else(|| ranked(omission))
        .or_else(|| ranked(insertion))
}

/// (sound a, sound b, tip): letters that look alike mapped to the sounds they spell.
const CONFUSIONS: &[(Phoneme, Phoneme, &str)] = &[
    (
        Phoneme::B,
        Phoneme::D,
        "b and d look alike: for b the bat comes first, then the ball; for d the drum comes first, then the stick.",
    ),
    (
        Phoneme::B,
        Phoneme::P,
        "b and p are flipped twins: b has its ball at the bottom and buzzes in your throat, p has it at the top and just pops.",
    ),
    (
        Phoneme::P,
        Phoneme::K,
        "p and q are mirror twins: p says /p/ with your lips, q always comes with u and says /kw/ at the back of your mouth.",
    ),
    (
        Phoneme::M,
        Phoneme::W,
        "m and w are upside-down twins: m has two humps and hums with closed lips, w opens wide and says /w/ with round lips.",
    ),
    (
        Phoneme::N,
        Phoneme::AH,
        "n and u are upside-down twins: n has one hump and says /n/, u is a cup and says /ʌ/ as in up.",
    ),
    (
        Phoneme::N,
        Phoneme::UW,
        "n and u are upside-down twins: n has one hump and says /n/, u is a cup and can say /u/ as in flute.",
    ),
];

fn letter_confusion(m: &Mistake) -> Option<String> {
    let (e, h) = substituted(m)?;
    CONFUSIONS
        .iter()
        .find(|(a, b, _)| (*a == e && *b == h) || (*a == h && *b == e))
        .map(|(_, _, text)| (*text).to_owned())
}

/// Voiced/voiceless pairs with the same place and manner.
const VOICING_PAIRS: &[(Phoneme, Phoneme)] = &[
    (Phoneme::B, Phoneme::P),
    (Phoneme::D, Phoneme::T),
    (Phoneme::G, Phoneme::K),
    (Phoneme::V, Phoneme::F),
    (Phoneme::DH, Phoneme::TH),
    (Phoneme::Z, Phoneme::S),
    (Phoneme::ZH, Phoneme::SH),
    (Phoneme::JH, Phoneme::CH),
];

fn voicing_slip(m: &Mistake) -> Option<String> {
    let (e, h) = substituted(m)?;
    let (voiced, voiceless) = VOICING_PAIRS
        .iter()
        .find(|(v, u)| (*v == e && *u == h) || (*v == h && *u == e))?;
    Some(format!(
        "Feel your throat: /{}/ buzzes, /{}/ does not. This word needs /{}/.",
        voiced.ipa(),
        voiceless.ipa(),
        e.ipa()
    ))
}

fn other_substitution(m: &Mistake) -> Option<String> {
    let (e, h) = substituted(m)?;
    Some(format!(
        "Nearly! The word has {}, you said {}: listen for {} and try again.",
        named(e),
        named(h),
        slashed(e)
    ))
}

fn omission(m: &Mistake) -> Option<String> {
    if m.kind != MistakeKind::Omission {
        return None;
    }
    let e = m.expected?;
    Some(format!(
        "You skipped {} {}: say the word slowly, one sound at a time.",
        named(e),
        where_in_word(m.position)
    ))
}

fn insertion(m: &Mistake) -> Option<String> {
    if m.kind != MistakeKind::Insertion {
        return None;
    }
    let h = m.heard?;
    Some(format!(
        "You added an extra {} sound: look at the letters again, this word does not have it there.",
        slashed(h)
    ))
}

/// (expected, heard) of a substitution.
fn substituted(m: &Mistake) -> Option<(Phoneme, Phoneme)> {
    match (m.kind, m.expected, m.heard) {
        (MistakeKind::Substitution, Some(e), Some(h)) if e != h => Some((e, h)),
        _ => None,
    }
}

fn slashed(p: Phoneme) -> String {
    format!("/{}/", p.ipa())
}

/// "the /æ/ sound (as in cat)" for vowels, whose IPA is least familiar; "the /t/ sound" else.
fn named(p: Phoneme) -> String {
    match example_word(p) {
        Some(w) => format!("the {} sound (as in {w})", slashed(p)),
        None => format!("the {} sound", slashed(p)),
    }
}

fn example_word(p: Phoneme) -> Option<&'static str> {
    use Phoneme::*;
    Some(match p {
        AA => "hot",
        AE => "cat",
        AH => "cup",
        AO => "saw",
        AW => "cow",
        AY => "my",
        EH => "bed",
        ER => "her",
        EY => "day",
        IH => "sit",
        IY => "see",
        OW => "go",
        OY => "boy",
        UH => "book",
        UW => "moon",
        _ => return None,
    })
}

/// Positions are counted in sounds; "first" is the clearest place to name.
fn where_in_word(position: usize) -> String {
    match position {
        0 => "at the start".to_owned(),
        n => format!("(sound {} of the word)", n + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(e: Phoneme, h: Phoneme, position: usize) -> Mistake {
        Mistake {
            expected: Some(e),
            heard: Some(h),
            position,
            kind: MistakeKind::Substitution,
        }
    }

    #[test]
    fn none_without_mistakes() {
        assert_eq!(tip(&[]), None);
    }

    #[test]
    fn b_d_reversal() {
        let t = tip(&[sub(Phoneme::B, Phoneme::D, 0)]).unwrap_or_default();
        assert!(t.starts_with("b and d look alike"), "{t}");
    }

    #[test]
    fn voicing_pair() {
        let t = tip(&[sub(Phoneme::T, Phoneme::D, 2)]).unwrap_or_default();
        assert_eq!(
            t,
            "Feel your throat: /d/ buzzes, /t/ does not. This word needs /t/."
        );
    }

    #[test]
    fn confusion_beats_earlier_plain_mistake() {
        let omit = Mistake {
            expected: Some(Phoneme::T),
            heard: None,
            position: 0,
            kind: MistakeKind::Omission,
        };
        let t = tip(&[omit, sub(Phoneme::M, Phoneme::W, 2)]).unwrap_or_default();
        assert!(t.starts_with("m and w"), "{t}");
        let t = tip(&[omit]).unwrap_or_default();
        assert_eq!(
            t,
            "You skipped the /t/ sound at the start: say the word slowly, one sound at a time."
        );
    }

    #[test]
    fn generic_and_insertion() {
        let t = tip(&[sub(Phoneme::AE, Phoneme::AH, 1)]).unwrap_or_default();
        assert_eq!(
            t,
            "Nearly! The word has the /æ/ sound (as in cat), you said the /ʌ/ sound (as in cup): \
             listen for /æ/ and try again."
        );
        let ins = Mistake {
            expected: None,
            heard: Some(Phoneme::S),
            position: 3,
            kind: MistakeKind::Insertion,
        };
        assert!(
            tip(&[ins])
                .unwrap_or_default()
                .starts_with("You added an extra /s/ sound")
        );
    }
}
