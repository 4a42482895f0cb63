//! Property-style checks: many pseudo-random inputs, no panics, invariants hold.

use std::collections::HashSet;

use agora_extract::{
    BLANK, CardKind, cards_from_text, key_sentences, rank_sentences, readable_text, sentences,
};

/// Minimal deterministic linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const PIECES: &[&str] = &[
    "plants",
    "Photosynthesis",
    "is",
    "are",
    "was",
    "the",
    "a",
    "process",
    "light",
    "energy",
    "Jan",
    "Ingenhousz",
    "1779",
    "3.5",
    "1,000",
    "Dr.",
    "e.g.",
    "U.S.",
    "J.",
    "etc.",
    ".",
    ". ",
    "? ",
    "! ",
    ",",
    "\n",
    "\n\n",
    "- ",
    "<p>",
    "</p>",
    "<a href='x'>",
    "</a>",
    "<script>",
    "</script>",
    "<nav>",
    "&amp;",
    "&#0;",
    "<!--",
    "-->",
    "<",
    ">",
    "\"",
    "'",
    "\u{0}",
    "\u{FFFD}",
    "é",
    "ß",
    "İ",
    "日本語",
    "🙂",
    "\u{200B}",
    "\t",
    "refers to",
    "means",
    "was founded in",
    "began in",
    "(",
    ")",
    "_____",
    "…",
];

fn random_text(rng: &mut Lcg) -> String {
    let len = rng.below(120);
    let mut text = String::new();
    for _ in 0..len {
        if rng.below(60) == 0 {
            // A very long token, to exercise the length caps.
            text.push_str(&"long".repeat(rng.below(150)));
        } else if rng.below(10) == 0 {
            // Raw random code point, including control characters.
            if let Some(c) = char::from_u32((rng.next() % 0x3_0000) as u32) {
                text.push(c);
            }
        } else {
            text.push_str(rng.pick(PIECES));
        }
        if rng.below(3) != 0 {
            text.push(' ');
        }
    }
    text
}

#[test]
fn random_inputs_never_panic_and_cards_respect_invariants() {
    let mut rng = Lcg(0x5eed);
    let mut cards_seen = 0;
    for round in 0..1500 {
        let text = random_text(&mut rng);
        let readable = readable_text(&text);
        assert!(!readable.text.contains("\n\n\n"), "round {round}");

        let split = sentences(&text);
        assert!(split.iter().all(|s| !s.trim().is_empty() && s.trim() == s));
        let scores = rank_sentences(&split);
        assert_eq!(scores.len(), split.len());
        assert!(scores.iter().all(|s| s.is_finite() && *s >= 0.0));
        if !scores.is_empty() {
            let sum: f64 = scores.iter().sum();
            assert!((sum - 1.0).abs() < 1e-6, "round {round}: sum {sum}");
        }
        let keys = key_sentences(&text, 3);
        assert!(keys.len() <= 3);
        assert!(keys.windows(2).all(|k| k[0].index < k[1].index));

        let max_cards = rng.below(8);
        let cards = cards_from_text(&text, max_cards);
        assert!(cards.len() <= max_cards.min(5), "round {round}");
        let mut fronts = HashSet::new();
        for card in &cards {
            assert!(!card.front.trim().is_empty(), "round {round}: {card:?}");
            assert!(!card.back.trim().is_empty(), "round {round}: {card:?}");
            assert!(card.front.chars().count() <= 500, "round {round}");
            assert!(card.back.chars().count() <= 200, "round {round}");
            assert_ne!(card.front.to_lowercase(), card.back.to_lowercase());
            assert!(
                fronts.insert(card.front.clone()),
                "duplicate front in round {round}"
            );
            if card.kind == CardKind::Cloze {
                assert!(card.front.contains(BLANK), "round {round}: {card:?}");
                assert!(
                    card.source_sentence.contains(&card.back),
                    "round {round}: {card:?}"
                );
            }
        }
        cards_seen += cards.len();
    }
    // The generator is meant to exercise card building, not only rejection paths.
    assert!(cards_seen > 50, "only {cards_seen} cards generated");
}

#[test]
fn random_html_documents_never_panic() {
    let mut rng = Lcg(42);
    let tags = [
        "div", "p", "article", "main", "nav", "li", "ul", "table", "td", "pre", "a", "svg",
        "template", "title", "h1", "script", "style", "aside", "span", "br",
    ];
    for _ in 0..500 {
        let mut html = String::new();
        for _ in 0..rng.below(80) {
            let tag = rng.pick(&tags);
            match rng.below(4) {
                0 => html.push_str(&format!("<{tag} class=\"x{}\">", rng.below(5))),
                1 => html.push_str(&format!("</{tag}>")),
                2 => html.push_str(&random_text(&mut rng)),
                _ => html.push_str("Plants use light energy to make sugar. "),
            }
        }
        let readable = readable_text(&html);
        let _ = cards_from_text(&readable.text, 5);
        if let Some(title) = readable.title {
            assert!(!title.is_empty() && title.trim() == title);
        }
    }
}
