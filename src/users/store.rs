//! The directory's D1 statements (`migrations/0001_users.sql`). A failing database is a 503
//! the caller can retry; what is recorded after a push was answered retries through the outbox.

use crate::shared::error::{ApiError, ApiResult};
use crate::users::directory::{app_type_name, Account, Lookup, Person, Sighting};
use wasm_bindgen::JsValue;
use worker::{D1Database, Env};

/// The D1 binding of the directory (and, with issue 15, the orders).
pub const BINDING: &str = "DB";

const COLUMNS: &str = "appid, openid, unionid, app_type, source, last_source, first_seen, last_seen, following";

pub fn database(env: &Env) -> ApiResult<D1Database> {
    env.d1(BINDING).map_err(|_| ApiError::config(BINDING, "is not bound (a D1 database; see migrations/)"))
}

fn failed(what: &str, e: worker::Error) -> ApiError {
    crate::log_warn!("D1 {what} failed: {e}");
    ApiError::unavailable(format!("the user directory is unavailable ({what}); retry shortly"))
}

fn text(v: &str) -> JsValue {
    JsValue::from_str(v)
}

fn optional(v: Option<&str>) -> JsValue {
    v.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

/// Records a sighting: a new row, or the row brought up to date. A unionid, once known, is
/// only replaced by another one (an app re-bound to another Open Platform account), never
/// erased by a source that carries none; `first_seen` and `source` stay the first ones.
pub async fn record(env: &Env, s: &Sighting) -> ApiResult<()> {
    let sql = format!(
        "INSERT INTO accounts ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?6, ?7) \
         ON CONFLICT (appid, openid) DO UPDATE SET \
           unionid = COALESCE(excluded.unionid, accounts.unionid), \
           app_type = excluded.app_type, \
           last_source = excluded.last_source, \
           last_seen = MAX(accounts.last_seen, excluded.last_seen), \
           following = COALESCE(excluded.following, accounts.following)"
    );
    let following = s.following.map(|f| JsValue::from_f64(if f { 1.0 } else { 0.0 })).unwrap_or(JsValue::NULL);
    let statement = database(env)?
        .prepare(sql)
        .bind(&[
            text(&s.appid),
            text(&s.openid),
            optional(s.unionid.as_deref()),
            text(app_type_name(s.app_type)),
            text(s.source.as_str()),
            JsValue::from_f64(s.at as f64),
            following,
        ])
        .map_err(|e| failed("record", e))?;
    statement.run().await.map_err(|e| failed("record", e))?;
    Ok(())
}

async fn rows(db: &D1Database, sql: &str, args: &[JsValue]) -> ApiResult<Vec<Account>> {
    let statement = db.prepare(sql).bind(args).map_err(|e| failed("lookup", e))?;
    let result = statement.all().await.map_err(|e| failed("lookup", e))?;
    if let Some(error) = result.error() {
        crate::log_warn!("D1 lookup failed: {error}");
        return Err(ApiError::unavailable("the user directory is unavailable (lookup); retry shortly"));
    }
    result.results::<Account>().map_err(|e| failed("reading rows", e))
}

/// The person behind a lookup, or None when the directory has never seen them.
pub async fn person(env: &Env, lookup: &Lookup) -> ApiResult<Option<Person>> {
    let db = database(env)?;
    let by_unionid = format!("SELECT {COLUMNS} FROM accounts WHERE unionid = ?1");
    match lookup {
        Lookup::Unionid(u) => {
            let accounts = rows(&db, &by_unionid, &[text(u)]).await?;
            let Some(first) = accounts.first().cloned() else { return Ok(None) };
            Ok(Some(Person::assemble(first, accounts)))
        }
        Lookup::Account { appid, openid } => {
            let sql = format!("SELECT {COLUMNS} FROM accounts WHERE appid = ?1 AND openid = ?2");
            let Some(account) = rows(&db, &sql, &[text(appid), text(openid)]).await?.into_iter().next() else {
                return Ok(None);
            };
            let linked = match &account.unionid {
                Some(u) => rows(&db, &by_unionid, &[text(u)]).await?,
                None => Vec::new(),
            };
            Ok(Some(Person::assemble(account, linked)))
        }
    }
}

/// Removes every account of a person in one batch (all or nothing); answers how many.
pub async fn forget(env: &Env, person: &Person) -> ApiResult<u32> {
    let db = database(env)?;
    let mut statements = Vec::with_capacity(person.accounts.len());
    for a in &person.accounts {
        let statement = db
            .prepare("DELETE FROM accounts WHERE appid = ?1 AND openid = ?2")
            .bind(&[text(&a.appid), text(&a.openid)])
            .map_err(|e| failed("delete", e))?;
        statements.push(statement);
    }
    if let Some(u) = &person.unionid {
        // Rows that gained this unionid after the lookup go too.
        statements.push(db.prepare("DELETE FROM accounts WHERE unionid = ?1").bind(&[text(u)]).map_err(|e| failed("delete", e))?);
    }
    let results = db.batch(statements).await.map_err(|e| failed("delete", e))?;
    let mut deleted = 0u32;
    for r in results {
        if let Ok(Some(meta)) = r.meta() {
            deleted += meta.changes.unwrap_or(0) as u32;
        }
    }
    Ok(deleted)
}
