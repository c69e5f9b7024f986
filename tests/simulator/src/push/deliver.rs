//! Delivering one push to the webhook the way WeChat does (§8.6, §15.17): POST within a time
//! limit, try again after a timeout, a connection error or a 5xx, stop at any 2xx or 4xx — or,
//! to simulate lost answers, deliver a fixed number of times, one after another or all at once.

use super::answer::{classify, ReplyContext, Verdict};
use super::compose::{outgoing, Outgoing, Params};
use super::journal::Delivery;
use super::request::{Plan, Schedule};
use crate::state::Sim;
use crate::wire::Format;
use std::io::Write;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Everything fixed for the deliveries of one push.
pub struct Job<'a> {
    pub sim: &'a Sim,
    pub plan: &'a Plan,
    pub push: u64,
    pub appid: &'a str,
    pub openid: Option<&'a str>,
    pub to_user_name: &'a str,
    pub msg_id: Option<u64>,
    pub plain: &'a str,
    pub first: Params,
    pub client: reqwest::Client,
}

/// How one request ended, before WeChat reads the answer.
struct Sent {
    status: Option<u16>,
    outcome: String,
    body: Option<String>,
    elapsed_ms: u64,
}

/// Runs the schedule and returns every attempt, in order; each is in the push log already.
pub async fn deliver_all(job: &Job<'_>) -> Vec<Delivery> {
    let mut done = Vec::new();
    match job.plan.schedule {
        Schedule::Retry(max) => {
            for attempt in 1..=max {
                let delivery = deliver_one(job, attempt).await;
                let retry = delivery.is_retryable();
                done.push(delivery);
                if !retry {
                    break;
                }
            }
        }
        Schedule::Forced { times, concurrent: false } => {
            for attempt in 1..=times {
                done.push(deliver_one(job, attempt).await);
            }
        }
        Schedule::Forced { times, concurrent: true } => done = deliver_together(job, times).await,
    }
    done
}

async fn deliver_one(job: &Job<'_>, attempt: u32) -> Delivery {
    let at = job.sim.clock.now();
    let out = request_for(job, attempt);
    let sent = send(job.client.clone(), out.clone(), job.plan.format, job.plan.timeout).await;
    record(job, attempt, at, out, sent)
}

/// All deliveries start at once, as when WeChat redelivers while the first is still running.
async fn deliver_together(job: &Job<'_>, times: u32) -> Vec<Delivery> {
    let at = job.sim.clock.now();
    let mut tasks = JoinSet::new();
    for attempt in 1..=times {
        let out = request_for(job, attempt);
        let (client, format, timeout) = (job.client.clone(), job.plan.format, job.plan.timeout);
        tasks.spawn(async move {
            let sent = send(client, out.clone(), format, timeout).await;
            (attempt, out, sent)
        });
    }
    let mut finished = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        // A task only panics if reqwest does; that attempt is then simply missing.
        if let Ok(result) = joined {
            finished.push(result);
        }
    }
    finished.sort_by_key(|(attempt, _, _)| *attempt);
    finished.into_iter().map(|(attempt, out, sent)| record(job, attempt, at, out, sent)).collect()
}

/// The first delivery's parameters, reused unless the request wants fresh ones per attempt.
fn request_for(job: &Job<'_>, attempt: u32) -> Outgoing {
    let params = if attempt == 1 || job.plan.same_params_on_retry {
        job.first.clone()
    } else {
        let timestamp = job.plan.timestamp.unwrap_or_else(|| u64::try_from(job.sim.clock.now()).unwrap_or(0));
        Params::fresh(&mut job.sim.lock().rng, timestamp)
    };
    outgoing(job.plan, job.appid, job.to_user_name, job.openid, job.plain, &params)
}

async fn send(client: reqwest::Client, out: Outgoing, format: Format, timeout: Duration) -> Sent {
    let content_type = match format {
        Format::Xml => "text/xml",
        Format::Json => "application/json",
    };
    let started = Instant::now();
    let result =
        client.post(&out.url).header(reqwest::header::CONTENT_TYPE, content_type).body(out.body).timeout(timeout).send().await;
    let answered = match result {
        Ok(response) => {
            let status = response.status().as_u16();
            response.text().await.map(|body| (status, body))
        }
        Err(e) => Err(e),
    };
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match answered {
        Ok((status, body)) => Sent {
            status: Some(status),
            outcome: if (200..300).contains(&status) { "answered".into() } else { format!("http_{status}") },
            body: Some(body),
            elapsed_ms,
        },
        Err(e) => Sent {
            status: None,
            outcome: if e.is_timeout() { "timeout" } else { "connection_error" }.into(),
            body: None,
            elapsed_ms,
        },
    }
}

/// Reads the answer as WeChat would, and logs the attempt.
fn record(job: &Job<'_>, attempt: u32, at: i64, out: Outgoing, sent: Sent) -> Delivery {
    let verdict = match (&sent.status, &sent.body) {
        (Some(200..=299), Some(body)) => Some(classify(&reply_context(job), body)),
        _ => None,
    };
    let delivery = Delivery {
        push: job.push,
        attempt,
        outcome: sent.outcome,
        status: sent.status,
        elapsed_ms: sent.elapsed_ms,
        body: sent.body,
        reply: verdict.as_ref().map(Verdict::name),
        reply_content: match &verdict {
            Some(Verdict::TextReply(content)) => Some(content.clone()),
            _ => None,
        },
        reason: match verdict {
            Some(Verdict::Abnormal(why)) => Some(why),
            _ => None,
        },
        at,
        url: job.plan.url.clone(),
        appid: job.appid.to_string(),
        openid: job.openid.map(str::to_string),
        msg_id: job.msg_id,
        query: out.query,
        request_body: out.body,
    };
    job.sim.lock().push_log.record(delivery.clone());
    if job.sim.config.print_log {
        let reply = delivery.reply.map(|r| format!(" ({r})")).unwrap_or_default();
        println!("push #{} attempt {} -> {}{reply} in {}ms", job.push, attempt, delivery.outcome, delivery.elapsed_ms);
        let _ = std::io::stdout().flush();
    }
    delivery
}

fn reply_context<'a>(job: &'a Job<'a>) -> ReplyContext<'a> {
    ReplyContext {
        format: job.plan.format,
        mode: job.plan.mode,
        token: &job.plan.token,
        aes_key: job.plan.aes_key.as_deref(),
        appid: job.appid,
        openid: job.openid,
        to_user_name: job.to_user_name,
    }
}
