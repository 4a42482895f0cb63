//! The database connection: SQLite in embedded mode (WAL, foreign keys on), PostgreSQL in
//! production, with pool sizes from [`Config`].

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::{config::Config, error::AppResult};

/// Counts the SQL statements a pool has run (tests prove loaders batch with it; operators see
/// `agora_db_statements_total` and `agora_db_statement_duration_seconds`).
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    /// Statements run so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens the pool for `config.database.database_url`; `search_path` selects a PostgreSQL schema (tests
/// give each run its own).
pub async fn connect(
    config: &Config,
    search_path: Option<&str>,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let sqlite = config.is_sqlite();
    let mut options = ConnectOptions::new(config.database.database_url.clone());
    options
        .max_connections(
            config
                .database
                .db_max_connections
                .unwrap_or(if sqlite { 8 } else { 20 }),
        )
        .min_connections(config.database.db_min_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    // Ping only connections idle long enough to have been dropped by the server or a proxy:
    // pinging on every checkout doubled the round trips of a loader-heavy page.
    options.test_before_acquire_if_idle_for(Duration::from_secs(30));
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
    let mut db = Database::connect(options).await?;
    let counter = StatementCounter::default();
    let count = counter.clone();
    db.set_metric_callback(move |info| {
        count.0.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("agora_db_statements_total").increment(1);
        metrics::histogram!("agora_db_statement_duration_seconds")
            .record(info.elapsed.as_secs_f64());
    });
    db.execute_unprepared("SELECT 1").await?;
    Ok((db, counter))
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

/// `lower(column) LIKE '%needle%'`: a case-insensitive "contains" in which `%`, `_` and `\` of
/// the needle are taken literally. The needle should already be lower-cased.
pub fn contains_ci<C>(column: C, needle: &str) -> sea_orm::sea_query::Expr
where
    C: sea_orm::sea_query::IntoColumnRef,
{
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column)))
        .like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}
