//! Tables of literacy (the dyslexia hub): word levels and their words, each learner's place
//! and progress, every spoken attempt, and mock tests with their words.

pub mod attempt;
pub mod learner;
pub mod level;
pub mod mock_test;
pub mod mock_test_word;
pub mod phoneme_stat;
pub mod word;
pub mod word_progress;
