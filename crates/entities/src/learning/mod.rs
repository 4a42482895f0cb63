//! Tables of learning: flashcards scheduled by SM-2 or FSRS, their review history, each
//! learner's scheduler settings and optimisation runs, topics marked complete, personal topics
//! and syllabus items, and captures turned into cards.

pub mod capture;
pub mod capture_upload;
pub mod flashcard;
pub mod flashcard_reminder;
pub mod flashcard_review;
pub mod learning_settings;
pub mod personal_topic;
pub mod review_tally;
pub mod scheduler_optimization;
pub mod study_hour;
pub mod syllabus_item;
pub mod topic_completion;
