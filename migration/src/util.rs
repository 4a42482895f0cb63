//! Helpers shared by migrations written after the first four (landed migrations keep theirs).

use sea_orm_migration::prelude::*;

/// Creates index `name` on `table` over `cols`, unique or not.
pub(crate) async fn create_index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: Vec<C>,
    unique: bool,
) -> Result<(), DbErr>
where
    T: IntoIden + 'static,
    C: IntoIden + 'static,
{
    let mut statement = Index::create();
    statement.name(name).table(table);
    if unique {
        statement.unique();
    }
    for col in cols {
        statement.col(col);
    }
    manager.create_index(statement.to_owned()).await
}
