//! `dashboard`: the signed-in learner's home page in one round trip.

use agora_platform::context::ContextExt;
use async_graphql::{Context, Object, Result};

use crate::types::Dashboard;

/// The dashboard's query root.
#[derive(Default)]
pub struct DashboardQuery;

/// The dashboard's query root.
#[Object]
impl DashboardQuery {
    /// Your dashboard: progress, due cards and the next session, literacy, recent battles, the
    /// last 30 days of activity, accuracy by topic and recommendations with their reasons. Each
    /// section is read only when selected, in a fixed number of statements whatever the size
    /// of your history.
    async fn dashboard(&self, ctx: &Context<'_>) -> Result<Option<Dashboard>> {
        let user = ctx.viewer().require_user()?;
        Ok(Some(Dashboard::new(ctx.platform()?.clone(), user)))
    }
}
