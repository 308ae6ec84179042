//! What only the PostgreSQL backend has: its migrations on a shared database, and the choice of
//! backend by URL scheme.

use crate::common;

use porchlight_server::{DatabaseUrl, Error, PgStorage, Storage};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_not_migrated_down() {
    let url = common::pg::fresh_database().await;
    drop(PgStorage::connect(&url).await.unwrap());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    client
        .batch_execute("INSERT INTO schema_version VALUES (99)")
        .await
        .unwrap();
    drop(client);
    driver.await.unwrap().unwrap();
    assert!(matches!(
        PgStorage::connect(&url).await,
        Err(Error::DatabaseTooNew { found: 99, .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_migrate_once_and_share_the_data() {
    let url = common::pg::fresh_database().await;
    // Four instances start at the same moment on an empty database: the advisory lock lets one
    // migrate while the others wait, and none fails on a table the other made.
    let starts = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { PgStorage::connect(&url).await })
    });
    let mut instances = Vec::new();
    for start in starts {
        instances.push(start.await.unwrap().unwrap());
    }
    let group = porchlight_sync::wire::GroupId::random();
    instances[0]
        .create_group(
            group,
            "Elm Street".into(),
            porchlight_server::NewMember {
                device: porchlight_model::DeviceId::from_bytes([1; 16]),
                public_key: [1; 32],
                display_name: "first".into(),
                joined_at: 1,
            },
        )
        .await
        .unwrap();
    let seen = instances[3]
        .member(group, porchlight_model::DeviceId::from_bytes([1; 16]))
        .await
        .unwrap();
    assert_eq!(seen.map(|m| m.display_name), Some("first".to_owned()));
}

#[tokio::test]
async fn an_unreachable_database_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "postgresql:///nothing?host={}&user=nobody&connect_timeout=2",
        dir.path().display()
    );
    assert!(matches!(
        PgStorage::connect(&url).await,
        Err(Error::Database(_))
    ));
}

#[test]
fn the_url_scheme_picks_the_backend() {
    assert_eq!(
        DatabaseUrl::parse("sqlite:///var/lib/porchlight/server.db").unwrap(),
        DatabaseUrl::Sqlite("/var/lib/porchlight/server.db".into())
    );
    for url in [
        "postgres://porchlight@db.example.org/porchlight",
        "postgresql:///porchlight?host=/run/postgresql",
    ] {
        assert_eq!(
            DatabaseUrl::parse(url).unwrap(),
            DatabaseUrl::Postgres(url.to_owned())
        );
    }
    for bad in ["sqlite://", "mysql://x/y", "server.db"] {
        assert!(matches!(
            DatabaseUrl::parse(bad),
            Err(Error::DatabaseUrl { .. })
        ));
    }
}
