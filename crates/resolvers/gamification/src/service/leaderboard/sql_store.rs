//! The boards on SQL: a page is an index walk over the stored totals, a rank an index range
//! count (embedded mode, and production mode while a Redis board is being filled).

use agora_entities::gamification::{leaderboard_score, user_progress};
use agora_platform::AppResult;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, FromQueryResult, Order,
    sea_query::{DynIden, Expr, ExprTrait as _, IntoIden, Query, SelectStatement},
};
use uuid::Uuid;

use super::{Entry, GLOBAL_BOARD, Page, Total};

/// Where a board's totals are stored: a table, the columns holding the points and when they
/// were reached, and which rows are on the board.
pub(super) struct Stored {
    table: DynIden,
    points: DynIden,
    reached: DynIden,
    on_board: Condition,
}

impl Stored {
    pub(super) fn of(board: &str) -> Self {
        use user_progress::Column as P;
        if let Some(week) = board.strip_prefix("weekly:") {
            return Self {
                table: user_progress::Entity.into_iden(),
                points: P::WeekPoints.into_iden(),
                reached: P::WeekReachedAt.into_iden(),
                on_board: Condition::all()
                    .add(P::Week.eq(week))
                    .add(P::WeekPoints.gt(0)),
            };
        }
        if let Some(month) = board.strip_prefix("monthly:") {
            return Self {
                table: user_progress::Entity.into_iden(),
                points: P::MonthPoints.into_iden(),
                reached: P::MonthReachedAt.into_iden(),
                on_board: Condition::all()
                    .add(P::Month.eq(month))
                    .add(P::MonthPoints.gt(0)),
            };
        }
        if board == GLOBAL_BOARD {
            return Self {
                table: user_progress::Entity.into_iden(),
                points: P::Points.into_iden(),
                reached: P::PointsReachedAt.into_iden(),
                on_board: Condition::all().add(P::Points.gt(0)),
            };
        }
        Self {
            table: leaderboard_score::Entity.into_iden(),
            points: leaderboard_score::Column::Points.into_iden(),
            reached: leaderboard_score::Column::ReachedAt.into_iden(),
            on_board: Condition::all().add(leaderboard_score::Column::Board.eq(board)),
        }
    }

    fn points(&self) -> Expr {
        Expr::col((self.table.clone(), self.points.clone()))
    }

    fn reached(&self) -> Expr {
        Expr::col((self.table.clone(), self.reached.clone()))
    }

    /// The user column: `user_id` in both tables.
    pub(super) fn user(&self) -> Expr {
        Expr::col((
            self.table.clone(),
            user_progress::Column::UserId.into_iden(),
        ))
    }

    /// `SELECT board, user_id, points, reached_at` of the board's rows matching `filter`.
    pub(super) fn totals(&self, board: &str, filter: Condition) -> SelectStatement {
        Query::select()
            .expr_as(Expr::val(board), "board")
            .expr_as(self.user(), "user_id")
            .expr_as(self.points(), "points")
            .expr_as(self.reached(), "reached_at")
            .from(self.table.clone())
            .cond_where(self.on_board.clone().add(filter))
            .to_owned()
    }

    /// The board's order.
    fn ranked(&self, board: &str, filter: Condition) -> SelectStatement {
        self.totals(board, filter)
            .order_by_expr(self.points(), Order::Desc)
            .order_by_expr(self.reached(), Order::Asc)
            .order_by_expr(self.user(), Order::Desc)
            .to_owned()
    }

    /// Rows ranked above `total`.
    fn ahead_of(&self, total: &Total) -> Condition {
        Condition::any()
            .add(self.points().gt(total.points))
            .add(
                Condition::all()
                    .add(self.points().eq(total.points))
                    .add(self.reached().lt(total.reached_at)),
            )
            .add(
                Condition::all()
                    .add(self.points().eq(total.points))
                    .add(self.reached().eq(total.reached_at))
                    .add(self.user().gt(total.user_id)),
            )
    }
}

pub(super) async fn select<C: ConnectionTrait>(
    db: &C,
    statement: &SelectStatement,
) -> AppResult<Vec<Total>> {
    Ok(
        Total::find_by_statement(db.get_database_backend().build(statement))
            .all(db)
            .await?,
    )
}

async fn count<C: ConnectionTrait>(db: &C, stored: &Stored, filter: Condition) -> AppResult<i64> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let statement = Query::select()
        .expr_as(Expr::col(sea_orm::sea_query::Asterisk).count(), "n")
        .from(stored.table.clone())
        .cond_where(stored.on_board.clone().add(filter))
        .to_owned();
    Ok(
        Count::find_by_statement(db.get_database_backend().build(&statement))
            .one(db)
            .await?
            .map_or(0, |c| c.n),
    )
}

/// The same page from the stored totals.
pub async fn read_sql<C: ConnectionTrait>(
    db: &C,
    board: &str,
    offset: i64,
    limit: i64,
    viewer: Option<Uuid>,
) -> AppResult<Page> {
    let stored = Stored::of(board);
    let rows = select(
        db,
        stored
            .ranked(board, Condition::all())
            .offset(Ord::max(offset, 0) as u64)
            .limit(Ord::max(limit, 0) as u64),
    )
    .await?;
    let entries = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| Entry {
            rank: offset + i as i64 + 1,
            user_id: row.user_id,
            points: row.points,
        })
        .collect();
    let total = count(db, &stored, Condition::all()).await?;
    let mine = match viewer {
        Some(user_id) => rank_sql(db, &stored, board, user_id).await?,
        None => None,
    };
    Ok(Page {
        entries,
        total,
        mine,
    })
}

async fn rank_sql<C: ConnectionTrait>(
    db: &C,
    stored: &Stored,
    board: &str,
    user_id: Uuid,
) -> AppResult<Option<Entry>> {
    let Some(row) = select(
        db,
        &stored.totals(board, Condition::all().add(stored.user().eq(user_id))),
    )
    .await?
    .pop() else {
        return Ok(None);
    };
    let ahead = count(db, stored, stored.ahead_of(&row)).await?;
    Ok(Some(Entry {
        rank: ahead + 1,
        user_id,
        points: row.points,
    }))
}
