//! Relay cursor pagination: argument checks, opaque keyset cursors and a keyset page fetch.
//!
//! Lists page by a `(sort key, id)` keyset rather than OFFSET, so a page costs the same however
//! deep it is and rows inserted meanwhile neither repeat nor vanish.

use async_graphql::connection::{Connection, Edge};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when the client names none.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// A checked request for one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest<C> {
    /// Rows wanted.
    pub limit: usize,
    /// Page forward from after this cursor (`first`/`after`), or backward (`last`/`before`).
    pub backward: bool,
    /// The cursor to start after (forward) or before (backward).
    pub cursor: Option<C>,
}

/// Encodes a cursor value as an opaque string.
pub fn encode_cursor<C: Serialize>(cursor: &C) -> String {
    let json = serde_json::to_vec(cursor).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes an opaque cursor; `BAD_USER_INPUT` naming `field` if it is not one of ours.
pub fn decode_cursor<C: DeserializeOwned>(raw: &str, field: &str) -> AppResult<C> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| AppError::bad_input(field, "invalid cursor"))
}

impl<C: DeserializeOwned> PageRequest<C> {
    /// Checks Relay arguments: not both `first` and `last`, sizes 0..=100, cursors well formed.
    pub fn from_args(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Self> {
        fn size(value: i32, field: &str) -> AppResult<usize> {
            if value < 0 {
                return Err(AppError::bad_input(
                    field,
                    format!("`{field}` must not be negative"),
                ));
            }
            let value = value as usize;
            if value > MAX_PAGE_SIZE {
                return Err(AppError::bad_input(
                    field,
                    format!("`{field}` must be at most {MAX_PAGE_SIZE}"),
                ));
            }
            Ok(value)
        }
        match (first, last) {
            (Some(_), Some(_)) => Err(AppError::bad_input(
                "last",
                "pass `first` or `last`, not both",
            )),
            (_, Some(last)) => {
                if after.is_some() {
                    return Err(AppError::bad_input("after", "`after` goes with `first`"));
                }
                Ok(Self {
                    limit: size(last, "last")?,
                    backward: true,
                    cursor: before.map(|c| decode_cursor(&c, "before")).transpose()?,
                })
            }
            (first, None) => {
                if before.is_some() {
                    return Err(AppError::bad_input("before", "`before` goes with `last`"));
                }
                Ok(Self {
                    limit: first
                        .map(|f| size(f, "first"))
                        .transpose()?
                        .unwrap_or(DEFAULT_PAGE_SIZE),
                    backward: false,
                    cursor: after.map(|c| decode_cursor(&c, "after")).transpose()?,
                })
            }
        }
    }
}

/// The usual keyset: a timestamp and the row id that breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeCursor {
    /// The sort timestamp.
    pub t: DateTime<Utc>,
    /// The row id.
    pub id: Uuid,
}

/// One fetched page: rows with their cursors, and whether more lie beyond each end.
#[derive(Debug)]
pub struct Page<T> {
    /// Rows in display order, each with its cursor.
    pub rows: Vec<(String, T)>,
    /// More rows before the first one.
    pub has_previous: bool,
    /// More rows after the last one.
    pub has_next: bool,
}

impl<T> Page<T> {
    /// Turns the page into a Relay connection, mapping each row to its node type.
    pub fn into_connection<N, F>(self, mut map: F) -> Connection<String, N>
    where
        N: async_graphql::OutputType,
        F: FnMut(T) -> N,
    {
        let mut connection = Connection::new(self.has_previous, self.has_next);
        connection.edges.extend(
            self.rows
                .into_iter()
                .map(|(cursor, row)| Edge::new(cursor, map(row))),
        );
        connection
    }
}

/// Fetches one page of `select` ordered by `(time_col, id_col)` in `order` (`Desc` = newest
/// first), one SQL statement, `limit + 1` rows to learn whether more follow.
pub async fn fetch_time_page<E, C>(
    db: &C,
    select: Select<E>,
    (time_col, id_col): (E::Column, E::Column),
    order: Order,
    page: &PageRequest<TimeCursor>,
    key: impl Fn(&E::Model) -> TimeCursor,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let descending = matches!(order, Order::Desc);
    // Walking backward reverses the scan direction; the rows are flipped back below.
    let scan_desc = descending != page.backward;
    let mut select = select;
    if let Some(cursor) = &page.cursor {
        let beyond = if scan_desc {
            Condition::any().add(time_col.lt(cursor.t)).add(
                Condition::all()
                    .add(time_col.eq(cursor.t))
                    .add(id_col.lt(cursor.id)),
            )
        } else {
            Condition::any().add(time_col.gt(cursor.t)).add(
                Condition::all()
                    .add(time_col.eq(cursor.t))
                    .add(id_col.gt(cursor.id)),
            )
        };
        select = select.filter(beyond);
    }
    let scan_order = if scan_desc { Order::Desc } else { Order::Asc };
    let mut rows = select
        .order_by(time_col, scan_order.clone())
        .order_by(id_col, scan_order)
        .limit(page.limit as u64 + 1)
        .all(db)
        .await?;
    let more = rows.len() > page.limit;
    rows.truncate(page.limit);
    if page.backward {
        rows.reverse();
    }
    let rows = rows
        .into_iter()
        .map(|row| (encode_cursor(&key(&row)), row))
        .collect();
    Ok(Page {
        rows,
        has_previous: if page.backward {
            more
        } else {
            page.cursor.is_some()
        },
        has_next: if page.backward {
            page.cursor.is_some()
        } else {
            more
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Req = PageRequest<TimeCursor>;

    #[test]
    fn defaults_to_first_twenty() {
        let req = Req::from_args(None, None, None, None).expect("valid");
        assert_eq!(req.limit, DEFAULT_PAGE_SIZE);
        assert!(!req.backward);
    }

    #[test]
    fn first_over_one_hundred_is_refused() {
        let err = Req::from_args(Some(101), None, None, None).expect_err("too big");
        assert!(matches!(err, AppError::BadInput { field: Some(f), .. } if f == "first"));
    }

    #[test]
    fn first_and_last_together_are_refused() {
        assert!(Req::from_args(Some(1), None, Some(1), None).is_err());
    }

    #[test]
    fn negative_sizes_are_refused() {
        assert!(Req::from_args(Some(-1), None, None, None).is_err());
        assert!(Req::from_args(None, None, Some(-3), None).is_err());
    }

    #[test]
    fn cursor_round_trips_and_garbage_is_refused() {
        let cursor = TimeCursor {
            t: Utc::now(),
            id: Uuid::now_v7(),
        };
        let req = Req::from_args(Some(5), Some(encode_cursor(&cursor)), None, None).expect("ok");
        assert_eq!(req.cursor, Some(cursor));
        let err = Req::from_args(Some(5), Some("zzz".into()), None, None).expect_err("bad");
        assert!(matches!(err, AppError::BadInput { field: Some(f), .. } if f == "after"));
    }
}
