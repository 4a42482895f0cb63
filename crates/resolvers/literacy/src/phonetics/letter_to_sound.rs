//! Rule-based English spelling → phonemes, the fallback for words cmudict lacks
//! (names, invented words, typos in a transcript).
//!
//! The rules are our own ordered context rules in the spirit of the NRL report
//! (Elovitz et al., 1976), much simplified. Each rule is written
//! `left[letters]right=PHONES`: the first rule (in table order) whose `letters` match at
//! the current position and whose contexts match wins; its letters are consumed.
//! Context symbols:
//!
//! | symbol | matches |
//! |---|---|
//! | `a`..`z` | that letter |
//! | `#` | the word boundary |
//! | `V` | one vowel letter `a e i o u` |
//! | `C` | one consonant letter (anything but `a e i o u`, `y` included) |
//! | `E` | one front vowel letter `e i y` (soft c/g) |
//! | `K` | one voiceless consonant letter `p t k f c s x h` (-s, -ed endings) |
//!
//! Left contexts are written in reading order and matched backwards from the letters.
//! Stress: the first vowel gets primary stress (1), every other vowel 0.

use crate::phonetics::dictionary::{Phone, Phoneme};

/// The rule table, grouped by first letter; order matters inside a group (specific first).
const RULES: &[&str] = &[
    // --- a
    "#[a]#=AH",
    "[augh]=AO",
    "[are]#=EH R",
    "[ai]=EY",
    "[ay]=EY",
    "[au]=AO",
    "[aw]=AO",
    "[all]=AO L",
    "[alk]=AO K",
    "[ar]=AA R",
    "[a]Ce#=EY",
    "[a]Ces#=EY",
    "[a]Ced#=EY",
    "[a]Cing=EY",
    "[a]tion=EY",
    "[a]nge=EY",
    "[a]#=AH",
    "C[a]ble#=EY",
    "[a]=AE",
    // --- b
    "m[b]#=",
    "[bb]=B",
    "[b]=B",
    // --- c
    "[chr]=K R",
    "[ch]=CH",
    "[ck]=K",
    "[cc]E=K S",
    "[cc]=K",
    "[cia]=SH AH",
    "[cio]=SH AH",
    "[c]E=S",
    "[c]=K",
    // --- d
    "[dd]=D",
    "[dge]=JH",
    "[d]=D",
    // --- e
    "#C[e]#=IY",
    "#th[e]#=AH",
    "[e]#=",
    "[eau]=OW",
    "[ear]#=IH R",
    "[ee]=IY",
    "[ea]=IY",
    "[eigh]=EY",
    "[ei]=IY",
    "[ey]#=IY",
    "[ey]=EY",
    "[ew]=UW",
    "[eu]=UW",
    "[er]=ER",
    "t[ed]#=IH D",
    "d[ed]#=IH D",
    "K[ed]#=T",
    "[ed]#=D",
    "s[es]#=IH Z",
    "x[es]#=IH Z",
    "z[es]#=IH Z",
    "ch[es]#=IH Z",
    "sh[es]#=IH Z",
    "ce[s]#=IH Z",
    "[es]#=Z",
    "#C[e]Ce#=IY",
    "[e]=EH",
    // --- f
    "[ff]=F",
    "[f]=F",
    // --- g
    "#[gh]=G",
    "[gh]=",
    "[gn]#=N",
    "#[gn]=N",
    "[gg]=G",
    "[ge]#=JH",
    "[g]E=JH",
    "[g]=G",
    // --- h
    "[h]#=",
    "V[h]C=",
    "[h]=HH",
    // --- i
    "[igh]=AY",
    "#C[ie]#=AY",
    "[ie]#=IY",
    "[ie]=IY",
    "[ind]#=AY N D",
    "[ild]#=AY L D",
    "[ing]=IH NG",
    "[ir]=ER",
    "[i]Ce#=AY",
    "[i]Ces#=AY",
    "[i]Ced#=AY",
    "[i]Cing=AY",
    "[i]on=IY",
    "[i]#=IY",
    "[i]=IH",
    // --- j
    "[j]=JH",
    // --- k
    "#[kn]=N",
    "[kk]=K",
    "[k]=K",
    // --- l
    "C[le]#=AH L",
    "[ll]=L",
    "[l]=L",
    // --- m
    "[mm]=M",
    "[m]=M",
    // --- n
    "[nn]=N",
    "[ng]=NG",
    "[nk]=NG K",
    "[n]=N",
    // --- o
    "[ough]=AO",
    "[oul]d=UH",
    "[ook]=UH K",
    "[oo]=UW",
    "[ou]=AW",
    "[ow]#=OW",
    "[ow]=AW",
    "[oa]=OW",
    "[oi]=OY",
    "[oy]=OY",
    "[or]=AO R",
    "[old]=OW L D",
    "[o]Ce#=OW",
    "[o]Ces#=OW",
    "[o]Ced#=OW",
    "[o]Cing=OW",
    "[o]#=OW",
    "[o]=AA",
    // --- p
    "[ph]=F",
    "[pp]=P",
    "[p]=P",
    // --- q
    "[que]#=K",
    "[qu]=K W",
    "[q]=K",
    // --- r
    "[rr]=R",
    "[r]=R",
    // --- s
    "[sh]=SH",
    "[sure]=SH ER",
    "V[sion]=ZH AH N",
    "[sion]=SH AH N",
    "[ss]=S",
    "K[s]#=S",
    "[s]#=Z",
    "V[s]V=Z",
    "[s]=S",
    // --- t
    "[tch]=CH",
    "[tion]=SH AH N",
    "[tial]=SH AH L",
    "[ture]=CH ER",
    "[th]=TH",
    "[tt]=T",
    "[t]=T",
    // --- u
    "[ur]=ER",
    "[ue]#=UW",
    "[ui]=UW",
    "[u]Ce#=UW",
    "[u]Ces#=UW",
    "[u]Ced#=UW",
    "[u]=AH",
    // --- v
    "[v]=V",
    // --- w
    "[wh]=W",
    "#[wr]=R",
    "[w]=W",
    // --- x
    "#[x]=Z",
    "[x]=K S",
    // --- y
    "#[y]V=Y",
    "#C[y]#=AY",
    "#CC[y]#=AY",
    "[y]#=IY",
    "[y]V=Y",
    "[y]=IH",
    // --- z
    "[zz]=Z",
    "[z]=Z",
];

