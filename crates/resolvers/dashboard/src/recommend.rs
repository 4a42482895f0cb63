//! Accuracy by topic, and what to do next.
//!
//! - **Accuracy** comes from two sources: battle answers (by the question's topic and
//!   difficulty) and flashcard reviews (by the card's topic; recalled = graded 3 or more).
//! - **The weakest topic** is the one with the lowest combined rate (answers and reviews
//!   together) among topics with at least [`MIN_ATTEMPTS`] of them; ties go to the topic with
//!   more attempts. Without such a topic there is no topic recommendation.
//! - **Recommendations**, in this order: `REVIEW_CARDS` when cards are due (the ones most likely
//!   to be forgotten now), `NEXT_TOPIC` (the weakest topic) and `READ_ARTICLES` (published
//!   articles of the weakest topic, shortest first), each with the reason in words.

use std::collections::BTreeMap;

use agora_battle::api::history::AnswerTally;
use agora_learning::api::ReviewTally;
use uuid::Uuid;

/// Fewest answers and reviews in a topic before it can be called the weakest.
pub const MIN_ATTEMPTS: i64 = 5;

/// Where an accuracy figure comes from.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum AccuracySource {
    /// Answers in battles.
    Battle,
    /// Flashcard reviews.
    Review,
}

/// Accuracy in one topic from one source (and, for battles, one difficulty).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Accuracy {
    pub topic_id: Option<Uuid>,
    pub source: AccuracySource,
    pub difficulty: Option<i32>,
    pub attempts: i64,
    pub correct: i64,
}

/// The accuracy lines, battles first (by topic, then difficulty), then reviews.
pub(crate) fn accuracy(answers: &[AnswerTally], reviews: &[ReviewTally]) -> Vec<Accuracy> {
    let mut lines: Vec<Accuracy> = answers
        .iter()
        .map(|a| Accuracy {
            topic_id: Some(a.topic_id),
            source: AccuracySource::Battle,
            difficulty: Some(i32::from(a.difficulty)),
            attempts: a.attempts,
            correct: a.correct,
        })
        .collect();
    lines.sort_by_key(|a| (a.topic_id, a.difficulty));
    let mut reviewed: Vec<Accuracy> = reviews
        .iter()
        .map(|r| Accuracy {
            topic_id: r.topic_id,
            source: AccuracySource::Review,
            difficulty: None,
            attempts: r.attempts,
            correct: r.recalled,
        })
        .collect();
    reviewed.sort_by_key(|a| a.topic_id);
    lines.extend(reviewed);
    lines
}

/// The weakest topic: `(topic, attempts, correct)`.
pub(crate) fn weakest(lines: &[Accuracy]) -> Option<(Uuid, i64, i64)> {
    let mut totals: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for line in lines {
        if let Some(topic) = line.topic_id {
            let entry = totals.entry(topic).or_default();
            entry.0 += line.attempts;
            entry.1 += line.correct;
        }
    }
    totals
        .into_iter()
        .filter(|(_, (attempts, _))| *attempts >= MIN_ATTEMPTS)
        .min_by(|a, b| {
            let rate = |(attempts, correct): (i64, i64)| correct as f64 / attempts as f64;
            rate(a.1)
                .total_cmp(&rate(b.1))
                .then(b.1.0.cmp(&a.1.0))
                .then(a.0.cmp(&b.0))
        })
        .map(|(topic, (attempts, correct))| (topic, attempts, correct))
}

/// `correct` of `attempts` as a whole percentage.
pub(crate) fn percent(correct: i64, attempts: i64) -> i64 {
    if attempts == 0 {
        0
    } else {
        (correct * 100 + attempts / 2) / attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(topic: Uuid, attempts: i64, recalled: i64) -> ReviewTally {
        ReviewTally {
            topic_id: Some(topic),
            attempts,
            recalled,
        }
    }

    #[test]
    fn the_weakest_topic_needs_enough_attempts_and_combines_both_sources() {
        let (optics, waves, rare) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let answers = [AnswerTally {
            topic_id: optics,
            difficulty: 3,
            attempts: 4,
            correct: 1,
        }];
        // Optics: 1 + 3 of 4 + 4 = 50%; waves 6 of 10; rare 0 of 2 (too few to judge).
        let reviews = [
            review(optics, 4, 3),
            review(waves, 10, 6),
            review(rare, 2, 0),
        ];
        let lines = accuracy(&answers, &reviews);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].source, AccuracySource::Battle);
        assert_eq!(weakest(&lines), Some((optics, 8, 4)));
        assert_eq!(weakest(&accuracy(&[], &[review(rare, 2, 0)])), None);
        assert_eq!(percent(4, 8), 50);
        assert_eq!(percent(2, 3), 67);
    }
}
