//! The CMU Pronouncing Dictionary (cmusphinx format) and the 39 ARPAbet phonemes.
//!
//! Format: one entry per line, `word PH1 PH2 ...`; vowels carry a stress digit
//! (0 unstressed, 1 primary, 2 secondary); alternates are written `word(2) ...`;
//! a few lines end in an inline `# comment`.

use std::collections::HashMap;
use std::fmt;

/// One of the 39 ARPAbet phonemes used by cmudict (stress is kept separately in [`Phone`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Phoneme {
    /// /ɑ/ as in "hot".
    AA,
    /// /æ/ as in "cat".
    AE,
    /// /ʌ / ə/ as in "cup, about".
    AH,
    /// /ɔ/ as in "saw".
    AO,
    /// /aʊ/ as in "cow".
    AW,
    /// /aɪ/ as in "my".
    AY,
    /// /b/ as in "bat".
    B,
    /// /tʃ/ as in "chin".
    CH,
    /// /d/ as in "dog".
    D,
    /// /ð/ as in "this".
    DH,
    /// /ɛ/ as in "bed".
    EH,
    /// /ɝ / ɚ/ as in "her, butter".
    ER,
    /// /eɪ/ as in "day".
    EY,
    /// /f/ as in "fish".
    F,
    /// /ɡ/ as in "go".
    G,
    /// /h/ as in "hat".
    HH,
    /// /ɪ/ as in "sit".
    IH,
    /// /i/ as in "see".
    IY,
    /// /dʒ/ as in "jam".
    JH,
    /// /k/ as in "cat".
    K,
    /// /l/ as in "leg".
    L,
    /// /m/ as in "man".
    M,
    /// /n/ as in "no".
    N,
    /// /ŋ/ as in "sing".
    NG,
    /// /oʊ/ as in "go".
    OW,
    /// /ɔɪ/ as in "boy".
    OY,
    /// /p/ as in "pig".
    P,
    /// /ɹ/ as in "red".
    R,
    /// /s/ as in "sun".
    S,
    /// /ʃ/ as in "ship".
    SH,
    /// /t/ as in "top".
    T,
    /// /θ/ as in "thin".
    TH,
    /// /ʊ/ as in "book".
    UH,
    /// /u/ as in "moon".
    UW,
    /// /v/ as in "van".
    V,
    /// /w/ as in "wet".
    W,
    /// /j/ as in "yes".
    Y,
    /// /z/ as in "zoo".
    Z,
    /// /ʒ/ as in "vision".
    ZH,
}

impl Phoneme {
    /// All 39 phonemes, in ARPAbet alphabetical order (the order of `phonemes.tsv`).
    pub(crate) const ALL: [Phoneme; 39] = {
        use Phoneme::*;
        [
            AA, AE, AH, AO, AW, AY, B, CH, D, DH, EH, ER, EY, F, G, HH, IH, IY, JH, K, L, M, N, NG,
            OW, OY, P, R, S, SH, T, TH, UH, UW, V, W, Y, Z, ZH,
        ]
    };

    /// The ARPAbet symbol, e.g. `"AE"`.
    pub(crate) fn as_str(self) -> &'static str {
        // Table lookup keeps the two directions (as_str / parse) in one place.
        SYMBOLS[self as usize].0
    }

    /// The General American IPA symbol (stressed form for AH /ʌ/ and ER /ɝ/, as in `phonemes.tsv`).
    pub(crate) fn ipa(self) -> &'static str {
        SYMBOLS[self as usize].1
    }

    /// Parses an ARPAbet symbol without stress digit (`"AE"`, case-insensitive).
    pub(crate) fn parse(symbol: &str) -> Option<Phoneme> {
        // A byte match compiles to a few integer compares: this is the hot spot of loading
        // cmudict (~800k tokens), where a table scan or string binary search cost ~30% of it.
        match Self::parse_upper(symbol.as_bytes()) {
            Some(p) => Some(p),
            None if symbol.len() <= 2 => Self::parse_upper(symbol.to_ascii_uppercase().as_bytes()),
            None => None,
        }
    }

    fn parse_upper(symbol: &[u8]) -> Option<Phoneme> {
        use Phoneme::*;
        Some(match symbol {
            b"AA" => AA,
            b"AE" => AE,
            b"AH" => AH,
            b"AO" => AO,
            b"AW" => AW,
            b"AY" => AY,
            b"B" => B,
            b"CH" => CH,
            b"D" => D,
            b"DH" => DH,
            b"EH" => EH,
            b"ER" => ER,
            b"EY" => EY,
            b"F" => F,
            b"G" => G,
            b"HH" => HH,
            b"IH" => IH,
            b"IY" => IY,
            b"JH" => JH,
            b"K" => K,
            b"L" => L,
            b"M" => M,
            b"N" => N,
            b"NG" => NG,
            b"OW" => OW,
            b"OY" => OY,
            b"P" => P,
            b"R" => R,
            b"S" => S,
            b"SH" => SH,
            b"T" => T,
            b"TH" => TH,
            b"UH" => UH,
            b"UW" => UW,
            b"V" => V,
            b"W" => W,
            b"Y" => Y,
            b"Z" => Z,
            b"ZH" => ZH,
            _ => return None,
        })
    }

    /// True for the 15 vowels (the phonemes that carry a stress digit in cmudict).
    pub(crate) fn is_vowel(self) -> bool {
        use Phoneme::*;
        matches!(
            self,
            AA | AE | AH | AO | AW | AY | EH | ER | EY | IH | IY | OW | OY | UH | UW
        )
    }
}

