//! Turning fetched rows into domain values: the part of hydration that is the same for every
//! backend. Each backend fetches the rows and the related maps with its own SQL, in batches,
//! and hands them here.

use std::collections::{HashMap, HashSet};

use starling_core::StoreResult;
use starling_core::media::Media;
use starling_core::model::{Account, MentionRef, Status};
use starling_core::notify::Notification;
use starling_core::page::PageRequest;

use crate::rows::{NotificationRow, StatusRow};

/// The distinct values of `items`, in no particular order: the id list of a batched query.
pub(crate) fn distinct(items: impl IntoIterator<Item = i64>) -> Vec<i64> {
    items.into_iter().collect::<HashSet<_>>().into_iter().collect()
}

/// The reblogged originals that `rows` point at and that were not fetched with them.
/// Ids gathered from several sources of one page (a home's entries and its merged authors, or
/// its follows and its followed tags), each read in the direction `req` walks: sorted that way,
/// each once, cut to the page.
pub(crate) fn one_page_of(mut ids: Vec<i64>, req: &PageRequest) -> Vec<i64> {
    if req.ascending() {
        ids.sort_unstable();
    } else {
        ids.sort_unstable_by(|a, b| b.cmp(a));
    }
    ids.dedup();
    ids.truncate(req.limit as usize);
    ids
}

pub(crate) fn missing_originals(rows: &[StatusRow]) -> Vec<i64> {
    let fetched: HashSet<i64> = rows.iter().map(|r| r.id).collect();
    distinct(rows.iter().filter_map(|r| r.reblog_of_id).filter(|id| !fetched.contains(id)))
}

/// The statuses `rows` quote that are not among them (a quoted status is always an original).
pub(crate) fn missing_quoted(rows: &[StatusRow]) -> Vec<i64> {
    let fetched: HashSet<i64> = rows.iter().map(|r| r.id).collect();
    distinct(rows.iter().filter_map(|r| r.quote_of_id).filter(|id| !fetched.contains(id)))
}

/// Fully built statuses from their rows (the requested ones plus the originals they reblog),
/// keyed by id and limited to `requested`.
pub(crate) fn statuses(
    rows: Vec<StatusRow>,
    requested: &HashSet<i64>,
    accounts: &HashMap<i64, Account>,
    mut mentions: HashMap<i64, Vec<MentionRef>>,
    mut tags: HashMap<i64, Vec<String>>,
    mut media: HashMap<i64, Vec<Media>>,
) -> StoreResult<HashMap<i64, Status>> {
    // Every status on its own first, then each quote a copy of the status it quotes (as it is
    // on its own: one level), then each reblog a copy of its original (quote included).
    let mut reblog_of: Vec<(i64, i64)> = Vec::new();
    let mut quote_of: Vec<(i64, i64)> = Vec::new();
    let mut plain: HashMap<i64, Status> = HashMap::with_capacity(rows.len());
    for row in rows {
        let Some(account) = accounts.get(&row.account_id).cloned() else { continue };
        if let Some(original) = row.reblog_of_id {
            reblog_of.push((row.id, original));
        }
        if let Some(quoted) = row.quote_of_id {
            quote_of.push((row.id, quoted));
        }
        let id = row.id;
        let mut status = row.into_status(account)?;
        status.mentions = mentions.remove(&id).unwrap_or_default();
        status.tags = tags.remove(&id).unwrap_or_default();
        status.media = media.remove(&id).unwrap_or_default();
        plain.insert(id, status);
    }
    let quoted: HashMap<i64, Status> =
        quote_of.iter().filter_map(|&(_, q)| Some((q, plain.get(&q)?.clone()))).collect();
    for (quote, of) in quote_of {
        if let (Some(q), Some(shown)) = (plain.get_mut(&quote), quoted.get(&of)) {
            q.quote = Some(Box::new(shown.clone()));
        }
    }
    for (reblog, original) in reblog_of {
        match plain.get(&original).cloned() {
            Some(o) => {
                if let Some(r) = plain.get_mut(&reblog) {
                    r.reblog = Some(Box::new(o));
                }
            }
            // A reblog whose original is gone is not shown (the foreign key makes this moot).
            None => {
                plain.remove(&reblog);
            }
        }
    }
    plain.retain(|id, _| requested.contains(id));
    Ok(plain)
}

/// What to do with a notification about a status that no longer exists. Lists skip it: the
/// `status.deleted` event that retracts it has not been applied yet, and will be soon.
/// A notification asked for by id, or just stored, is shown without its status.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum GoneStatus {
    Skip,
    ShowWithout,
}

/// The notifications of `rows`, in the order of `rows`, with the accounts they are from and the
/// statuses they are about. A row whose account is missing is skipped: accounts are never
/// deleted today, but the table has no foreign keys (it is a projection of the log), so a
/// backend that deletes accounts must not fail here.
pub(crate) fn notifications(
    rows: Vec<NotificationRow>,
    accounts: &HashMap<i64, Account>,
    statuses: &HashMap<i64, Status>,
    gone: GoneStatus,
) -> StoreResult<Vec<Notification>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(from_account) = accounts.get(&row.from_account_id).cloned() else { continue };
        let status = match row.status_id.map(|id| statuses.get(&id)) {
            None => None,
            Some(Some(status)) => Some(status.clone()),
            Some(None) if gone == GoneStatus::ShowWithout => None,
            Some(None) => continue,
        };
        out.push(row.into_notification(from_account, status)?);
    }
    Ok(out)
}
