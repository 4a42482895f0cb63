//! Tables of learning: flashcards scheduled by SM-2, their review history, and topics marked
//! complete.

pub mod flashcard;
pub mod flashcard_review;
pub mod topic_completion;