/// A rule split into its parts; `None` for a malformed table entry (skipped, never a panic).
struct Rule<'a> {
    left: &'a [u8],
    letters: &'a [u8],
    right: &'a [u8],
    phones: &'a str,
}

fn split_rule(rule: &str) -> Option<Rule<'_>> {
    let (pattern, phones) = rule.split_once('=')?;
    let (left, rest) = pattern.split_once('[')?;
    let (letters, right) = rest.split_once(']')?;
    if letters.is_empty() {
        return None; // would loop forever without consuming input
    }
    Some(Rule {
        left: left.as_bytes(),
        letters: letters.as_bytes(),
        right: right.as_bytes(),
        phones,
    })
}

fn is_vowel_letter(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Does one context symbol (not `#`) match letter `c`?
fn symbol_matches(sym: u8, c: u8) -> bool {
    match sym {
        b'V' => is_vowel_letter(c),
        b'C' => !is_vowel_letter(c),
        b'E' => matches!(c, b'e' | b'i' | b'y'),
        b'K' => matches!(c, b'p' | b't' | b'k' | b'f' | b'c' | b's' | b'x' | b'h'),
        lit => lit == c,
    }
}

/// Matches `pattern` forwards over `text` starting at `pos` (`#` = end of word).
fn right_matches(pattern: &[u8], text: &[u8], mut pos: usize) -> bool {
    for &sym in pattern {
        if sym == b'#' {
            if pos != text.len() {
                return false;
            }
            continue;
        }
        match text.get(pos) {
            Some(&c) if symbol_matches(sym, c) => pos += 1,
            _ => return false,
        }
    }
    true
}

/// Matches `pattern` backwards over `text` ending just before `end` (`#` = start of word).
fn left_matches(pattern: &[u8], text: &[u8], mut end: usize) -> bool {
    for &sym in pattern.iter().rev() {
        if sym == b'#' {
            if end != 0 {
                return false;
            }
            continue;
        }
        match end.checked_sub(1).and_then(|i| text.get(i)) {
            Some(&c) if symbol_matches(sym, c) => end -= 1,
            _ => return false,
        }
    }
    true
}

/// The first matching rule at `pos`: (letters consumed, phones).
fn find_rule(text: &[u8], pos: usize) -> Option<(usize, &'static str)> {
    RULES.iter().filter_map(|r| split_rule(r)).find_map(|r| {
        let end = pos + r.letters.len();
        let hit = text.get(pos..end) == Some(r.letters)
            && left_matches(r.left, text, pos)
            && right_matches(r.right, text, end);
        hit.then_some((r.letters.len(), r.phones))
    })
}

/// Guesses the pronunciation of an English spelling. Non-letters (apostrophes, digits,
/// hyphens) are ignored; letters outside a–z (accents) are skipped. Primary stress goes on
/// the first vowel, every later vowel is unstressed.
pub(crate) fn letter_to_sound(word: &str) -> Vec<Phone> {
    let text: Vec<u8> = word
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase() as u8)
        .collect();
    let mut phones = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        // Every letter a–z has a catch-all rule; the `1` fallback only guards the table.
        let (used, symbols) = find_rule(&text, pos).unwrap_or((1, ""));
        phones.extend(symbols.split_whitespace().filter_map(Phoneme::parse));
        pos += used;
    }
    assign_stress(phones)
}

