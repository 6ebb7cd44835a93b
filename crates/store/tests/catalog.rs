//! State machines, versions, aliases, activities and tags on a real SQLite file.

mod common;

use common::*;
use store::*;

#[test]
fn schema_is_created_and_reopened() {
    let (_dir, path) = temp_db();
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), 8);
    s.create_state_machine(machine("m", 1)).unwrap();
    drop(s);
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), 8);
    assert_eq!(
        s.describe_state_machine(&machine_arn("m")).unwrap(),
        machine("m", 1)
    );
    s.integrity_check().unwrap();
}

#[test]
fn newer_schema_is_refused() {
    let (_dir, path) = temp_db();
    drop(SqliteStore::open(&path).unwrap());
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute(
        "INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'future', 0)",
        [],
    )
    .unwrap();
    drop(raw);
    match SqliteStore::open(&path) {
        Err(Error::Schema(m)) => assert!(m.contains("99"), "{m}"),
        other => panic!("expected a schema error, got {:?}", other.err()),
    }
}

#[test]
fn a_file_that_is_not_a_database_is_corrupt() {
    let (_dir, path) = temp_db();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    match SqliteStore::open(&path) {
        Err(Error::Corrupt(_)) => {}
        other => panic!("expected Corrupt, got {:?}", other.err()),
    }
}

