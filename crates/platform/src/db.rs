//! The database connection: SQLite in embedded mode (WAL, foreign keys on), PostgreSQL in
//! production, with pool sizes from [`Config`].

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::{config::Config, error::AppResult};

/// Opens the pool for `config.database_url`; `search_path` selects a PostgreSQL schema (tests
/// give each run its own).
pub async fn connect(
    config: &Config,
    search_path: Option<&str>,
) -> anyhow::Result<DatabaseConnection> {
    let sqlite = config.is_sqlite();
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(
            config
                .db_max_connections
                .unwrap_or(if sqlite { 8 } else { 20 }),
        )
        .min_connections(config.db_min_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if let Some(schema) = search_path {
        options.set_schema_search_path(schema);
    }
    if sqlite {
        // WAL lets readers run beside the one writer; NORMAL sync is durable in WAL mode
        // except for the last transactions on power loss, the usual embedded trade-off.
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    let db = Database::connect(options).await?;
    db.execute_unprepared("SELECT 1").await?;
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of one failing with
/// `SQLITE_BUSY` when it upgrades a read lock; PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: (db.get_database_backend() == DbBackend::Sqlite)
            .then_some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// Checks the database answers; for `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> AppResult<()> {
    db.execute_unprepared("SELECT 1").await?;
    Ok(())
}
