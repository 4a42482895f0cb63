//! Full-text search over published questions and articles: PostgreSQL `tsvector` with
//! `ts_rank` and `ts_headline`, SQLite FTS5 with `bm25` and `snippet`. Same answer shape on both.

use agora_platform::{AppError, AppResult, Platform};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

/// Longest query accepted.
pub(crate) const MAX_QUERY: usize = 200;
/// Most hits returned.
pub(crate) const MAX_HITS: i32 = 50;

// Highlight markers that cannot survive HTML escaping; swapped for <mark> after escaping, so
// the snippet is safe to render as HTML whatever the content holds.
const OPEN: &str = "\u{27E6}";
const CLOSE: &str = "\u{27E7}";

/// What a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum SearchKind {
    /// A published question.
    Question,
    /// A published article.
    Article,
}

impl SearchKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Question => "QUESTION",
            Self::Article => "ARTICLE",
        }
    }
}

/// One ranked hit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hit {
    /// What it is.
    pub kind: SearchKind,
    /// The question or article id.
    pub id: Uuid,
    /// Higher is better (comparable within one answer only).
    pub score: f64,
    /// An HTML-escaped excerpt with matches in `<mark>`.
    pub snippet: String,
}

/// Escapes `&`, `<`, `>`, `"` and `'`, then turns the markers into `<mark>` tags.
fn render_snippet(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out.replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
}

/// Words of the query, for FTS5: letters and digits only, each quoted, so no user input is
/// ever parsed as FTS5 syntax.
fn fts5_match(query: &str) -> Option<String> {
    let terms: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"", w.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// Searches published content for `query`; `kinds` empty means both kinds.
pub(crate) async fn search(
    platform: &Platform,
    query: &str,
    first: i32,
    kinds: &[SearchKind],
) -> AppResult<Vec<Hit>> {
    let query = query.trim();
    if query.is_empty() {
        return Err(AppError::bad_input("query", "query must not be empty"));
    }
    if query.chars().count() > MAX_QUERY {
        return Err(AppError::bad_input(
            "query",
            format!("query must be at most {MAX_QUERY} characters"),
        ));
    }
    if !(1..=MAX_HITS).contains(&first) {
        return Err(AppError::bad_input(
            "first",
            format!("first must be 1 to {MAX_HITS}"),
        ));
    }
    let kinds: Vec<&str> = if kinds.is_empty() {
        vec![SearchKind::Question.as_str(), SearchKind::Article.as_str()]
    } else {
        kinds.iter().map(|k| k.as_str()).collect()
    };
    let db = &platform.db;
    let backend = db.get_database_backend();
    let statement = match backend {
        DbBackend::Postgres => {
            let headline = format!(
                "StartSel={OPEN}, StopSel={CLOSE}, MaxWords=30, MinWords=12, MaxFragments=2"
            );
            Statement::from_sql_and_values(
                backend,
                "WITH q AS (SELECT websearch_to_tsquery('english', $1) AS query)
                 SELECT * FROM (
                   SELECT 'QUESTION' AS kind, x.id, ts_rank(x.search_vector, q.query)::float8 AS score,
                          ts_headline('english', x.prompt || ' ' || x.explanation, q.query, $2) AS snippet
                     FROM questions x, q
                    WHERE x.status = 'PUBLISHED' AND x.search_vector @@ q.query AND 'QUESTION' = ANY($3)
                   UNION ALL
                   SELECT 'ARTICLE', x.id, ts_rank(x.search_vector, q.query)::float8,
                          ts_headline('english', x.title || ' ' || x.summary || ' ' || x.body, q.query, $2)
                     FROM articles x, q
                    WHERE x.status = 'PUBLISHED' AND x.search_vector @@ q.query AND 'ARTICLE' = ANY($3)
                 ) hits ORDER BY score DESC, id LIMIT $4",
                [
                    query.into(),
                    headline.into(),
                    kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>().into(),
                    i64::from(first).into(),
                ],
            )
        }
        DbBackend::Sqlite => {
            let Some(matcher) = fts5_match(query) else {
                return Ok(Vec::new());
            };
            let wants = |kind: SearchKind| kinds.contains(&kind.as_str());
            Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT kind, ref_id AS id, -bm25(search_fts, 0.0, 0.0, 10.0, 1.0) AS score,
                            snippet(search_fts, -1, '{OPEN}', '{CLOSE}', '…', 24) AS snippet
                       FROM search_fts
                      WHERE search_fts MATCH $1
                        AND ((kind = 'QUESTION' AND $2 AND ref_id IN (SELECT id FROM questions WHERE status = 'PUBLISHED'))
                          OR (kind = 'ARTICLE' AND $3 AND ref_id IN (SELECT id FROM articles WHERE status = 'PUBLISHED')))
                      ORDER BY bm25(search_fts, 0.0, 0.0, 10.0, 1.0), ref_id
                      LIMIT $4"
                ),
                [
                    matcher.into(),
                    wants(SearchKind::Question).into(),
                    wants(SearchKind::Article).into(),
                    i64::from(first).into(),
                ],
            )
        }
        other => {
            return Err(AppError::internal(format!(
                "search is not built for {other:?}"
            )));
        }
    };
    let rows = db.query_all_raw(statement).await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get("", "kind")?;
        hits.push(Hit {
            kind: if kind == "ARTICLE" {
                SearchKind::Article
            } else {
                SearchKind::Question
            },
            id: row.try_get("", "id")?,
            score: row.try_get("", "score")?,
            snippet: render_snippet(&row.try_get::<String>("", "snippet")?),
        });
    }
    Ok(hits)
}