#[test]
fn state_machine_round_trip_and_name_uniqueness() {
    let (_dir, path) = temp_db();
    let s = SqliteStore::open(&path).unwrap();
    let m = machine("orders", 10);
    s.create_state_machine(m.clone()).unwrap();
    assert_eq!(
        s.create_state_machine(m.clone()),
        Err(Error::AlreadyExists {
            kind: "state machine",
            id: m.arn.clone()
        })
    );
    // Same name under another ARN is refused too (names are unique per account).
    let mut other = m.clone();
    other.arn.push_str("-x");
    assert!(matches!(
        s.create_state_machine(other),
        Err(Error::AlreadyExists { .. })
    ));

    let updated = s
        .update_state_machine(StateMachineUpdate {
            arn: m.arn.clone(),
            definition: Some("{}".into()),
            revision_id: "rev-2".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(updated.definition, "{}");
    assert_eq!(updated.role_arn, m.role_arn);
    assert_eq!(updated.revision_id, "rev-2");

    s.delete_state_machine(&m.arn).unwrap();
    assert!(matches!(
        s.describe_state_machine(&m.arn),
        Err(Error::NotFound { .. })
    ));
    s.delete_state_machine(&m.arn).unwrap();
    assert!(matches!(
        s.update_state_machine(StateMachineUpdate {
            arn: m.arn.clone(),
            revision_id: "r".into(),
            ..Default::default()
        }),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn listing_pages_through_every_machine_once() {
    let (_dir, path) = temp_db();
    let s = SqliteStore::open(&path).unwrap();
    for i in 0..25 {
        // Equal creation times exercise the ARN tie-break of the page key.
        s.create_state_machine(machine(&format!("m{i:02}"), i / 4))
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut req = PageRequest::first(7);
    loop {
        let page = s.list_state_machines(&req).unwrap();
        assert!(page.items.len() <= 7);
        seen.extend(page.items.into_iter().map(|m| m.name));
        match page.next_token {
            Some(t) => req.next_token = Some(t),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("m{i:02}")).collect();
    assert_eq!(seen, expected);
    let bad = PageRequest {
        max_results: 5,
        next_token: Some("garbage".into()),
    };
    assert_eq!(s.list_state_machines(&bad), Err(Error::InvalidToken));
}

#[test]
fn versions_are_numbered_once_and_published_idempotently() {
    let (_dir, path) = temp_db();
    let s = SqliteStore::open(&path).unwrap();
    let m = machine("v", 1);
    s.create_state_machine(m.clone()).unwrap();
    let v1 = s.publish_version(&m.arn, Some("first".into()), 5).unwrap();
    assert_eq!((v1.number, v1.arn.clone()), (1, format!("{}:1", m.arn)));
    // Unchanged revision: the same version comes back.
    assert_eq!(s.publish_version(&m.arn, None, 6).unwrap(), v1);
    for rev in 2..=4 {
        s.update_state_machine(StateMachineUpdate {
            arn: m.arn.clone(),
            revision_id: format!("rev-{rev}"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.publish_version(&m.arn, None, rev).unwrap().number, rev);
    }
    s.delete_version(&m.arn, 4).unwrap();
    s.update_state_machine(StateMachineUpdate {
        arn: m.arn.clone(),
        revision_id: "rev-5".into(),
        ..Default::default()
    })
    .unwrap();
    // Numbers are never reused after a delete.
    assert_eq!(s.publish_version(&m.arn, None, 9).unwrap().number, 5);

    let first = s.list_versions(&m.arn, &PageRequest::first(2)).unwrap();
    assert_eq!(
        first.items.iter().map(|v| v.number).collect::<Vec<_>>(),
        [5, 3]
    );
    let rest = s
        .list_versions(
            &m.arn,
            &PageRequest {
                max_results: 2,
                next_token: first.next_token,
            },
        )
        .unwrap();
    assert_eq!(
        rest.items.iter().map(|v| v.number).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(rest.next_token, None);
    assert_eq!(
        s.describe_version(&m.arn, 1)
            .unwrap()
            .description
            .as_deref(),
        Some("first")
    );
    assert!(matches!(
        s.describe_version(&m.arn, 4),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        s.publish_version(&machine_arn("absent"), None, 1),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn aliases_round_trip() {
    let (_dir, path) = temp_db();
    let s = SqliteStore::open(&path).unwrap();
    let m = machine("a", 1);
    s.create_state_machine(m.clone()).unwrap();
    let alias = Alias {
        arn: format!("{}:prod", m.arn),
        state_machine_arn: m.arn.clone(),
        name: "prod".into(),
        description: None,
        routing_configuration: r#"[{"stateMachineVersionArn":"x:1","weight":100}]"#.into(),
        created_at: 3,
        updated_at: 3,
    };
    s.create_alias(alias.clone()).unwrap();
    assert!(matches!(
        s.create_alias(alias.clone()),
        Err(Error::AlreadyExists { .. })
    ));
    let updated = s
        .update_alias(&alias.arn, None, Some("live".into()), 8)
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("live"));
    assert_eq!(updated.routing_configuration, alias.routing_configuration);
    assert_eq!(updated.updated_at, 8);
    let listed = s.list_aliases(&m.arn, &PageRequest::default()).unwrap();
    assert_eq!(listed.items, vec![updated]);
    s.tag_resource(&alias.arn, &[("k".into(), "v".into())])
        .unwrap();
    s.delete_state_machine(&m.arn).unwrap();
    assert!(matches!(
        s.describe_alias(&alias.arn),
        Err(Error::NotFound { .. })
    ));
    assert!(s.list_tags(&alias.arn).unwrap().is_empty());
}

#[test]
fn activities_and_tags() {
    let (_dir, path) = temp_db();
    let s = SqliteStore::open(&path).unwrap();
    let a = Activity {
        arn: format!("arn:aws:states:{REGION_ACCOUNT}:activity:work"),
        name: "work".into(),
        created_at: 1,
    };
    assert_eq!(s.create_activity(a.clone()).unwrap(), a);
    // CreateActivity is idempotent: the first one stays.
    let again = Activity {
        created_at: 99,
        ..a.clone()
    };
    assert_eq!(s.create_activity(again).unwrap(), a);
    assert_eq!(s.describe_activity(&a.arn).unwrap(), a);
    assert_eq!(
        s.list_activities(&PageRequest::default()).unwrap().items,
        vec![a.clone()]
    );

    s.tag_resource(
        &a.arn,
        &[("b".into(), "1".into()), ("a".into(), "2".into())],
    )
    .unwrap();
    s.tag_resource(&a.arn, &[("b".into(), "3".into())]).unwrap();
    assert_eq!(
        s.list_tags(&a.arn).unwrap(),
        vec![("a".into(), "2".into()), ("b".into(), "3".into())]
    );
    s.untag_resource(&a.arn, &["a".into()]).unwrap();
    assert_eq!(s.list_tags(&a.arn).unwrap(), vec![("b".into(), "3".into())]);

    s.delete_activity(&a.arn).unwrap();
    assert!(matches!(
        s.describe_activity(&a.arn),
        Err(Error::NotFound { .. })
    ));
    assert!(s.list_tags(&a.arn).unwrap().is_empty());
}

#[test]
fn a_lock_held_past_the_busy_timeout_is_busy() {
    let (_dir, path) = temp_db();
    let options = SqliteOptions {
        busy_timeout: std::time::Duration::from_millis(100),
        ..SqliteOptions::default()
    };
    let s = SqliteStore::open_with(&path, options).unwrap();
    // Another process (here: a raw connection) holds the write lock.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert!(matches!(
        s.create_state_machine(machine("b", 1)),
        Err(Error::Busy(_))
    ));
    other.execute_batch("ROLLBACK").unwrap();
    // The writer carries on once the lock is gone.
    s.create_state_machine(machine("b", 1)).unwrap();
}

#[test]
fn an_unusable_path_is_an_io_error() {
    let (dir, _) = temp_db();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    match SqliteStore::open(file.join("sub").join("db")) {
        Err(Error::Io(_)) => {}
        other => panic!("expected Io, got {:?}", other.err()),
    }
}
