//! Reports to the operators.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use starling_core::event;
use starling_core::model::Timestamp;
use starling_core::page::{Page, PageRequest};
use starling_core::report::{NewReport, Report};
use starling_core::{Id, StoreError, StoreResult};

use super::{Db, events, hydrate, page};
use crate::rows::{ReportRow, status_ids_json};

pub(crate) async fn create(c: &mut PgConnection, r: &NewReport) -> StoreResult<Report> {
    sqlx::query(
        "INSERT INTO reports (id, account_id, target_account_id, status_ids, comment, category, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.id.0)
    .bind(r.account.0)
    .bind(r.target.0)
    .bind(status_ids_json(&r.status_ids))
    .bind(&r.comment)
    .bind(r.category.as_str())
    .bind(r.created_at.0)
    .execute(&mut *c)
    .await
    .db()?;
    events::append(c, event::reported(r)).await?;
    one(c, r.id).await
}

pub(crate) async fn one(c: &mut PgConnection, id: Id) -> StoreResult<Report> {
    let row: Option<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{} WHERE id = $1", ReportRow::SELECT)))
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    let row = row.ok_or(StoreError::NotFound)?;
    hydrated(c, vec![row]).await.map(|mut v| v.remove(0))
}

pub(crate) async fn resolve(c: &mut PgConnection, id: Id, by: Id) -> StoreResult<Report> {
    let at = Timestamp::now();
    let updated = sqlx::query("UPDATE reports SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL")
        .bind(at.0)
        .bind(id.0)
        .execute(&mut *c)
        .await
        .db()?;
    if updated.rows_affected() > 0 {
        events::append(c, event::report_resolved(id, by, at)).await?;
    }
    one(c, id).await
}

pub(crate) async fn list(c: &mut PgConnection, resolved: bool, req: PageRequest) -> StoreResult<Page<Report>> {
    let mut qb = QueryBuilder::<Postgres>::new(ReportRow::SELECT);
    qb.push(if resolved { " WHERE resolved_at IS NOT NULL" } else { " WHERE resolved_at IS NULL" });
    page::push_bounds(&mut qb, "id", &req);
    let rows: Vec<ReportRow> = qb.build_query_as().fetch_all(&mut *c).await.db()?;
    let reports = hydrated(c, rows).await?;
    Ok(Page::from_fetched(&req, reports.into_iter().map(|r| (r.id, r)).collect()))
}

async fn hydrated(c: &mut PgConnection, rows: Vec<ReportRow>) -> StoreResult<Vec<Report>> {
    let ids: Vec<i64> = rows.iter().flat_map(|r| [r.account_id, r.target_account_id]).collect();
    let accounts = hydrate::accounts_by_ids(c, &ids).await?;
    rows.into_iter().map(|r| r.into_report(&accounts)).collect()
}
