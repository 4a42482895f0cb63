//! TextRank sentence ranking (Mihalcea & Tarau 2004): a weighted, undirected graph of
//! sentences scored with PageRank.

use std::collections::HashMap;

use crate::sentences::sentences;
use crate::words::content_words;

/// PageRank damping factor `d`, as in the TextRank paper.
const DAMPING: f64 = 0.85;
/// Iteration stops once the L1 change between two rounds falls below this.
const TOLERANCE: f64 = 1e-6;
/// Hard cap on PageRank iterations.
const MAX_ITERATIONS: usize = 100;

/// Scores each sentence with TextRank; `result[i]` belongs to `sentences[i]`.
///
/// Each sentence becomes a bag of distinct content words (lowercased letters and
/// digits, stop words removed, simple plurals stripped). Two sentences are joined by
/// an edge of weight `|common words| / (ln|Si| + ln|Sj|)`; a pair whose denominator is
/// zero (two one-word sentences) gets no edge. Scores are the weighted PageRank of that
/// graph with damping 0.85, iterated until the L1 change is below 1e-6 or for 100
/// rounds. The teleport term is `(1 - d) / N` and the rank of sentences with no edges is
/// spread evenly, so the scores sum to 1. The result is deterministic.
///
/// Building the graph compares every pair of sentences, so the cost grows with the
/// square of `sentences.len()`.
pub fn rank_sentences(sentences: &[String]) -> Vec<f64> {
    let bags = word_bags(sentences);
    let graph = Graph::from_bags(&bags);
    graph.pagerank()
}

/// Only this many leading sentences of a text are ranked by [`key_sentences`] and
/// [`crate::cards_from_text`], bounding the quadratic graph construction on huge inputs.
pub(crate) const MAX_RANKED_SENTENCES: usize = 2000;

/// A sentence chosen by [`key_sentences`].
#[derive(Debug, Clone, PartialEq)]
pub struct KeySentence {
    /// Position of the sentence among [`sentences`]`(text)`, i.e. in the document.
    pub index: usize,
    /// The sentence text.
    pub text: String,
    /// Its TextRank score (see [`rank_sentences`]).
    pub score: f64,
}

/// The `n` highest-ranked sentences of `text`, returned in document order.
///
/// The text is split with [`sentences`] (only the first 2000 sentences are
/// considered) and scored with [`rank_sentences`]; ties in score go to the earlier
/// sentence.
pub fn key_sentences(text: &str, n: usize) -> Vec<KeySentence> {
    let sentences = ranked_sentences(text);
    let scores = rank_sentences(&sentences);
    let mut top: Vec<usize> = ranking_order(&scores).into_iter().take(n).collect();
    top.sort_unstable();
    top.into_iter()
        .map(|index| KeySentence {
            index,
            text: sentences[index].clone(),
            score: scores[index],
        })
        .collect()
}

/// The sentences of `text` that take part in ranking.
pub(crate) fn ranked_sentences(text: &str) -> Vec<String> {
    let mut all = sentences(text);
    all.truncate(MAX_RANKED_SENTENCES);
    all
}

