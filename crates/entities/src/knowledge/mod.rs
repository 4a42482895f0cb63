//! Tables of the knowledge hub: topics, tags, questions and their choices, articles, tag links.

pub mod article;
pub mod article_tag;
pub mod question;
pub mod question_choice;
pub mod question_tag;
pub mod tag;
pub mod topic;
