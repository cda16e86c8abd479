//! What one events request came to: a page (with the service's clock and
//! what its headers say of the requests to come), a refusal of the
//! credentials, or an error — a status, a transport failure, a body that is
//! not a page. The poll and its prefetch task read answers the same way.

use std::sync::Arc;

use chrono::NaiveDateTime;
use url::Url;

use crate::error::{Error, Result};
use crate::http::{self, Reply};
use crate::model::event::Page;
use crate::poll::politeness::rate_limit;
use crate::poll::politeness::Heard;
use crate::source::{Query, Response, Source};
use crate::util::clock;

/// What an events request came to, short of a failure.
pub(super) enum Answer {
    /// A page, with the service's clock when it answered and what its
    /// headers say of the requests to come (a `304 Not Modified` to a
    /// conditional request is an empty page).
    Page(Page, NaiveDateTime, Box<Heard>),
    /// 401/403, with the service's message.
    Unauthorized(String),
}

/// Awaits a request and reads its answer: a page, a refusal, or an error
/// (status, transport, a body that is not a page). `conditional`: the
/// request carried `If-None-Match`.
pub(super) async fn request_page(
    request: impl std::future::Future<Output = Result<Reply>>,
    shown: String,
    asked: (Url, Query),
    source: Arc<dyn Source>,
    max_nesting: usize,
    conditional: bool,
) -> Result<Answer> {
    let reply = request.await?;
    let status = reply.status.as_u16();
    let now = clock::service_now(&reply.headers);
    // a spent rate limit refuses with 403 or 429: retried after its reset,
    // not taken for refused credentials
    if status == 403 || status == 429 {
        if let Some(spent) = rate_limit::exhausted(&reply.headers, now) {
            return Err(Error::Status {
                url: shown,
                status,
                message: format!("rate limit exceeded ({}: 0): {}", spent.header, http::error_message(&reply.body)),
                retry_after: spent.reset_in.or_else(|| http::retry_after(&reply.headers)),
            });
        }
    }
    if status == 401 || status == 403 {
        return Ok(Answer::Unauthorized(http::error_message(&reply.body)));
    }
    if status == 304 {
        if !conditional {
            return Err(Error::Status {
                url: shown,
                status,
                message: "304 Not Modified to a request without If-None-Match".into(),
                retry_after: None,
            });
        }
        let (url, query) = asked;
        let heard =
            Box::new(Heard { url, first: query.marker.is_none(), not_modified: true, headers: reply.headers, now });
        return Ok(Answer::Page(Page::default(), now, heard));
    }
    if !reply.status.is_success() {
        return Err(Error::Status {
            url: shown,
            status,
            message: http::error_message(&reply.body),
            retry_after: http::retry_after(&reply.headers),
        });
    }
    let (url, query) = asked;
    let response = Response { url: &url, query: &query, headers: &reply.headers, body: &reply.body };
    let page = source.read(&response, max_nesting).map_err(|message| Error::Parse { url: shown, message })?;
    let heard =
        Box::new(Heard { url, first: query.marker.is_none(), not_modified: false, headers: reply.headers, now });
    Ok(Answer::Page(page, now, heard))
}
