//! State machines, their versions and aliases, activities and tags.
//!
//! The catalogue is small and changes rarely; these functions are plain statements
//! run by the writer thread (writes) or a reader (reads). Listings use keyset
//! pagination over `(created_at, arn)`, which is unique and stable.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{exists_or, not_found};
use crate::model::*;
use crate::{Result, page};

/// A stored text that does not parse as its enum: the row is corrupt.
pub(crate) fn bad_value(column: usize, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unexpected stored value {text:?}").into(),
    )
}

const MACHINE_COLUMNS: &str = "arn, name, type, definition, role_arn, description, created_at, \
     revision_id, logging_configuration, tracing_configuration";

fn machine(row: &Row<'_>) -> rusqlite::Result<StateMachine> {
    let kind: String = row.get(2)?;
    Ok(StateMachine {
        arn: row.get(0)?,
        name: row.get(1)?,
        machine_type: MachineType::parse(&kind).ok_or_else(|| bad_value(2, &kind))?,
        definition: row.get(3)?,
        role_arn: row.get(4)?,
        description: row.get(5)?,
        created_at: row.get(6)?,
        revision_id: row.get(7)?,
        logging_configuration: row.get(8)?,
        tracing_configuration: row.get(9)?,
    })
}

pub(crate) fn create_machine(conn: &Connection, m: &StateMachine) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO state_machines ({MACHINE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?
    .execute(params![
        m.arn,
        m.name,
        m.machine_type.as_str(),
        m.definition,
        m.role_arn,
        m.description,
        m.created_at,
        m.revision_id,
        m.logging_configuration,
        m.tracing_configuration
    ])
    .map_err(|e| exists_or("state machine", &m.arn, e))?;
    Ok(())
}

pub(crate) fn describe_machine(conn: &Connection, arn: &str) -> Result<StateMachine> {
    conn.prepare_cached(&format!(
        "SELECT {MACHINE_COLUMNS} FROM state_machines WHERE arn = ?1"
    ))?
    .query_row([arn], machine)
    .optional()?
    .ok_or_else(|| not_found("state machine", arn))
}

pub(crate) fn list_machines(conn: &Connection, req: &PageRequest) -> Result<Page<StateMachine>> {
    let (after_created, after_arn) = created_key("state_machines", req)?;
    let limit = req.limit();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MACHINE_COLUMNS} FROM state_machines WHERE (created_at, arn) > (?1, ?2) \
         ORDER BY created_at, arn LIMIT ?3"
    ))?;
    let items = stmt
        .query_map(params![after_created, after_arn, limit as i64 + 1], machine)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(created_page("state_machines", items, limit, |m| {
        (m.created_at, m.arn.clone())
    }))
}

pub(crate) fn update_machine(conn: &Connection, u: &StateMachineUpdate) -> Result<StateMachine> {
    let changed = conn
        .prepare_cached(
            "UPDATE state_machines SET definition = COALESCE(?2, definition), \
             role_arn = COALESCE(?3, role_arn), description = COALESCE(?4, description), \
             logging_configuration = COALESCE(?5, logging_configuration), \
             tracing_configuration = COALESCE(?6, tracing_configuration), revision_id = ?7 \
             WHERE arn = ?1",
        )?
        .execute(params![
            u.arn,
            u.definition,
            u.role_arn,
            u.description,
            u.logging_configuration,
            u.tracing_configuration,
            u.revision_id
        ])?;
    if changed == 0 {
        return Err(not_found("state machine", &u.arn));
    }
    describe_machine(conn, &u.arn)
}

pub(crate) fn delete_machine(conn: &Connection, arn: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM tags WHERE resource_arn = ?1 OR resource_arn IN \
         (SELECT arn FROM state_machine_aliases WHERE state_machine_arn = ?1)",
        [arn],
    )?;
    conn.execute(
        "DELETE FROM state_machine_aliases WHERE state_machine_arn = ?1",
        [arn],
    )?;
    conn.execute(
        "DELETE FROM state_machine_versions WHERE state_machine_arn = ?1",
        [arn],
    )?;
    conn.execute("DELETE FROM state_machines WHERE arn = ?1", [arn])?;
    Ok(())
}

// ---- versions ----

const VERSION_COLUMNS: &str =
    "state_machine_arn, number, description, definition, role_arn, revision_id, created_at";

fn version(row: &Row<'_>) -> rusqlite::Result<StateMachineVersion> {
    let machine: String = row.get(0)?;
    let number: i64 = row.get(1)?;
    Ok(StateMachineVersion {
        arn: format!("{machine}:{number}"),
        state_machine_arn: machine,
        number,
        description: row.get(2)?,
        definition: row.get(3)?,
        role_arn: row.get(4)?,
        revision_id: row.get(5)?,
        created_at: row.get(6)?,
    })
}