/// First vowel primary (1), the others unstressed (0).
fn assign_stress(phonemes: Vec<Phoneme>) -> Vec<Phone> {
    let mut seen_vowel = false;
    phonemes
        .into_iter()
        .map(|p| {
            if p.is_vowel() {
                let stress = if seen_vowel { 0 } else { 1 };
                seen_vowel = true;
                Phone::new(p, Some(stress))
            } else {
                Phone::new(p, None)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lts(word: &str) -> String {
        letter_to_sound(word)
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn every_rule_is_well_formed() {
        for rule in RULES {
            let r = split_rule(rule).unwrap_or_else(|| panic!("malformed rule {rule}"));
            for sym in r.phones.split_whitespace() {
                assert!(Phoneme::parse(sym).is_some(), "{rule}: bad phoneme {sym}");
            }
        }
        for c in b'a'..=b'z' {
            let word = [c];
            assert!(
                find_rule(&word, 0).is_some(),
                "no catch-all for {}",
                c as char
            );
        }
    }

    #[test]
    fn digraphs_and_patterns() {
        assert_eq!(lts("cat"), "K AE1 T");
        assert_eq!(lts("ship"), "SH IH1 P");
        assert_eq!(lts("chat"), "CH AE1 T");
        assert_eq!(lts("phone"), "F OW1 N");
        assert_eq!(lts("duck"), "D AH1 K");
        assert_eq!(lts("sing"), "S IH1 NG");
        assert_eq!(lts("queen"), "K W IY1 N");
        assert_eq!(lts("make"), "M EY1 K");
        assert_eq!(lts("rain"), "R EY1 N");
        assert_eq!(lts("boat"), "B OW1 T");
        assert_eq!(lts("nation"), "N EY1 SH AH0 N");
        assert_eq!(lts("city"), "S IH1 T IY0");
        assert_eq!(lts("gem"), "JH EH1 M");
        assert_eq!(lts("knight"), "N AY1 T");
        assert_eq!(lts("wrote"), "R OW1 T");
        assert_eq!(lts("jumped"), "JH AH1 M P T");
        assert_eq!(lts("wanted"), "W AE1 N T IH0 D");
        assert_eq!(lts("table"), "T EY1 B AH0 L");
        assert_eq!(lts("Rock'n"), lts("rockn"));
    }

    #[test]
    fn odd_input_does_not_panic() {
        assert!(letter_to_sound("").is_empty());
        assert!(letter_to_sound("123 -'").is_empty());
        assert!(!letter_to_sound("ÆSIR zzz").is_empty());
    }
}
