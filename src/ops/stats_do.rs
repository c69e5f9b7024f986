//! The stats object: one per app, the only writer of its counters (batches arrive after the
//! answers they count, from every isolate), kept as one JSON value in its storage.

use crate::ops::stats::{Read, StatsView, Stored};
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{error_response, now};
use crate::shared::objects::{self, serve, ObjectCall};
use crate::shared::stats::{Record, Recorded};
use std::cell::RefCell;
use std::rc::Rc;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

const KEY: &str = "stats";

#[durable_object]
pub struct StatsObject {
    state: Rc<State>,
    cache: Rc<RefCell<Option<Stored>>>,
}

fn storage_failed(_: worker::Error) -> ApiError {
    ApiError::unavailable("the stats store failed; retry shortly")
}

impl DurableObject for StatsObject {
    fn new(state: State, _env: Env) -> Self {
        StatsObject { state: Rc::new(state), cache: Rc::new(RefCell::new(None)) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(match objects::call_name(&req).as_str() {
            Record::NAME => serve(&mut req, |c: Record| async move { self.record(c).await }).await,
            Read::NAME => serve(&mut req, |_: Read| async move { self.read().await }).await,
            other => error_response(&ApiError::not_found(format!("no stats call {other}"))),
        })
    }
}

impl StatsObject {
    async fn load(&self) -> ApiResult<Stored> {
        if let Some(s) = self.cache.borrow().clone() {
            return Ok(s);
        }
        let stored: Stored = objects::get_json(&self.state.storage(), KEY).await.map_err(storage_failed)?.unwrap_or_default();
        *self.cache.borrow_mut() = Some(stored.clone());
        Ok(stored)
    }

    async fn record(&self, call: Record) -> ApiResult<Recorded> {
        let mut stored = self.load().await?;
        stored.merge(&call.batch, now());
        objects::put_json(&self.state.storage(), KEY, &stored).await.map_err(storage_failed)?;
        *self.cache.borrow_mut() = Some(stored);
        Ok(Recorded {})
    }

    async fn read(&self) -> ApiResult<StatsView> {
        Ok(self.load().await?.view(now()))
    }
}
