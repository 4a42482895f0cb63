//! Flashcard tags, as Anki keeps them: a card's tags in one column, space-separated and
//! wrapped in spaces (` biology exam `), so "has tag t" is `tags LIKE '% t %'` on both
//! databases. Existing cards have none. `down` drops the column.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Flashcards::Table)
                    .add_column(string_len(Flashcards::Tags, 500).default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Flashcards::Table)
                    .drop_column(Flashcards::Tags)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Flashcards {
    Table,
    Tags,
}
