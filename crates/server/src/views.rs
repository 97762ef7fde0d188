//! Reading statuses on behalf of someone: who may see what, and rendering with the viewer's
//! own flags. Every handler that shows a status goes through here, so visibility is decided
//! in one place.

use std::collections::{HashMap, HashSet};

use starling_core::filters::{FilterContext, FilterMatch};
use starling_core::model::{Account, Status, Timestamp, Visibility};
use starling_core::safety::Hidden;
use starling_core::{Id, text};

use crate::auth::Auth;
use crate::entities::{Renderer, StatusJson, ViewerState};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The status that decides visibility: for a reblog, the reblogged one.
fn target(s: &Status) -> &Status {
    s.reblog.as_deref().unwrap_or(s)
}

fn needs_follow_check(s: &Status, viewer: Option<Id>) -> bool {
    let t = target(s);
    match viewer {
        Some(v) => t.visibility == Visibility::Private && !t.visible_to(Some(v), false),
        None => false,
    }
}

/// Who and what is hidden from the viewer: blocks either way, mutes, filters, suspended
/// accounts and silenced ones it does not follow (for a reader who is signed out, the last two).
pub async fn hidden(state: &AppState, viewer: Option<Id>) -> ApiResult<Hidden> {
    match viewer {
        Some(v) => Ok(state.store.hidden(v).await?),
        None => Ok(state.store.hidden_from_everyone().await?),
    }
}

/// Whether `viewer` may read `status`: its visibility allows it and no block stands between
/// them (a mute hides nothing that is asked for by id).
pub async fn can_see(state: &AppState, viewer: Option<Id>, status: &Status) -> ApiResult<bool> {
    let t = target(status);
    let follows = match viewer {
        Some(v) if needs_follow_check(status, viewer) => state.store.is_following(v, t.account.id).await?,
        _ => false,
    };
    Ok(t.visible_to(viewer, follows) && !hidden(state, viewer).await?.blocks_status(status))
}

/// The status, or 404 when it does not exist or the viewer may not see it.
pub async fn visible_status(state: &AppState, viewer: Option<Id>, id: Id) -> ApiResult<Status> {
    let status = state.store.status(id).await?;
    if can_see(state, viewer, &status).await? { Ok(status) } else { Err(ApiError::NotFound) }
}

