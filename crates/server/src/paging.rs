//! Paging parameters in, `Link` headers out, as Mastodon pages every list.

use axum::Json;
use axum::http::header::LINK;
use axum::http::{HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use starling_core::page::{Page, PageRequest};

use crate::error::ApiResult;
use crate::params::Params;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub default: u32,
    pub max: u32,
}

pub const STATUSES: Limits = Limits { default: 20, max: 40 };
pub const ACCOUNTS: Limits = Limits { default: 40, max: 80 };

/// Reads `max_id`, `since_id`, `min_id` and `limit`; a limit above the maximum is clamped and
/// one below 1 becomes 1, as Mastodon does.
pub fn page_request(params: &Params, limits: Limits) -> ApiResult<PageRequest> {
    let limit = params.u32("limit")?.unwrap_or(limits.default).clamp(1, limits.max);
    Ok(PageRequest {
        max_id: params.id("max_id")?,
        since_id: params.id("since_id")?,
        min_id: params.id("min_id")?,
        limit,
    })
}

/// `Link: <…?max_id=X>; rel="next", <…?min_id=Y>; rel="prev"`. "next" only when the page was
/// full (there may be more), "prev" whenever the page has items.
pub fn link_header(base: &str, uri: &Uri, cursors: &[starling_core::Id], limit: u32) -> Option<HeaderValue> {
    let (first, last) = (cursors.first()?, cursors.last()?);
    let kept: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| !matches!(k.as_ref(), "max_id" | "min_id" | "since_id" | "access_token"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let url = |key: &str, id: &starling_core::Id| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &kept {
            query.append_pair(k, v);
        }
        query.append_pair(key, &id.to_string());
        format!("{base}{}?{}", uri.path(), query.finish())
    };
    let mut links = Vec::with_capacity(2);
    if cursors.len() as u32 >= limit {
        links.push(format!("<{}>; rel=\"next\"", url("max_id", last)));
    }
    links.push(format!("<{}>; rel=\"prev\"", url("min_id", first)));
    HeaderValue::from_str(&links.join(", ")).ok()
}

/// A JSON list with its `Link` header.
pub fn paged<T, U: Serialize>(base: &str, uri: &Uri, request: &PageRequest, page: Page<T>, items: Vec<U>) -> Response {
    let mut response = Json(items).into_response();
    if let Some(link) = link_header(base, uri, &page.cursors, request.limit) {
        response.headers_mut().insert(LINK, link);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use starling_core::Id;

    #[test]
    fn links_keep_other_parameters_and_replace_cursors() {
        let uri: Uri = "/api/v1/timelines/tag/rust?limit=2&max_id=9&only_media=false".parse().unwrap_or_default();
        let link = link_header("http://h", &uri, &[Id(8), Id(7)], 2).map(|v| v.to_str().unwrap_or("").to_string());
        assert_eq!(
            link.as_deref(),
            Some(
                "<http://h/api/v1/timelines/tag/rust?limit=2&only_media=false&max_id=7>; rel=\"next\", \
                 <http://h/api/v1/timelines/tag/rust?limit=2&only_media=false&min_id=8>; rel=\"prev\""
            )
        );
    }

    #[test]
    fn a_short_page_has_no_next_link_and_an_empty_one_no_links() {
        let uri: Uri = "/x".parse().unwrap_or_default();
        let link = link_header("http://h", &uri, &[Id(8)], 2).map(|v| v.to_str().unwrap_or("").to_string());
        assert_eq!(link.as_deref(), Some("<http://h/x?min_id=8>; rel=\"prev\""));
        assert!(link_header("http://h", &uri, &[], 2).is_none());
    }
}
