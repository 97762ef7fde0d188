//! The few ways the SQLite modules talk to a connection: run a statement, fetch rows decoded
//! by [`FromSqlite`], and build a statement whose shape depends on the request
//! ([`QueryBuilder`]). Every statement is prepared once per connection and cached, so a hot
//! query costs a bind and a step, not a parse.

use rusqlite::types::Value;
use rusqlite::{Connection, Params, Row, Statement};
use starling_core::{StoreError, StoreResult};

/// A value decoded from one result row.
pub(crate) trait FromSqlite: Sized {
    /// Checks, once per statement, that its columns are the ones `from_row` reads.
    fn check(_statement: &Statement<'_>) -> rusqlite::Result<()> {
        Ok(())
    }

    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self>;
}

/// Checks that the statement's columns from `first` on are named `names`, in order.
pub(crate) fn check_columns(statement: &Statement<'_>, first: usize, names: &[&str]) -> rusqlite::Result<()> {
    for (i, name) in names.iter().enumerate() {
        let found = statement.column_name(first + i)?;
        if !found.eq_ignore_ascii_case(name) {
            return Err(rusqlite::Error::InvalidColumnName(format!(
                "column {} is `{found}` where `{name}` was expected",
                first + i
            )));
        }
    }
    Ok(())
}

/// Single values decode from the first column.
macro_rules! scalar {
    ($($t:ty),*) => {$(
        impl FromSqlite for $t {
            fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
                row.get(0)
            }
        }
    )*};
}
scalar!(i64, i32, bool, String, Option<i64>, Option<String>);

/// Tuples decode column by column.
macro_rules! tuple {
    ($($t:ident $i:tt),*) => {
        impl<$($t: rusqlite::types::FromSql),*> FromSqlite for ($($t,)*) {
            fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)*))
            }
        }
    };
}
tuple!(A 0, B 1);
tuple!(A 0, B 1, C 2);
tuple!(A 0, B 1, C 2, D 3);
tuple!(A 0, B 1, C 2, D 3, E 4);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);

/// Statements on a connection, with errors already in the store's vocabulary.
pub(crate) trait Sql {
    /// Runs a statement; the number of rows it changed.
    fn run(&self, sql: &str, params: impl Params) -> StoreResult<usize>;
    /// Every row.
    fn all<T: FromSqlite>(&self, sql: &str, params: impl Params) -> StoreResult<Vec<T>>;
    /// The first row, or `NotFound`.
    fn one<T: FromSqlite>(&self, sql: &str, params: impl Params) -> StoreResult<T>;
    /// The first row, if there is one.
    fn optional<T: FromSqlite>(&self, sql: &str, params: impl Params) -> StoreResult<Option<T>>;
}

impl Sql for Connection {
    fn run(&self, sql: &str, params: impl Params) -> StoreResult<usize> {
        self.prepare_cached(sql).and_then(|mut s| s.execute(params)).map_err(db_error)
    }

    fn all<T: FromSqlite>(&self, sql: &str, params: impl Params) -> StoreResult<Vec<T>> {
        let mut statement = self.prepare_cached(sql).map_err(db_error)?;
        T::check(&statement).map_err(db_error)?;
        let rows = statement.query_map(params, |r| T::from_row(r)).map_err(db_error)?;
        rows.collect::<rusqlite::Result<Vec<T>>>().map_err(db_error)
    }

    fn one<T: FromSqlite>(&self, sql: &str, params: impl Params) -> StoreResult<T> {
        self.optional(sql, params)?.ok_or(StoreError::NotFound)
    }

    fn optional<T: FromSqlite>(&self, sql: &str, params: impl Params) -> StoreResult<Option<T>> {
        let mut statement = self.prepare_cached(sql).map_err(db_error)?;
        T::check(&statement).map_err(db_error)?;
        let mut rows = statement.query(params).map_err(db_error)?;
        match rows.next().map_err(db_error)? {
            Some(row) => T::from_row(row).map(Some).map_err(db_error),
            None => Ok(None),
        }
    }
}

/// A statement assembled piece by piece, with its parameters bound in order.
pub(crate) struct QueryBuilder {
    sql: String,
    params: Vec<Value>,
}

impl QueryBuilder {
    pub(crate) fn new(sql: impl Into<String>) -> QueryBuilder {
        QueryBuilder { sql: sql.into(), params: Vec::new() }
    }

