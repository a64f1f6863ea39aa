//! Password authentication end to end: the emulator runs ScyllaDB's PasswordAuthenticator
//! handshake; the `Db` connects with the right credentials (through `DbBuilder::credentials`
//! or passed straight to the driver's builder with `DbBuilder::configure_session`), and wrong
//! or missing credentials fail `build()` with `Error::Connect` carrying the driver's
//! authentication error. Emulator only (a real cluster's credentials are not known here).

use orm_macros::Model;
use orm_runtime::{Db, Error};
use orm_tests::unique_keyspace;
use scylla_emulator::{Emulator, EmulatorHandle};

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "secrets")]
pub struct Secret {
    #[partition_key]
    pub id: i32,
    pub value: String,
}

const USER: &str = "app_user";
const PASSWORD: &str = "s3cr3t'; --";

async fn emulator() -> EmulatorHandle {
    Emulator::builder()
        .credentials(USER, PASSWORD)
        .start()
        .await
        .expect("start the emulator")
}

/// The full error text, sources included.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(" <- ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

fn assert_auth_failure(r: Result<Db, Error>, what: &str) {
    let err = r.expect_err(what);
    assert!(matches!(err, Error::Connect { .. }), "{what}: {err:?}");
    let text = format!("{} / {:?}", chain(&err), err);
    // The driver's AUTH_RESPONSE failure with ScyllaDB's code and message.
    assert!(
        text.contains("Authentication failed - bad credentials")
            && text.contains("Username and/or password are incorrect")
            && text.contains("AUTH_RESPONSE"),
        "{what}: not the driver's authentication error: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn right_credentials_connect_wrong_ones_are_rejected() {
    orm_tests::init_tracing();
    let emu = emulator().await;
    let uri = emu.addr().to_string();

    // Right credentials: the whole ORM works.
    let builder = Db::builder(&uri)
        .keyspace(unique_keyspace("auth_ok"))
        .credentials(USER, PASSWORD);
    let shown = format!("{builder:?}");
    assert!(shown.contains(USER), "{shown}");
    assert!(
        !shown.contains(PASSWORD),
        "the password leaks through Debug: {shown}"
    );
    let db = builder.build().await.expect("right credentials connect");
    db.migrate::<Secret>().await.unwrap();
    let s = Secret {
        id: 1,
        value: "top".into(),
    };
    s.insert(&db).await.unwrap();
    assert_eq!(Secret::get(&db, 1).await.unwrap(), Some(s));

    // Wrong password, wrong user, no credentials: the driver's authentication error.
    assert_auth_failure(
        Db::builder(&uri)
            .keyspace("ks")
            .credentials(USER, "wrong")
            .build()
            .await,
        "wrong password",
    );
    assert_auth_failure(
        Db::builder(&uri)
            .keyspace("ks")
            .credentials("intruder", PASSWORD)
            .build()
            .await,
        "wrong user",
    );
    let none = Db::builder(&uri).keyspace("ks").build().await;
    assert!(
        matches!(none, Err(Error::Connect { .. })),
        "no credentials: {none:?}"
    );

    // The pass-through: credentials given straight to the driver's SessionBuilder work, and
    // `configure_session` runs after the ORM's own settings, so it can override them.
    let db2 = Db::builder(&uri)
        .keyspace(unique_keyspace("auth_pass"))
        .configure_session(|b| b.user(USER, PASSWORD))
        .build()
        .await
        .expect("credentials through configure_session");
    db2.migrate::<Secret>().await.unwrap();
    let db3 = Db::builder(&uri)
        .keyspace(unique_keyspace("auth_over"))
        .credentials(USER, "wrong")
        .configure_session(|b| b.user(USER, PASSWORD))
        .build()
        .await
        .expect("configure_session overrides the builder's credentials");
    db3.migrate::<Secret>().await.unwrap();
    assert_auth_failure(
        Db::builder(&uri)
            .keyspace("ks")
            .credentials(USER, PASSWORD)
            .configure_session(|b| b.user(USER, "wrong"))
            .build()
            .await,
        "wrong password through configure_session",
    );
    emu.shutdown().await;
}
