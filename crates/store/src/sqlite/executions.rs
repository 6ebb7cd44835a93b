//! Executions: StartExecution's insert, DescribeExecution, ListExecutions and the
//! states the runtime resumes from.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::machines::bad_value;
use super::{commit, exists_or, not_found};
use crate::model::*;
use crate::{Error, Result, page};

fn status(row: &Row<'_>, i: usize) -> rusqlite::Result<ExecutionStatus> {
    let text: String = row.get(i)?;
    ExecutionStatus::parse(&text).ok_or_else(|| bad_value(i, &text))
}

const EXECUTION_COLUMNS: &str = "arn, state_machine_arn, state_machine_version_arn, \
     state_machine_alias_arn, name, status, input, output, error, cause, started_at, stopped_at, \
     redrive_count, redrive_status, version, next_event_id, redrive_date";

fn execution(row: &Row<'_>) -> rusqlite::Result<Execution> {
    Ok(Execution {
        arn: row.get(0)?,
        state_machine_arn: row.get(1)?,
        state_machine_version_arn: row.get(2)?,
        state_machine_alias_arn: row.get(3)?,
        name: row.get(4)?,
        status: status(row, 5)?,
        input: row.get(6)?,
        output: row.get(7)?,
        error: row.get(8)?,
        cause: row.get(9)?,
        started_at: row.get(10)?,
        stopped_at: row.get(11)?,
        redrive_count: row.get(12)?,
        redrive_status: row.get(13)?,
        version: row.get(14)?,
        next_event_id: row.get(15)?,
        redrive_date: row.get(16)?,
    })
}

/// Inserts the execution and applies its first transition; an existing execution
/// of the same machine and name is returned instead.
pub(crate) fn start(
    conn: &Connection,
    e: &NewExecution,
    first: &Transition,
) -> Result<StartOutcome> {
    if first.execution_arn != e.arn || first.expected_version != 0 {
        return Err(Error::Invalid(
            "the first transition must be of the new execution and expect version 0".into(),
        ));
    }
    let existing = conn
        .prepare_cached(&format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE state_machine_arn = ?1 AND name = ?2"
        ))?
        .query_row(params![e.state_machine_arn, e.name], execution)
        .optional()?;
    if let Some(found) = existing {
        return Ok(StartOutcome::Existing(Box::new(found)));
    }
    conn.prepare_cached(
        "INSERT INTO executions (arn, state_machine_arn, state_machine_version_arn, \
         state_machine_alias_arn, name, status, input, started_at, version, next_event_id, id) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'RUNNING', ?6, ?7, 0, 1, \
                 (SELECT COALESCE(MAX(id), 0) + 1 FROM executions))",
    )?
    .execute(params![
        e.arn,
        e.state_machine_arn,
        e.state_machine_version_arn,
        e.state_machine_alias_arn,
        e.name,
        e.input,
        e.started_at
    ])
    .map_err(|err| exists_or("execution", &e.arn, err))?;
    match commit::apply(conn, first)? {
        CommitOutcome::Committed { .. } => Ok(StartOutcome::Started),
        other => Err(Error::Invalid(format!(
            "first transition not applied: {other:?}"
        ))),
    }
}

pub(crate) fn describe(conn: &Connection, arn: &str) -> Result<Execution> {
    conn.prepare_cached(&format!(
        "SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1"
    ))?
    .query_row([arn], execution)
    .optional()?
    .ok_or_else(|| not_found("execution", arn))
}

fn summary(row: &Row<'_>) -> rusqlite::Result<ExecutionSummary> {
    Ok(ExecutionSummary {
        arn: row.get(0)?,
        state_machine_arn: row.get(1)?,
        state_machine_version_arn: row.get(2)?,
        state_machine_alias_arn: row.get(3)?,
        name: row.get(4)?,
        status: status(row, 5)?,
        started_at: row.get(6)?,
        stopped_at: row.get(7)?,
        redrive_count: row.get(8)?,
        redrive_date: row.get(9)?,
    })
}

/// Newest first, keyset-paginated over `(started_at, arn)` descending.
pub(crate) fn list(
    conn: &Connection,
    filter: &ExecutionFilter,
    req: &PageRequest,
) -> Result<Page<ExecutionSummary>> {
    let mut sql = String::from(
        "SELECT arn, state_machine_arn, state_machine_version_arn, state_machine_alias_arn, name, \
         status, started_at, stopped_at, redrive_count, redrive_date FROM executions WHERE 1 = 1",
    );
    let mut args: Vec<SqlValue> = Vec::new();
    let mut clause = |sql: &mut String, column: &str, value: SqlValue| {
        args.push(value);
        sql.push_str(&format!(" AND {column} = ?{}", args.len()));
    };
    if let Some(m) = &filter.state_machine_arn {
        clause(&mut sql, "state_machine_arn", m.clone().into());
    }
    if let Some(v) = &filter.version_arn {
        clause(&mut sql, "state_machine_version_arn", v.clone().into());
    }
    if let Some(a) = &filter.alias_arn {
        clause(&mut sql, "state_machine_alias_arn", a.clone().into());
    }
    if let Some(s) = filter.status {
        clause(&mut sql, "status", s.as_str().to_string().into());
    }
    if let Some(t) = &req.next_token {
        let key = page::decode("executions", t)?;
        args.push(page::int(&key, 0)?.into());
        args.push(page::text(&key, 1)?.into());
        let n = args.len();
        sql.push_str(&format!(" AND (started_at, arn) < (?{}, ?{n})", n - 1));
    }
    let limit = req.limit();
    args.push((limit as i64 + 1).into());
    sql.push_str(&format!(
        " ORDER BY started_at DESC, arn DESC LIMIT ?{}",
        args.len()
    ));
    let mut items = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(args), summary)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next_token = (items.len() > limit).then(|| {
        items.truncate(limit);
        let last = &items[limit - 1];
        page::encode(
            "executions",
            vec![last.started_at.into(), last.arn.clone().into()],
        )
    });
    Ok(Page { items, next_token })
}

fn state(row: &Row<'_>) -> rusqlite::Result<ExecutionState> {
    Ok(ExecutionState {
        arn: row.get(0)?,
        status: status(row, 1)?,
        version: row.get(2)?,
        next_event_id: row.get(3)?,
        snapshot: row.get(4)?,
    })
}

pub(crate) fn execution_state(conn: &Connection, arn: &str) -> Result<ExecutionState> {
    conn.prepare_cached(
        "SELECT arn, status, version, next_event_id, snapshot FROM executions WHERE arn = ?1",
    )?
    .query_row([arn], state)
    .optional()?
    .ok_or_else(|| not_found("execution", arn))
}

pub(crate) fn running(
    conn: &Connection,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<ExecutionState>> {
    Ok(conn
        .prepare_cached(
            "SELECT arn, status, version, next_event_id, snapshot FROM executions \
             WHERE status = 'RUNNING' AND arn > ?1 ORDER BY arn LIMIT ?2",
        )?
        .query_map(params![after.unwrap_or(""), limit as i64], state)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}
