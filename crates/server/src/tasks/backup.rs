//! `agora backup` and `agora restore` for the embedded mode (SQLite).
//!
//! A backup is `VACUUM INTO`: one read transaction copies a consistent snapshot into a new,
//! compact file while the server keeps serving (WAL readers never block the writer). A restore
//! checks the file first (SQLite's integrity check, Agora's migrations table, no migration this
//! binary does not know), keeps the current database beside it as
//! `<db>.before-restore-<unix time>`, and swaps the file in; the server must be stopped, and
//! pending migrations of an older backup run at the next start. PostgreSQL deployments use
//! `pg_dump` and point-in-time recovery instead (docs/operations.md).

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

use agora_migration::{Migrator, MigratorTrait};
use agora_platform::config::Config as PlatformConfig;
use anyhow::{Context as _, bail};
use sea_orm::{ConnectionTrait, Database, Statement};

/// The SQLite file a `sqlite:` URL names.
fn sqlite_path(config: &PlatformConfig) -> anyhow::Result<PathBuf> {
    let url = &config.database.database_url;
    let Some(rest) = url.strip_prefix("sqlite:") else {
        bail!(
            "backup and restore are for the embedded mode (a sqlite: DATABASE_URL); back up \
             PostgreSQL with pg_dump or point-in-time recovery (docs/operations.md)"
        );
    };
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        bail!("DATABASE_URL names no database file");
    }
    Ok(PathBuf::from(path))
}

fn sql_text(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "''"))
}

/// Writes a consistent copy of the live database to `file` (which must not exist); returns
/// its size in bytes.
pub async fn backup(config: &PlatformConfig, file: &Path) -> anyhow::Result<u64> {
    let source = sqlite_path(config)?;
    if !source.exists() {
        bail!("{} does not exist", source.display());
    }
    if file.exists() {
        bail!("{} already exists; name a new file", file.display());
    }
    let db = Database::connect(format!("sqlite://{}?mode=ro", source.display()))
        .await
        .with_context(|| format!("opening {}", source.display()))?;
    db.execute_unprepared(&format!("VACUUM INTO {}", sql_text(file)))
        .await
        .with_context(|| format!("writing {}", file.display()))?;
    db.close().await.ok();
    Ok(std::fs::metadata(file)?.len())
}

/// What a restore did.
pub struct Restored {
    /// Where the database that was replaced now is (None if there was none).
    pub previous: Option<PathBuf>,
    /// Migrations the backup lacks; they run at the next start.
    pub pending: usize,
}

/// Checks `file` and makes it the database. Refuses while the database looks open (its WAL
/// file exists) unless `force`: a running server would keep writing to the old file.
pub async fn restore(
    config: &PlatformConfig,
    file: &Path,
    force: bool,
) -> anyhow::Result<Restored> {
    let target = sqlite_path(config)?;
    let pending = check_backup(file).await?;
    let wal = PathBuf::from(format!("{}-wal", target.display()));
    if wal.exists() && !force {
        bail!(
            "{} is open (its -wal file exists): stop the server first; if none is running \
             (it crashed), pass --force",
            target.display()
        );
    }
    let staged = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(file, &staged).with_context(|| format!("copying {}", file.display()))?;
    std::fs::File::open(&staged)?.sync_all()?;
    let previous = if target.exists() {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let aside = PathBuf::from(format!("{}.before-restore-{stamp}", target.display()));
        std::fs::rename(&target, &aside)
            .with_context(|| format!("moving {} aside", target.display()))?;
        Some(aside)
    } else {
        None
    };
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    std::fs::rename(&staged, &target)
        .with_context(|| format!("moving the backup to {}", target.display()))?;
    Ok(Restored { previous, pending })
}

/// Whether `file` is a sound Agora database this binary can run; how many migrations it lacks.
async fn check_backup(file: &Path) -> anyhow::Result<usize> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    let db = Database::connect(format!("sqlite://{}?mode=ro", file.display()))
        .await
        .with_context(|| format!("{} is not a SQLite database", file.display()))?;
    let backend = db.get_database_backend();
    let integrity = db
        .query_one_raw(Statement::from_string(backend, "PRAGMA integrity_check"))
        .await
        .with_context(|| format!("{} is not a SQLite database", file.display()))?
        .and_then(|row| row.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    if integrity != "ok" {
        bail!(
            "{} failed SQLite's integrity check: {integrity}",
            file.display()
        );
    }
    let applied: HashSet<String> = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations",
        ))
        .await
        .with_context(|| {
            format!(
                "{} is not an Agora database (no migrations table)",
                file.display()
            )
        })?
        .into_iter()
        .filter_map(|row| row.try_get::<String>("", "version").ok())
        .collect();
    db.close().await.ok();
    let known: HashSet<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    if let Some(unknown) = applied.iter().find(|v| !known.contains(*v)) {
        bail!(
            "{} was written by a newer Agora (migration {unknown} is unknown here); restore it \
             with that version",
            file.display()
        );
    }
    Ok(known.len() - applied.len())
}
