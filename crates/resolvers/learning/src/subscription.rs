//! `subscription schedulerOptimization`: a run of the optimiser, now and after each step.

use agora_entities::learning::scheduler_optimization::Status;
use agora_platform::{AppError, context::ContextExt, ids};
use async_graphql::{Context, ID, Result, Subscription};
use futures::{Stream, StreamExt};

use crate::{
    optimize,
    types::{SCHEDULER_OPTIMIZATION_TYPE, SchedulerOptimization},
};

/// Learning's subscription root.
#[derive(Default)]
pub struct LearningSubscription;

#[Subscription]
impl LearningSubscription {
    /// One of your scheduler optimisations: first as it is, then after each progress step,
    /// ending with it `DONE` or `FAILED` (re-read from the database on every message, so a
    /// lost message only delays the next figure).
    async fn scheduler_optimization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The run's global id.")] id: ID,
    ) -> Result<impl Stream<Item = Result<SchedulerOptimization>>> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, SCHEDULER_OPTIMIZATION_TYPE, "id")?;
        let platform = ctx.platform()?.clone();
        let mut messages = platform.bus.subscribe(&optimize::channel(id)).await;
        if optimize::find(&platform, user, id).await?.is_none() {
            return Err(AppError::NotFound("no such scheduler optimization".into()).into());
        }
        Ok(async_stream::stream! {
            let mut last = None;
            loop {
                match optimize::find(&platform, user, id).await {
                    Ok(Some(run)) => {
                        let finished = run.status != Status::Running;
                        let seen = (run.status, run.progress.to_bits());
                        if last != Some(seen) {
                            last = Some(seen);
                            yield Ok(SchedulerOptimization(run));
                        }
                        if finished {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(err) => {
                        yield Err(err.into());
                        break;
                    }
                }
                if messages.next().await.is_none() {
                    break;
                }
            }
        })
    }
}
