//! `literacy_phoneme_stats`: per learner and phoneme, how often it was expected and missed;
//! feeds the feedback and the recommendation model (summed over learners, the prior).

use sea_orm::entity::prelude::*;

/// A learner-phoneme.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "literacy_phoneme_stats")]
pub struct Model {
    /// The learner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// ARPAbet symbol without stress.
    #[sea_orm(primary_key, auto_increment = false)]
    pub phoneme: String,
    /// Times the phoneme was expected in an attempt.
    pub occurrences: i32,
    /// Times it was missed or said as another sound.
    pub errors: i32,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
