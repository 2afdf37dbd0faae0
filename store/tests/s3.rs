//! The S3 backend against a real S3 server on 127.0.0.1 (s3s-fs, or whatever
//! `DOSSIER_TEST_S3_ENDPOINT` names), through the real aws-sdk-s3 client and,
//! where faults are wanted, a proxy that injects them.

use std::sync::Arc;
use std::time::Duration;

use dossier_store::{Backend, Bytes, Put, S3, S3Options, Store, sha256};
use testkit::{Endpoint, Fault, FaultProxy, S3Server, content};

fn backend(endpoint: &Endpoint, bucket: &str, tune: impl FnOnce(&mut S3Options)) -> S3 {
    let mut options = S3Options::from_url(&format!("s3://{bucket}/archive")).unwrap();
    options.path_style = true;
    tune(&mut options);
    S3::from_config(&endpoint.sdk_config(), options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_and_refs_round_trip() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket(false).await;
    let s3 = backend(&server.endpoint, &bucket, |_| {});
    let bytes = content(1, 70_000);
    let digest = sha256(&bytes);

    assert_eq!(s3.head(&digest.key()).await.unwrap(), None);
    assert_eq!(s3.get(&digest.key()).await.unwrap(), None);
    assert_eq!(
        s3.put(&digest.key(), Bytes::copy_from_slice(&bytes), &digest)
            .await
            .unwrap(),
        Put::Stored
    );
    assert_eq!(
        s3.put(&digest.key(), Bytes::copy_from_slice(&bytes), &digest)
            .await
            .unwrap(),
        Put::Existed
    );
    assert_eq!(s3.head(&digest.key()).await.unwrap(), Some(70_000));
    // When it was written (verify tells in-flight objects from strays by it).
    let written = s3.modified(&digest.key()).await.unwrap().unwrap();
    let age = std::time::SystemTime::now()
        .duration_since(written)
        .unwrap_or_default();
    assert!(age < Duration::from_secs(120), "{age:?}");
    assert_eq!(s3.get(&digest.key()).await.unwrap().unwrap(), bytes);
    assert_eq!(s3.list().await.unwrap(), vec![digest.key()]);

    assert_eq!(s3.get_ref("dossiers/INT-1").await.unwrap(), None);
    s3.set_ref("dossiers/INT-1", "aa").await.unwrap();
    s3.set_ref("dossiers/INT-1", "bb").await.unwrap();
    s3.set_ref("dossiers/INT-2", "cc").await.unwrap();
    s3.set_ref("ledger/head", "dd").await.unwrap();
    assert_eq!(
        s3.get_ref("dossiers/INT-1").await.unwrap().as_deref(),
        Some("bb")
    );
    assert_eq!(
        s3.list_refs("dossiers/").await.unwrap(),
        ["dossiers/INT-1", "dossiers/INT-2"]
    );
    // Refs live beside the objects, never among them.
    assert_eq!(s3.list().await.unwrap().len(), 1);
    // A lease goes when its ingest ends; an absent one is no error.
    s3.set_ref("writers/station-a", "{}").await.unwrap();
    s3.delete_ref("writers/station-a").await.unwrap();
    s3.delete_ref("writers/station-a").await.unwrap();
    assert_eq!(s3.get_ref("writers/station-a").await.unwrap(), None);
    assert!(s3.list_refs("writers/").await.unwrap().is_empty());

    s3.delete(&digest.key()).await.unwrap();
    assert_eq!(s3.head(&digest.key()).await.unwrap(), None);
    assert_eq!(s3.modified(&digest.key()).await.unwrap(), None);
    assert!(
        s3.put("../escape", Bytes::from_static(b"x"), &sha256(b"x"))
            .await
            .is_err()
    );
    assert_eq!(s3.describe(), format!("s3://{bucket}/archive"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ref_is_swapped_only_from_the_value_expected() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket(false).await;
    let s3 = backend(&server.endpoint, &bucket, |_| {});
    let head = "ledger/head";
    assert!(!s3.swap_ref(head, Some("aa"), "bb").await.unwrap());
    assert_eq!(s3.get_ref(head).await.unwrap(), None);
    assert!(s3.swap_ref(head, None, "aa").await.unwrap());
    assert!(!s3.swap_ref(head, None, "zz").await.unwrap());
    assert!(!s3.swap_ref(head, Some("zz"), "bb").await.unwrap());
    assert_eq!(s3.get_ref(head).await.unwrap().as_deref(), Some("aa"));
    assert!(s3.swap_ref(head, Some("aa"), "bb").await.unwrap());
    assert_eq!(s3.get_ref(head).await.unwrap().as_deref(), Some("bb"));

    // Two stores on one bucket, as two stations would be: each append
    // follows the other's.
    let stores = [
        Store::new(Arc::new(backend(&server.endpoint, &bucket, |o| {
            o.prefix = "shared/".into()
        }))),
        Store::new(Arc::new(backend(&server.endpoint, &bucket, |o| {
            o.prefix = "shared/".into()
        }))),
    ];
    for i in 0..3 {
        for store in &stores {
            store
                .append(dossier_store::Event::Rejected {
                    batch: "B".into(),
                    path: format!("B/{i}"),
                    error: "bad".into(),
                    objects: Vec::new(),
                })
                .await
                .unwrap();
        }
    }
    let ledger = stores[1].ledger().await.unwrap();
    assert_eq!(ledger.len(), 6);
    assert!(ledger.windows(2).all(|w| w[0].1.prev == Some(w[1].0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_objects_go_up_in_parts_and_come_back_whole() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket(false).await;
    let s3 = backend(&server.endpoint, &bucket, |o| {
        o.multipart_threshold = 6 << 20;
        o.part_size = 5 << 20;
    });
    let bytes = content(2, 12 << 20);
    let digest = sha256(&bytes);
    assert_eq!(
        s3.put(&digest.key(), Bytes::copy_from_slice(&bytes), &digest)
            .await
            .unwrap(),
        Put::Stored
    );
    assert_eq!(
        sha256(&s3.get(&digest.key()).await.unwrap().unwrap()),
        digest
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_checks_the_sha256_the_client_sends() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket(false).await;
    let s3 = backend(&server.endpoint, &bucket, |_| {});
    // Claim the digest of other bytes: a transfer that changed them in flight
    // looks exactly like this to the server.
    let bytes = b"the scan as it left the scanner".to_vec();
    let wrong = sha256(b"something else");
    let error = s3
        .put(&wrong.key(), Bytes::copy_from_slice(&bytes), &wrong)
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("BadDigest") || message.to_lowercase().contains("checksum"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_costs_only_head_requests() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket(false).await;
    let proxy = FaultProxy::start(&server.endpoint.url, 0, vec![], Duration::ZERO);
    let s3 = backend(&server.endpoint.via(proxy.url.clone()), &bucket, |_| {});
    let objects: Vec<Vec<u8>> = (0..10).map(|i| content(100 + i, 5_000)).collect();
    for bytes in &objects {
        let digest = sha256(bytes);
        s3.put(&digest.key(), Bytes::copy_from_slice(bytes), &digest)
            .await
            .unwrap();
    }
    proxy.reset_counts();
    for bytes in &objects {
        let digest = sha256(bytes);
        assert_eq!(
            s3.put(&digest.key(), Bytes::copy_from_slice(bytes), &digest)
                .await
                .unwrap(),
            Put::Existed
        );
    }
    let methods = proxy.methods();
    assert_eq!(methods.get("HEAD"), Some(&10), "{methods:?}");
    assert_eq!(methods.len(), 1, "{methods:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_retried_and_nothing_is_lost() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket(false).await;
    // Every third request fails: 503, 500, a dropped answer, a stall.
    let proxy = FaultProxy::start(
        &server.endpoint.url,
        3,
        vec![
            Fault::SlowDown,
            Fault::Internal,
            Fault::DropAfter,
            Fault::Stall,
        ],
        Duration::from_secs(3),
    );
    let s3 = backend(&server.endpoint.via(proxy.url.clone()), &bucket, |o| {
        o.attempt_timeout = Duration::from_millis(1500);
    });
    let store = Store::new(Arc::new(s3));
    let mut stored = Vec::new();
    for i in 0..12 {
        let bytes = content(200 + i, 20_000);
        let (object, _) = store.put(bytes.clone()).await.unwrap();
        store
            .set_dossier_ref(&format!("INT-{i}"), &object.sha256)
            .await
            .unwrap();
        stored.push((object.sha256, bytes));
    }
    let (requests, faults) = proxy.counts();
    assert!(faults >= 6, "{faults} faults in {requests} requests");
    // Read back directly from the server: every object whole, every ref right.
    let direct = Store::new(Arc::new(backend(&server.endpoint, &bucket, |_| {})));
    for (i, (digest, bytes)) in stored.iter().enumerate() {
        assert_eq!(&direct.get(digest).await.unwrap(), bytes);
        assert_eq!(
            direct.dossier_ref(&format!("INT-{i}")).await.unwrap(),
            Some(*digest)
        );
    }
    assert_eq!(direct.backend().list().await.unwrap().len(), stored.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_a_clear_error_and_stores_nothing() {
    let server = S3Server::start();
    let bucket = server.endpoint.create_bucket(false).await;
    let proxy = FaultProxy::start(&server.endpoint.url, 0, vec![], Duration::ZERO);
    let s3 = backend(&server.endpoint.via(proxy.url.clone()), &bucket, |o| {
        o.max_attempts = 3;
    });
    proxy.set_down(true);
    let bytes = content(300, 1_000);
    let digest = sha256(&bytes);
    let message = s3
        .put(&digest.key(), Bytes::copy_from_slice(&bytes), &digest)
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("503"), "{message}");
    assert!(message.contains(&digest.key()), "{message}");
    assert_eq!(proxy.counts().0, 3, "three attempts, then give up");
    proxy.set_down(false);
    assert_eq!(s3.list().await.unwrap(), Vec::<String>::new());
    assert_eq!(
        s3.put(&digest.key(), Bytes::copy_from_slice(&bytes), &digest)
            .await
            .unwrap(),
        Put::Stored
    );
}