/// Keeps the statuses the viewer may see, in order, with one relationship lookup in all: those
/// their visibility allows and no block keeps from the viewer (`hidden`, from [`hidden`]).
pub async fn filter_visible(
    state: &AppState,
    viewer: Option<Id>,
    hidden: &Hidden,
    statuses: Vec<Status>,
) -> ApiResult<Vec<Status>> {
    let authors: Vec<Id> = statuses
        .iter()
        .filter(|s| needs_follow_check(s, viewer))
        .map(|s| target(s).account.id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let followed: HashSet<Id> = match viewer {
        Some(v) if !authors.is_empty() => {
            state.store.relationships(v, &authors).await?.into_iter().filter(|r| r.following).map(|r| r.id).collect()
        }
        _ => HashSet::new(),
    };
    Ok(statuses
        .into_iter()
        .filter(|s| {
            let t = target(s);
            t.visible_to(viewer, followed.contains(&t.account.id)) && !hidden.blocks_status(s)
        })
        .collect())
}

/// What a timeline of `context` (home, public, a thread, a profile) shows the viewer of statuses
/// it may see, rendered: without what its blocks, mutes and `hide` filters keep from it, and
/// with its `warn` filters' marks (`Hidden::sift`). `hidden` is the viewer's, from [`hidden`]:
/// a request loads it once, however many lists it shows.
pub async fn timeline(
    state: &AppState,
    viewer: Option<&Auth>,
    hidden: &Hidden,
    statuses: Vec<Status>,
    context: FilterContext,
) -> ApiResult<Vec<StatusJson>> {
    let sifted = hidden.sift(statuses, context, Timestamp::now());
    render_marked(state, viewer, &sifted.statuses, sifted.warnings).await
}

/// Renders statuses for the viewer, with `favourited`/`reblogged` filled from one query.
pub async fn render_statuses(
    state: &AppState,
    viewer: Option<&Auth>,
    statuses: &[Status],
) -> ApiResult<Vec<StatusJson>> {
    render_marked(state, viewer, statuses, HashMap::new()).await
}

/// [`render_statuses`], with the viewer's `warn` filters that matched each status.
async fn render_marked(
    state: &AppState,
    viewer: Option<&Auth>,
    statuses: &[Status],
    filtered: HashMap<Id, Vec<FilterMatch>>,
) -> ApiResult<Vec<StatusJson>> {
    let renderer = Renderer::new(&state.settings.public_url);
    let viewer_state = match viewer {
        Some(auth) => {
            let mut ids: Vec<Id> = statuses.iter().map(|s| s.id).collect();
            ids.extend(statuses.iter().filter_map(|s| s.reblog.as_ref().map(|r| r.id)));
            let flags =
                if ids.is_empty() { Default::default() } else { state.store.viewer_flags(auth.id(), &ids).await? };
            let mut viewer = ViewerState::of(auth.id(), flags, visible_quotes(state, auth.id(), statuses).await?);
            viewer.filtered = filtered;
            Some(viewer)
        }
        None => None,
    };
    Ok(statuses.iter().map(|s| renderer.status(s, viewer_state.as_ref())).collect())
}

/// The quoted followers-only and direct statuses among `statuses`' quotes that `viewer` may
/// see, with one relationship lookup in all (public and unlisted ones need none).
pub async fn visible_quotes(state: &AppState, viewer: Id, statuses: &[Status]) -> ApiResult<HashSet<Id>> {
    let quoted: Vec<&Status> = statuses
        .iter()
        .filter_map(|s| target(s).quote.as_deref())
        .filter(|q| matches!(q.visibility, Visibility::Private | Visibility::Direct))
        .collect();
    let follow_checks: Vec<Id> = quoted
        .iter()
        .filter(|q| !q.visible_to(Some(viewer), false))
        .map(|q| q.account.id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let followed: HashSet<Id> = if follow_checks.is_empty() {
        HashSet::new()
    } else {
        state
            .store
            .relationships(viewer, &follow_checks)
            .await?
            .into_iter()
            .filter(|r| r.following)
            .map(|r| r.id)
            .collect()
    };
    Ok(quoted.iter().filter(|q| q.visible_to(Some(viewer), followed.contains(&q.account.id))).map(|q| q.id).collect())
}

pub async fn render_status(state: &AppState, viewer: Option<&Auth>, status: &Status) -> ApiResult<StatusJson> {
    let mut list = render_statuses(state, viewer, std::slice::from_ref(status)).await?;
    list.pop().ok_or_else(|| ApiError::Internal("rendering produced no status".into()))
}

/// Renders a status its author has just created: nobody has favourited or reblogged it yet, so
/// the viewer's flags need no query.
pub fn render_new_status(state: &AppState, status: &Status) -> StatusJson {
    // The author was allowed to quote what it quotes, so they may see it.
    let viewer = ViewerState {
        account: Some(status.account.id),
        visible_quotes: status.quote.iter().map(|q| q.id).collect(),
        ..ViewerState::default()
    };
    Renderer::new(&state.settings.public_url).status(status, Some(&viewer))
}

/// User text rendered to HTML, with what it refers to.
pub struct RenderedText {
    pub html: String,
    /// Existing accounts it mentions, in order of first mention.
    pub mentions: Vec<Account>,
    /// Lower-cased hashtags, in order of first use.
    pub tags: Vec<String>,
}

/// Renders user text (a status, a profile note): mentions of accounts that exist become links,
/// mentions of anyone else stay text.
pub async fn render_text(state: &AppState, source: &str) -> ApiResult<RenderedText> {
    let extracted = text::extract(source);
    let found = if extracted.mentions.is_empty() {
        Vec::new()
    } else {
        state.store.accounts_by_usernames(&extracted.mentions).await?
    };
    let mentions: Vec<Account> = extracted
        .mentions
        .iter()
        .filter_map(|name| found.iter().find(|a| a.username.eq_ignore_ascii_case(name)).cloned())
        .collect();
    let renderer = Renderer::new(&state.settings.public_url);
    let resolve = |name: &str| {
        mentions
            .iter()
            .find(|a| a.username.eq_ignore_ascii_case(name))
            .map(|a| (a.username.clone(), renderer.profile_url(&a.username)))
    };
    let html = text::render(source, &state.settings.public_url, &resolve);
    Ok(RenderedText { html, mentions, tags: extracted.tags })
}