/// Up to `limit` questions (drafts and published, not archived) sharing words with `text`,
/// best first: the candidates a near-duplicate check compares in full. Any word may match, so
/// a reworded prompt still finds its original.
pub(crate) async fn similar_question_ids<C: ConnectionTrait>(
    db: &C,
    text: &str,
    limit: u64,
) -> AppResult<Vec<Uuid>> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(32)
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let statement = match backend {
        // Plain alphanumeric words joined by `|`: nothing the client typed is tsquery syntax.
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "WITH q AS (SELECT to_tsquery('english', $1) AS query)
             SELECT x.id FROM questions x, q
              WHERE x.status <> 'ARCHIVED' AND x.search_vector @@ q.query
              ORDER BY ts_rank(x.search_vector, q.query) DESC, x.id
              LIMIT $2",
            [words.join(" | ").into(), (limit as i64).into()],
        ),
        DbBackend::Sqlite => {
            let matcher = words
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" OR ");
            Statement::from_sql_and_values(
                backend,
                "SELECT ref_id AS id FROM search_fts
                  WHERE search_fts MATCH $1 AND kind = 'QUESTION'
                    AND ref_id IN (SELECT id FROM questions WHERE status <> 'ARCHIVED')
                  ORDER BY bm25(search_fts, 0.0, 0.0, 10.0, 1.0), ref_id
                  LIMIT $2",
                [matcher.into(), (limit as i64).into()],
            )
        }
        other => {
            return Err(AppError::internal(format!(
                "search is not built for {other:?}"
            )));
        }
    };
    db.query_all_raw(statement)
        .await?
        .into_iter()
        .map(|row| Ok(row.try_get("", "id")?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_before_marks_go_in() {
        let raw = format!("a <b>&</b> {OPEN}ozone{CLOSE} level");
        assert_eq!(
            render_snippet(&raw),
            "a &lt;b&gt;&amp;&lt;/b&gt; <mark>ozone</mark> level"
        );
    }

    #[test]
    fn fts5_queries_never_carry_syntax() {
        assert_eq!(
            fts5_match("PM2.5 \"NEAR\" (ozone) OR*").as_deref(),
            Some("\"pm2\" \"5\" \"near\" \"ozone\" \"or\"")
        );
        assert_eq!(fts5_match("***"), None);
    }
}