pub(crate) fn publish_version(
    conn: &Connection,
    machine_arn: &str,
    description: Option<String>,
    now: i64,
) -> Result<StateMachineVersion> {
    let m = describe_machine(conn, machine_arn)?;
    let latest = conn
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM state_machine_versions WHERE state_machine_arn = ?1 \
             ORDER BY number DESC LIMIT 1"
        ))?
        .query_row([machine_arn], version)
        .optional()?;
    if let Some(v) = latest.filter(|v| v.revision_id == m.revision_id) {
        return Ok(v);
    }
    let number: i64 = conn.query_row(
        "UPDATE state_machines SET next_version = next_version + 1 WHERE arn = ?1 \
         RETURNING next_version - 1",
        [machine_arn],
        |r| r.get(0),
    )?;
    conn.prepare_cached(&format!(
        "INSERT INTO state_machine_versions ({VERSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))?
    .execute(params![
        machine_arn,
        number,
        description,
        m.definition,
        m.role_arn,
        m.revision_id,
        now
    ])?;
    describe_version(conn, machine_arn, number)
}

pub(crate) fn describe_version(
    conn: &Connection,
    machine_arn: &str,
    number: i64,
) -> Result<StateMachineVersion> {
    conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM state_machine_versions \
         WHERE state_machine_arn = ?1 AND number = ?2"
    ))?
    .query_row(params![machine_arn, number], version)
    .optional()?
    .ok_or_else(|| not_found("state machine version", &format!("{machine_arn}:{number}")))
}

pub(crate) fn list_versions(
    conn: &Connection,
    machine_arn: &str,
    req: &PageRequest,
) -> Result<Page<StateMachineVersion>> {
    let before = match &req.next_token {
        Some(t) => page::int(&page::decode("versions", t)?, 0)?,
        None => i64::MAX,
    };
    let limit = req.limit();
    let mut items = conn
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM state_machine_versions \
             WHERE state_machine_arn = ?1 AND number < ?2 ORDER BY number DESC LIMIT ?3"
        ))?
        .query_map(params![machine_arn, before, limit as i64 + 1], version)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next_token = (items.len() > limit).then(|| {
        items.truncate(limit);
        page::encode("versions", vec![items[limit - 1].number.into()])
    });
    Ok(Page { items, next_token })
}

pub(crate) fn delete_version(conn: &Connection, machine_arn: &str, number: i64) -> Result<()> {
    conn.execute(
        "DELETE FROM state_machine_versions WHERE state_machine_arn = ?1 AND number = ?2",
        params![machine_arn, number],
    )?;
    Ok(())
}

// ---- aliases ----

const ALIAS_COLUMNS: &str =
    "arn, state_machine_arn, name, description, routing_configuration, created_at, updated_at";