/// Sentence indices from best to worst score; equal scores keep document order.
pub(crate) fn ranking_order(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

/// Each sentence's distinct content words as sorted, interned ids.
fn word_bags(sentences: &[String]) -> Vec<Vec<usize>> {
    let mut ids: HashMap<String, usize> = HashMap::new();
    sentences
        .iter()
        .map(|sentence| {
            let mut bag: Vec<usize> = content_words(sentence)
                .into_iter()
                .map(|word| {
                    let next = ids.len();
                    *ids.entry(word).or_insert(next)
                })
                .collect();
            bag.sort_unstable();
            bag
        })
        .collect()
}

/// TextRank similarity of two sorted, duplicate-free bags of word ids.
fn similarity(a: &[usize], b: &[usize]) -> f64 {
    let common = count_common(a, b);
    if common == 0 {
        return 0.0;
    }
    let denominator = (a.len() as f64).ln() + (b.len() as f64).ln();
    if denominator <= f64::EPSILON {
        0.0
    } else {
        common as f64 / denominator
    }
}

/// Size of the intersection of two sorted slices.
fn count_common(a: &[usize], b: &[usize]) -> usize {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common
}

/// Undirected weighted graph as adjacency lists, with each node's total edge weight.
struct Graph {
    edges: Vec<Vec<(usize, f64)>>,
    strength: Vec<f64>,
}

impl Graph {
    fn from_bags(bags: &[Vec<usize>]) -> Self {
        let n = bags.len();
        let mut edges = vec![Vec::new(); n];
        for i in 0..n {
            for j in (i + 1)..n {
                let weight = similarity(&bags[i], &bags[j]);
                if weight > 0.0 {
                    edges[i].push((j, weight));
                    edges[j].push((i, weight));
                }
            }
        }
        let strength = edges
            .iter()
            .map(|adjacent| adjacent.iter().map(|&(_, w)| w).sum())
            .collect();
        Graph { edges, strength }
    }

    fn len(&self) -> usize {
        self.edges.len()
    }

    /// Power iteration of weighted PageRank.
    fn pagerank(&self) -> Vec<f64> {
        let n = self.len();
        if n == 0 {
            return Vec::new();
        }
        let mut scores = vec![1.0 / n as f64; n];
        for _ in 0..MAX_ITERATIONS {
            let next = self.step(&scores);
            let change: f64 = next.iter().zip(&scores).map(|(a, b)| (a - b).abs()).sum();
            scores = next;
            if change < TOLERANCE {
                break;
            }
        }
        scores
    }

    /// One PageRank round: teleport, plus rank flowing along edges in proportion to
    /// their weight, plus the rank of isolated sentences spread evenly.
    fn step(&self, scores: &[f64]) -> Vec<f64> {
        let n = self.len() as f64;
        let isolated: f64 = scores
            .iter()
            .zip(&self.strength)
            .filter(|&(_, &strength)| strength <= 0.0)
            .map(|(score, _)| score)
            .sum();
        let base = (1.0 - DAMPING) / n + DAMPING * isolated / n;
        let mut next = vec![base; self.len()];
        for (j, adjacent) in self.edges.iter().enumerate() {
            if self.strength[j] <= 0.0 {
                continue;
            }
            let share = DAMPING * scores[j] / self.strength[j];
            for &(i, weight) in adjacent {
                next[i] += share * weight;
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(sentences: &[&str]) -> Vec<String> {
        sentences.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn empty_and_single_inputs() {
        assert!(rank_sentences(&[]).is_empty());
        let one = rank_sentences(&owned(&["Plants need light to grow."]));
        assert_eq!(one.len(), 1);
        assert!((one[0] - 1.0).abs() < 1e-9);
    }

    #[test]
    fn isolated_sentences_share_rank_equally() {
        let scores = rank_sentences(&owned(&[
            "Plants need light.",
            "Football matches attract crowds.",
            "Volcanoes erupt lava.",
        ]));
        for score in &scores {
            assert!((score - 1.0 / 3.0).abs() < 1e-9, "{scores:?}");
        }
    }

    #[test]
    fn hub_sentence_outranks_its_neighbours() {
        let scores = rank_sentences(&owned(&[
            "Plants use light and water to make sugar.",
            "Plants grow toward light.",
            "Water moves up from the roots.",
            "Sugar feeds the growing cells.",
        ]));
        let sum: f64 = scores.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9, "{sum}");
        assert!(scores[1..].iter().all(|&s| s < scores[0]), "{scores:?}");
    }

    #[test]
    fn one_word_sentences_do_not_divide_by_zero() {
        let scores = rank_sentences(&owned(&["Plants.", "Plants!", "Plants grow tall."]));
        assert!(scores.iter().all(|s| s.is_finite()));
        let sum: f64 = scores.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9);
    }

    #[test]
    fn similarity_formula() {
        // 2 common words, |Si| = 3, |Sj| = 4.
        let s = similarity(&[1, 2, 3], &[1, 2, 7, 9]);
        let expected = 2.0 / (3f64.ln() + 4f64.ln());
        assert!((s - expected).abs() < 1e-12);
        assert_eq!(similarity(&[1], &[1]), 0.0);
        assert_eq!(similarity(&[1, 2], &[3, 4]), 0.0);
    }

    #[test]
    fn ranking_order_breaks_ties_by_position() {
        assert_eq!(ranking_order(&[0.2, 0.5, 0.2, 0.1]), vec![1, 0, 2, 3]);
    }

    #[test]
    fn key_sentences_are_top_n_in_document_order() {
        let text = "Volcanoes are openings in the crust of a planet. \
                    The weather was pleasant for the school picnic. \
                    Magma rises through volcanoes and erupts as lava. \
                    Lava from volcanoes cools into new volcanic rock. \
                    My neighbour bought a red bicycle yesterday afternoon.";
        let keys = key_sentences(text, 2);
        assert_eq!(keys.len(), 2);
        assert!(keys[0].index < keys[1].index);
        assert!(
            keys.iter()
                .all(|k| k.text.contains("volcanoes") || k.text.contains("Volcanoes"))
        );
        assert!(key_sentences(text, 0).is_empty());
        assert_eq!(key_sentences(text, 99).len(), 5);
        assert!(key_sentences("", 3).is_empty());
    }

    #[test]
    fn deterministic() {
        let text = owned(&[
            "Plants use light and water to make sugar.",
            "Plants grow toward light.",
            "Water moves up from the roots.",
        ]);
        assert_eq!(rank_sentences(&text), rank_sentences(&text));
    }
}
