//! Full-text search over questions and articles: on PostgreSQL weighted `tsvector` columns
//! (generated, so they never drift) with GIN indexes; on SQLite one FTS5 table kept in step by
//! triggers. Both rank (ts_rank / bm25) and highlight (ts_headline / snippet).

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE questions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(prompt, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(explanation, '')), 'B')) STORED",
    "CREATE INDEX idx_questions_search ON questions USING GIN (search_vector)",
    "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(body, '')), 'C')) STORED",
    "CREATE INDEX idx_articles_search ON articles USING GIN (search_vector)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_articles_search",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS idx_questions_search",
    "ALTER TABLE questions DROP COLUMN IF EXISTS search_vector",
];

const SQLITE_UP: &[&str] = &[
    // `kind` and `ref_id` ride along unindexed; `title` weighs more than `body` in bm25.
    "CREATE VIRTUAL TABLE search_fts USING fts5(kind UNINDEXED, ref_id UNINDEXED, title, body, tokenize = 'porter unicode61')",
    "INSERT INTO search_fts (kind, ref_id, title, body) SELECT 'QUESTION', id, prompt, explanation FROM questions",
    "INSERT INTO search_fts (kind, ref_id, title, body) SELECT 'ARTICLE', id, title, summary || ' ' || body FROM articles",
    "CREATE TRIGGER questions_search_insert AFTER INSERT ON questions BEGIN
        INSERT INTO search_fts (kind, ref_id, title, body) VALUES ('QUESTION', NEW.id, NEW.prompt, NEW.explanation);
     END",
    "CREATE TRIGGER questions_search_update AFTER UPDATE OF prompt, explanation ON questions BEGIN
        DELETE FROM search_fts WHERE kind = 'QUESTION' AND ref_id = OLD.id;
        INSERT INTO search_fts (kind, ref_id, title, body) VALUES ('QUESTION', NEW.id, NEW.prompt, NEW.explanation);
     END",
    "CREATE TRIGGER questions_search_delete AFTER DELETE ON questions BEGIN
        DELETE FROM search_fts WHERE kind = 'QUESTION' AND ref_id = OLD.id;
     END",
    "CREATE TRIGGER articles_search_insert AFTER INSERT ON articles BEGIN
        INSERT INTO search_fts (kind, ref_id, title, body) VALUES ('ARTICLE', NEW.id, NEW.title, NEW.summary || ' ' || NEW.body);
     END",
    "CREATE TRIGGER articles_search_update AFTER UPDATE OF title, summary, body ON articles BEGIN
        DELETE FROM search_fts WHERE kind = 'ARTICLE' AND ref_id = OLD.id;
        INSERT INTO search_fts (kind, ref_id, title, body) VALUES ('ARTICLE', NEW.id, NEW.title, NEW.summary || ' ' || NEW.body);
     END",
    "CREATE TRIGGER articles_search_delete AFTER DELETE ON articles BEGIN
        DELETE FROM search_fts WHERE kind = 'ARTICLE' AND ref_id = OLD.id;
     END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS articles_search_delete",
    "DROP TRIGGER IF EXISTS articles_search_update",
    "DROP TRIGGER IF EXISTS articles_search_insert",
    "DROP TRIGGER IF EXISTS questions_search_delete",
    "DROP TRIGGER IF EXISTS questions_search_update",
    "DROP TRIGGER IF EXISTS questions_search_insert",
    "DROP TABLE IF EXISTS search_fts",
];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, POSTGRES_UP).await,
            DbBackend::Sqlite => run(manager, SQLITE_UP).await,
            other => Err(DbErr::Migration(format!(
                "search is not built for {other:?}"
            ))),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, POSTGRES_DOWN).await,
            DbBackend::Sqlite => run(manager, SQLITE_DOWN).await,
            _ => Ok(()),
        }
    }
}