    pub(crate) fn push(&mut self, sql: impl std::fmt::Display) -> &mut QueryBuilder {
        use std::fmt::Write as _;
        let _ = write!(self.sql, "{sql}");
        self
    }

    /// Appends a placeholder and binds `value` to it.
    pub(crate) fn push_bind(&mut self, value: impl Into<Value>) -> &mut QueryBuilder {
        self.sql.push('?');
        self.params.push(value.into());
        self
    }

    pub(crate) fn all<T: FromSqlite>(&self, c: &Connection) -> StoreResult<Vec<T>> {
        c.all(&self.sql, rusqlite::params_from_iter(self.params.iter()))
    }
}

/// Maps a driver error onto the store's small vocabulary: unique violations name the taken
/// column (`UNIQUE constraint failed: accounts.username` -> `Conflict("username")`), a foreign
/// key violation means a referenced row does not exist.
pub(crate) fn db_error(e: rusqlite::Error) -> StoreError {
    use rusqlite::ffi;
    match &e {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        rusqlite::Error::SqliteFailure(f, message)
            if f.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            let what = message
                .as_deref()
                .and_then(|m| m.rsplit(['.', ' ']).next())
                .filter(|s| !s.is_empty())
                .unwrap_or("value")
                .to_string();
            StoreError::Conflict(what)
        }
        rusqlite::Error::SqliteFailure(f, _) if f.extended_code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
            StoreError::NotFound
        }
        _ => StoreError::Other(e.to_string()),
    }
}

/// A list of ids as one JSON array parameter, for `IN (SELECT value FROM json_each(?))`: one
/// cached statement whatever the length, and no limit on the number of bound variables.
pub(crate) fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    let mut out = String::from("[");
    for (i, id) in ids.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out.push(']');
    out
}

/// A list of strings as one JSON array parameter.
pub(crate) fn text_list(items: &[String]) -> StoreResult<String> {
    serde_json::to_string(items).map_err(|e| StoreError::Other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Connection {
        let c = Connection::open_in_memory().expect("opens");
        c.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
             CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a (id));",
        )
        .expect("creates");
        c
    }

    #[test]
    fn id_lists_are_json_arrays() {
        assert_eq!(id_list([]), "[]");
        assert_eq!(id_list([1, 22, 333]), "[1,22,333]");
    }

    #[test]
    fn errors_speak_the_store_vocabulary() {
        let c = memory();
        c.run("INSERT INTO a (id, name) VALUES (1, 'x')", []).expect("inserts");
        match c.run("INSERT INTO a (id, name) VALUES (2, 'x')", []) {
            Err(StoreError::Conflict(what)) => assert_eq!(what, "name"),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert!(matches!(c.run("INSERT INTO b (id, a_id) VALUES (1, 9)", []), Err(StoreError::NotFound)));
        assert!(matches!(c.one::<i64>("SELECT id FROM a WHERE id = 5", []), Err(StoreError::NotFound)));
        assert_eq!(c.optional::<String>("SELECT name FROM a WHERE id = ?", [1]).expect("reads"), Some("x".into()));
    }

    #[test]
    fn columns_out_of_order_are_caught_before_any_row_is_read() {
        let c = memory();
        let statement = c.prepare("SELECT name, id FROM a").expect("prepares");
        assert!(check_columns(&statement, 0, &["name", "id"]).is_ok());
        assert!(check_columns(&statement, 1, &["id"]).is_ok());
        let err = check_columns(&statement, 0, &["id", "name"]).expect_err("out of order");
        assert!(err.to_string().contains("`name` where `id` was expected"), "{err}");
    }

    #[test]
    fn built_queries_bind_in_order() {
        let c = memory();
        for (id, name) in [(1, "p"), (2, "q"), (3, "r")] {
            c.run("INSERT INTO a (id, name) VALUES (?, ?)", rusqlite::params![id, name]).expect("inserts");
        }
        let mut qb = QueryBuilder::new("SELECT id, name FROM a WHERE id > ");
        qb.push_bind(1_i64).push(" AND name <> ").push_bind("r".to_string()).push(" ORDER BY id");
        let rows: Vec<(i64, String)> = qb.all(&c).expect("reads");
        assert_eq!(rows, vec![(2, "q".to_string())]);
    }
}