fn alias(row: &Row<'_>) -> rusqlite::Result<Alias> {
    Ok(Alias {
        arn: row.get(0)?,
        state_machine_arn: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        routing_configuration: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}

pub(crate) fn create_alias(conn: &Connection, a: &Alias) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO state_machine_aliases ({ALIAS_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))?
    .execute(params![
        a.arn,
        a.state_machine_arn,
        a.name,
        a.description,
        a.routing_configuration,
        a.created_at,
        a.updated_at
    ])
    .map_err(|e| exists_or("alias", &a.arn, e))?;
    Ok(())
}

pub(crate) fn describe_alias(conn: &Connection, arn: &str) -> Result<Alias> {
    conn.prepare_cached(&format!(
        "SELECT {ALIAS_COLUMNS} FROM state_machine_aliases WHERE arn = ?1"
    ))?
    .query_row([arn], alias)
    .optional()?
    .ok_or_else(|| not_found("alias", arn))
}

pub(crate) fn update_alias(
    conn: &Connection,
    arn: &str,
    routing: Option<String>,
    description: Option<String>,
    now: i64,
) -> Result<Alias> {
    let changed = conn.execute(
        "UPDATE state_machine_aliases SET \
         routing_configuration = COALESCE(?2, routing_configuration), \
         description = COALESCE(?3, description), updated_at = ?4 WHERE arn = ?1",
        params![arn, routing, description, now],
    )?;
    if changed == 0 {
        return Err(not_found("alias", arn));
    }
    describe_alias(conn, arn)
}

pub(crate) fn list_aliases(
    conn: &Connection,
    machine_arn: &str,
    req: &PageRequest,
) -> Result<Page<Alias>> {
    let (after_created, after_arn) = created_key("aliases", req)?;
    let limit = req.limit();
    let items = conn
        .prepare_cached(&format!(
            "SELECT {ALIAS_COLUMNS} FROM state_machine_aliases WHERE state_machine_arn = ?1 \
             AND (created_at, arn) > (?2, ?3) ORDER BY created_at, arn LIMIT ?4"
        ))?
        .query_map(
            params![machine_arn, after_created, after_arn, limit as i64 + 1],
            alias,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(created_page("aliases", items, limit, |a| {
        (a.created_at, a.arn.clone())
    }))
}

pub(crate) fn delete_alias(conn: &Connection, arn: &str) -> Result<()> {
    conn.execute("DELETE FROM tags WHERE resource_arn = ?1", [arn])?;
    conn.execute("DELETE FROM state_machine_aliases WHERE arn = ?1", [arn])?;
    Ok(())
}

// ---- activities ----

fn activity(row: &Row<'_>) -> rusqlite::Result<Activity> {
    Ok(Activity {
        arn: row.get(0)?,
        name: row.get(1)?,
        created_at: row.get(2)?,
    })
}

pub(crate) fn create_activity(conn: &Connection, a: &Activity) -> Result<Activity> {
    conn.execute(
        "INSERT INTO activities (arn, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![a.arn, a.name, a.created_at],
    )?;
    conn.query_row(
        "SELECT arn, name, created_at FROM activities WHERE name = ?1",
        [&a.name],
        activity,
    )
    .optional()?
    // The ARN was taken under another name: a caller bug, reported as a conflict.
    .ok_or_else(|| crate::Error::AlreadyExists {
        kind: "activity",
        id: a.arn.clone(),
    })
}

pub(crate) fn describe_activity(conn: &Connection, arn: &str) -> Result<Activity> {
    conn.query_row(
        "SELECT arn, name, created_at FROM activities WHERE arn = ?1",
        [arn],
        activity,
    )
    .optional()?
    .ok_or_else(|| not_found("activity", arn))
}

pub(crate) fn list_activities(conn: &Connection, req: &PageRequest) -> Result<Page<Activity>> {
    let (after_created, after_arn) = created_key("activities", req)?;
    let limit = req.limit();
    let items = conn
        .prepare_cached(
            "SELECT arn, name, created_at FROM activities WHERE (created_at, arn) > (?1, ?2) \
             ORDER BY created_at, arn LIMIT ?3",
        )?
        .query_map(
            params![after_created, after_arn, limit as i64 + 1],
            activity,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(created_page("activities", items, limit, |a| {
        (a.created_at, a.arn.clone())
    }))
}

pub(crate) fn delete_activity(conn: &Connection, arn: &str) -> Result<()> {
    conn.execute("DELETE FROM tags WHERE resource_arn = ?1", [arn])?;
    conn.execute("DELETE FROM activities WHERE arn = ?1", [arn])?;
    Ok(())
}

// ---- tags ----

pub(crate) fn tag(conn: &Connection, arn: &str, tags: &[(String, String)]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO tags (resource_arn, key, value) VALUES (?1, ?2, ?3) \
         ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
    )?;
    for (k, v) in tags {
        stmt.execute(params![arn, k, v])?;
    }
    Ok(())
}

pub(crate) fn untag(conn: &Connection, arn: &str, keys: &[String]) -> Result<()> {
    let mut stmt = conn.prepare_cached("DELETE FROM tags WHERE resource_arn = ?1 AND key = ?2")?;
    for k in keys {
        stmt.execute(params![arn, k])?;
    }
    Ok(())
}

pub(crate) fn list_tags(conn: &Connection, arn: &str) -> Result<Vec<(String, String)>> {
    Ok(conn
        .prepare_cached("SELECT key, value FROM tags WHERE resource_arn = ?1 ORDER BY key")?
        .query_map([arn], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

// ---- pagination over (created_at, arn) ----

fn created_key(kind: &str, req: &PageRequest) -> Result<(i64, String)> {
    match &req.next_token {
        Some(t) => {
            let key = page::decode(kind, t)?;
            Ok((page::int(&key, 0)?, page::text(&key, 1)?))
        }
        None => Ok((i64::MIN, String::new())),
    }
}

fn created_page<T>(
    kind: &str,
    mut items: Vec<T>,
    limit: usize,
    key: impl Fn(&T) -> (i64, String),
) -> Page<T> {
    let next_token = (items.len() > limit).then(|| {
        items.truncate(limit);
        let (created, arn) = key(&items[limit - 1]);
        page::encode(kind, vec![created.into(), arn.into()])
    });
    Page { items, next_token }
}