impl fmt::Display for Phoneme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// (ARPAbet, IPA), indexed by `Phoneme as usize`.
const SYMBOLS: [(&str, &str); 39] = [
    ("AA", "ɑ"),
    ("AE", "æ"),
    ("AH", "ʌ"),
    ("AO", "ɔ"),
    ("AW", "aʊ"),
    ("AY", "aɪ"),
    ("B", "b"),
    ("CH", "tʃ"),
    ("D", "d"),
    ("DH", "ð"),
    ("EH", "ɛ"),
    ("ER", "ɝ"),
    ("EY", "eɪ"),
    ("F", "f"),
    ("G", "ɡ"),
    ("HH", "h"),
    ("IH", "ɪ"),
    ("IY", "i"),
    ("JH", "dʒ"),
    ("K", "k"),
    ("L", "l"),
    ("M", "m"),
    ("N", "n"),
    ("NG", "ŋ"),
    ("OW", "oʊ"),
    ("OY", "ɔɪ"),
    ("P", "p"),
    ("R", "ɹ"),
    ("S", "s"),
    ("SH", "ʃ"),
    ("T", "t"),
    ("TH", "θ"),
    ("UH", "ʊ"),
    ("UW", "u"),
    ("V", "v"),
    ("W", "w"),
    ("Y", "j"),
    ("Z", "z"),
    ("ZH", "ʒ"),
];

/// A phoneme with its cmudict stress (`Some(0..=2)` on vowels, `None` on consonants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Phone {
    /// The phoneme.
    pub(crate) phoneme: Phoneme,
    /// Stress digit for vowels: 0 unstressed, 1 primary, 2 secondary; `None` for consonants.
    pub(crate) stress: Option<u8>,
}

impl Phone {
    /// Builds a phone; the stress is dropped for consonants (it has no meaning there).
    pub(crate) fn new(phoneme: Phoneme, stress: Option<u8>) -> Phone {
        let stress = if phoneme.is_vowel() { stress } else { None };
        Phone { phoneme, stress }
    }

    /// Parses a cmudict token such as `AE1` or `K`.
    pub(crate) fn parse(token: &str) -> Option<Phone> {
        let (symbol, stress) = match token.as_bytes().last() {
            Some(d @ b'0'..=b'2') => (&token[..token.len() - 1], Some(d - b'0')),
            _ => (token, None),
        };
        Phoneme::parse(symbol).map(|p| Phone::new(p, stress))
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stress {
            Some(s) => write!(f, "{}{}", self.phoneme, s),
            None => write!(f, "{}", self.phoneme),
        }
    }
}

/// One pronunciation of a word: its phones in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub(crate) struct Pronunciation(pub Vec<Phone>);

impl Pronunciation {
    /// The phones as a slice.
    pub(crate) fn phones(&self) -> &[Phone] {
        &self.0
    }
}

impl fmt::Display for Pronunciation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Word → pronunciations (every alternate, in file order). Keys are lowercase.
#[derive(Clone, Debug, Default)]
pub(crate) struct Dictionary {
    entries: HashMap<String, Vec<Pronunciation>>,
}

impl Dictionary {
    /// Parses cmudict text. Malformed lines (unknown phoneme, no phones) are skipped rather
    /// than failing the whole file, so one bad line cannot take the feature down.
    pub(crate) fn parse(text: &str) -> Dictionary {
        // ~126k distinct words in cmudict 1.1.3: reserving avoids rehashing while loading.
        let mut entries: HashMap<String, Vec<Pronunciation>> =
            HashMap::with_capacity(text.len() / 28);
        for line in text.lines() {
            if let Some((word, pron)) = parse_line(line) {
                // get_mut first: alternates must not allocate a second key String.
                match entries.get_mut(word.as_str()) {
                    Some(prons) => prons.push(pron),
                    None => {
                        entries.insert(word, vec![pron]);
                    }
                }
            }
        }
        Dictionary { entries }
    }

