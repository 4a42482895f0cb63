//! Tables of the knowledge hub: topics, tags, questions and their choices, articles, tag links.

pub mod article;
pub mod article_tag;
pub mod question;
pub mod question_choice;
pub mod question_tag;
pub mod tag;
pub mod topic;

use sea_orm::entity::prelude::*;

/// `questions.status` and `articles.status`: the content lifecycle, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum ContentStatus {
    /// Being written.
    Draft,
    /// Live.
    Published,
    /// Withdrawn; kept for history.
    Archived,
}
