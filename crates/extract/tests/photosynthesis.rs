//! End-to-end behaviour on a realistic paragraph: ranking, key sentences and cards.

use std::collections::HashSet;

use agora_extract::{
    BLANK, CardKind, METHOD, cards_from_text, key_sentences, rank_sentences, sentences,
};

/// Eleven sentences about photosynthesis with one off-topic sentence about football.
const PHOTOSYNTHESIS: &str = "Photosynthesis is the process by which green plants, algae and some \
bacteria convert light energy into chemical energy stored in glucose. During photosynthesis, \
plants absorb carbon dioxide from the air and water from the soil through their roots. The light \
energy is captured by chlorophyll, a green pigment found in the chloroplasts of plant cells. In the \
light-dependent reactions, chlorophyll uses light energy to split water molecules and release \
oxygen. The Calvin cycle then uses the chemical energy from these reactions to turn carbon dioxide \
into glucose. Plants use the glucose made by photosynthesis for energy and to build cellulose for \
their cell walls. The football team won the championship after a dramatic penalty shootout on \
Saturday night. The oxygen released during photosynthesis is the source of almost all the oxygen \
in the air we breathe. Jan Ingenhousz showed in 1779 that plants need light to produce oxygen. \
Without photosynthesis, plants could not grow and most life on Earth would lack food and oxygen. \
Chlorophyll is a green pigment that absorbs red and blue light most strongly.";

const FOOTBALL: usize = 6;

#[test]
fn paragraph_splits_into_its_sentences() {
    let split = sentences(PHOTOSYNTHESIS);
    assert_eq!(split.len(), 11);
    assert!(split[FOOTBALL].starts_with("The football team"));
}

#[test]
fn scores_sum_to_one_and_football_ranks_last() {
    let split = sentences(PHOTOSYNTHESIS);
    let scores = rank_sentences(&split);
    assert_eq!(scores.len(), split.len());
    let sum: f64 = scores.iter().sum();
    assert!((sum - 1.0).abs() < 1e-6, "sum = {sum}");
    let football = scores[FOOTBALL];
    for (i, score) in scores.iter().enumerate().filter(|&(i, _)| i != FOOTBALL) {
        assert!(
            *score > football,
            "sentence {i} ({score}) <= football ({football})"
        );
    }
    // The defining sentence is central to the paragraph.
    let best = scores.iter().copied().fold(f64::MIN, f64::max);
    assert_eq!(scores[0], best);
}

#[test]
fn key_sentences_are_the_best_in_document_order() {
    let keys = key_sentences(PHOTOSYNTHESIS, 4);
    assert_eq!(keys.len(), 4);
    assert!(keys.windows(2).all(|pair| pair[0].index < pair[1].index));
    assert!(keys.iter().all(|key| key.index != FOOTBALL));
    assert_eq!(keys[0].index, 0);
    let split = sentences(PHOTOSYNTHESIS);
    let scores = rank_sentences(&split);
    for key in &keys {
        assert_eq!(key.text, split[key.index]);
        assert_eq!(key.score, scores[key.index]);
    }
    let weakest_kept = keys.iter().map(|k| k.score).fold(f64::MAX, f64::min);
    let kept: HashSet<usize> = keys.iter().map(|k| k.index).collect();
    for (i, score) in scores.iter().enumerate().filter(|(i, _)| !kept.contains(i)) {
        assert!(
            *score <= weakest_kept,
            "unkept sentence {i} outranks a kept one"
        );
    }
}

#[test]
fn cards_from_the_paragraph() {
    let cards = cards_from_text(PHOTOSYNTHESIS, 5);
    assert!((3..=5).contains(&cards.len()), "{cards:#?}");

    let definition = cards
        .iter()
        .find(|card| card.kind == CardKind::Question)
        .expect("a question card from the definition");
    assert_eq!(definition.front, "What is Photosynthesis?");
    assert_eq!(
        definition.back,
        "the process by which green plants, algae and some bacteria convert light energy \
         into chemical energy stored in glucose"
    );

    let clozes: Vec<_> = cards.iter().filter(|c| c.kind == CardKind::Cloze).collect();
    assert!(!clozes.is_empty());
    for cloze in clozes {
        assert!(cloze.front.contains(BLANK), "{cloze:?}");
        assert!(!cloze.front.contains("{{c1::"));
        assert!(cloze.source_sentence.contains(&cloze.back), "{cloze:?}");
        assert!(
            !cloze.front.contains(&cloze.back),
            "answer still visible: {cloze:?}"
        );
    }

    let fronts: HashSet<&str> = cards.iter().map(|c| c.front.as_str()).collect();
    assert_eq!(fronts.len(), cards.len(), "duplicate fronts");
    assert!(
        cards
            .iter()
            .all(|c| !c.source_sentence.contains("football"))
    );

    // Document order.
    let split = sentences(PHOTOSYNTHESIS);
    let positions: Vec<usize> = cards
        .iter()
        .filter_map(|c| split.iter().position(|s| *s == c.source_sentence))
        .collect();
    assert_eq!(positions.len(), cards.len());
    assert!(positions.windows(2).all(|p| p[0] < p[1]));
}

#[test]
fn a_year_is_the_cloze_term_when_present() {
    let cards = cards_from_text(
        "Jan Ingenhousz showed in 1779 that plants need light to produce oxygen.",
        5,
    );
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].kind, CardKind::Cloze);
    assert_eq!(cards[0].back, "1779");
    assert_eq!(
        cards[0].front,
        "Jan Ingenhousz showed in _____ that plants need light to produce oxygen."
    );
}

#[test]
fn repeated_sentences_do_not_give_duplicate_cards() {
    let text = "Chlorophyll is a green pigment in plants. ".repeat(6);
    let cards = cards_from_text(&text, 5);
    assert_eq!(cards.len(), 1);
}

#[test]
fn short_empty_and_garbage_text_give_few_or_no_cards() {
    assert!(cards_from_text("", 5).is_empty());
    assert!(cards_from_text("Hello.", 5).is_empty());
    assert!(cards_from_text("!!! ??? ... 123 456", 5).is_empty());
    assert!(cards_from_text("\u{0}\u{1}\u{FFFD}\u{FFFD}<<<>>>", 5).is_empty());
    assert!(cards_from_text("a b c d e f g h i j k", 5).len() <= 1);
    assert!(key_sentences("", 5).is_empty());
}

#[test]
fn method_names_textrank() {
    assert!(METHOD.contains("TextRank") && METHOD.contains("0.85"));
    assert!(!METHOD.contains('\n'));
}
