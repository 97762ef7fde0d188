//! Reports to the operators.

use rusqlite::{Connection, params};
use starling_core::event;
use starling_core::model::Timestamp;
use starling_core::page::{Page, PageRequest};
use starling_core::report::{NewReport, Report};
use starling_core::{Id, StoreResult};

use super::{QueryBuilder, Sql, events, hydrate, page};
use crate::rows::{ReportRow, status_ids_json};

pub(crate) fn create(c: &Connection, r: &NewReport) -> StoreResult<Report> {
    c.run(
        "INSERT INTO reports (id, account_id, target_account_id, status_ids, comment, category, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![
            r.id.0,
            r.account.0,
            r.target.0,
            status_ids_json(&r.status_ids),
            r.comment,
            r.category.as_str(),
            r.created_at.0
        ],
    )?;
    events::append(c, event::reported(r))?;
    one(c, r.id)
}

pub(crate) fn one(c: &Connection, id: Id) -> StoreResult<Report> {
    let row: ReportRow = c.one(&format!("{} WHERE id = ?", ReportRow::SELECT), params![id.0])?;
    hydrated(c, vec![row]).map(|mut v| v.remove(0))
}

pub(crate) fn resolve(c: &Connection, id: Id, by: Id) -> StoreResult<Report> {
    let at = Timestamp::now();
    let updated =
        c.run("UPDATE reports SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL", params![at.0, id.0])?;
    if updated > 0 {
        events::append(c, event::report_resolved(id, by, at))?;
    }
    one(c, id)
}

pub(crate) fn list(c: &Connection, resolved: bool, req: PageRequest) -> StoreResult<Page<Report>> {
    let mut qb = QueryBuilder::new(ReportRow::SELECT);
    qb.push(if resolved { " WHERE resolved_at IS NOT NULL" } else { " WHERE resolved_at IS NULL" });
    page::push_bounds(&mut qb, "id", &req);
    let rows: Vec<ReportRow> = qb.all(c)?;
    let reports = hydrated(c, rows)?;
    Ok(Page::from_fetched(&req, reports.into_iter().map(|r| (r.id, r)).collect()))
}

fn hydrated(c: &Connection, rows: Vec<ReportRow>) -> StoreResult<Vec<Report>> {
    let ids: Vec<i64> = rows.iter().flat_map(|r| [r.account_id, r.target_account_id]).collect();
    let accounts = hydrate::accounts_by_ids(c, &ids)?;
    rows.into_iter().map(|r| r.into_report(&accounts)).collect()
}