    /// All pronunciations of `word`, first one first (case-insensitive; typographic
    /// apostrophes ’ are read as `'`, so "Don’t" finds cmudict's `don't`).
    pub(crate) fn lookup(&self, word: &str) -> Option<&[Pronunciation]> {
        let key = normalize_word(word);
        if let Some(p) = self.entries.get(&key) {
            return Some(p);
        }
        // Quotes around a word ("'hello'") are punctuation, not part of it; cmudict does have
        // words with a leading apostrophe ('cause), which the exact try above catches first.
        let trimmed = key.trim_matches('\'');
        if trimmed.len() != key.len() {
            return self.entries.get(trimmed).map(Vec::as_slice);
        }
        None
    }

    /// Number of distinct words.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Lowercases and maps typographic apostrophes to the ASCII one cmudict uses.
fn normalize_word(word: &str) -> String {
    word.trim()
        .chars()
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' | '\u{02BC}' => '\'',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Parses `word(2) PH1 PH2 # comment` into (lowercase word, pronunciation).
fn parse_line(line: &str) -> Option<(String, Pronunciation)> {
    // Inline comments: everything after '#'. No cmudict word contains '#'.
    let line = line.split('#').next().unwrap_or("");
    let mut tokens = line.split_whitespace();
    let head = tokens.next()?;
    if head.starts_with(";;;") {
        return None; // old-style cmudict header comments
    }
    let word = strip_variant(head);
    let phones: Option<Vec<Phone>> = tokens.map(Phone::parse).collect();
    let phones = phones.filter(|p| !p.is_empty())?;
    let word = if word.bytes().any(|b| b.is_ascii_uppercase()) {
        word.to_lowercase()
    } else {
        word.to_owned()
    };
    Some((word, Pronunciation(phones)))
}

/// `word(2)` → `word`; anything else unchanged.
fn strip_variant(head: &str) -> &str {
    if let Some(open) = head.rfind('(')
        && head.ends_with(')')
        && head[open + 1..head.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_digit())
        && open > 0
    {
        return &head[..open];
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
a AH0
a(2) EY1
aalborg AO1 L B AO0 R G # place, danish
don't D OW1 N T
don't(2) D OW1 N
'cause K AH0 Z
hmm HH M
bogus XX1 Q
";

    #[test]
    fn phoneme_round_trip() {
        for p in Phoneme::ALL {
            assert_eq!(Phoneme::parse(p.as_str()), Some(p));
        }
        assert_eq!(Phoneme::parse("ae"), Some(Phoneme::AE));
        assert_eq!(Phoneme::parse("AX"), None);
        assert_eq!(Phoneme::ALL.iter().filter(|p| p.is_vowel()).count(), 15);
    }

    #[test]
    fn phone_parse() {
        assert_eq!(Phone::parse("AE1"), Some(Phone::new(Phoneme::AE, Some(1))));
        assert_eq!(Phone::parse("K"), Some(Phone::new(Phoneme::K, None)));
        assert_eq!(Phone::parse("K1").map(|p| p.stress), Some(None));
        assert_eq!(Phone::parse("AE7"), None);
        assert_eq!(Phone::parse(""), None);
    }

    #[test]
    fn parse_and_lookup() {
        let d = Dictionary::parse(SAMPLE);
        assert_eq!(d.len(), 5, "bogus line skipped");
        let a = d.lookup("A").unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].to_string(), "EY1");
        assert_eq!(
            d.lookup("aalborg").unwrap()[0].0.len(),
            6,
            "comment stripped"
        );
        assert_eq!(d.lookup("Don\u{2019}t").unwrap().len(), 2);
        assert_eq!(d.lookup("don't").unwrap()[0].to_string(), "D OW1 N T");
        assert!(d.lookup("'cause").is_some());
        assert!(d.lookup("'hmm'").is_some(), "surrounding quotes ignored");
        assert!(d.lookup("bogus").is_none());
        assert!(d.lookup("").is_none());
    }

    #[test]
    fn strip_variant_cases() {
        assert_eq!(strip_variant("word(2)"), "word");
        assert_eq!(strip_variant("word"), "word");
        assert_eq!(strip_variant("(2)"), "(2)");
        assert_eq!(strip_variant("w(x)"), "w(x)");
    }
}
