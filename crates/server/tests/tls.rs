//! TLS on the listener, against the real `authdesk serve`: the sandbox CA (`--tls`, `tls ca`),
//! a certificate given as files (`--tls-cert`/`--tls-key`) and re-read on SIGHUP, and the
//! refusals at start (a key that is not the certificate's, files that are not there, a profile
//! that does not exist, the sandbox API outside the Banno profile).

mod common;

use common::{Registry, Server, authdesk, json};
use std::process::Command;
use std::time::Duration;

fn client_trusting(ca_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).unwrap())
        .build()
        .unwrap()
}

fn registry() -> Registry {
    let reg = Registry::fresh();
    let (code, _, err) = authdesk(&reg, &["init"]);
    assert_eq!(code, 0, "{err}");
    reg
}

#[tokio::test]
async fn the_sandbox_ca_makes_an_https_issuer_clients_can_trust() {
    let reg = registry();
    let ca = json(&reg, &["tls", "ca", "--json"]);
    let ca_file = ca["ca_file"].as_str().unwrap().to_string();
    let server = Server::start_with(&reg, &["--tls"]);
    // On loopback the issuer is named `localhost`, the name browsers and the Banno examples use.
    assert!(
        server.base.starts_with("https://localhost:"),
        "{}",
        server.base
    );
    let trusted = client_trusting(&std::fs::read(&ca_file).unwrap());
    let meta: serde_json::Value = trusted
        .get(format!("{}/.well-known/openid-configuration", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["issuer"],
        server.base.as_str(),
        "the issuer is https://"
    );
    let by_address = server.base.replace("localhost", "127.0.0.1");
    let r = trusted
        .get(format!("{by_address}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the certificate names 127.0.0.1 too");
    // A client that does not trust the CA refuses the connection.
    assert!(
        reqwest::get(format!("{}/healthz", server.base))
            .await
            .is_err()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::path::Path::new(&ca_file).parent().unwrap();
        for key in ["ca-key.pem", "localhost-key.pem"] {
            let mode = std::fs::metadata(dir.join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
    }
    // The CA is made once: asking again names the same file, unchanged.
    let before = std::fs::read(&ca_file).unwrap();
    assert_eq!(
        json(&reg, &["tls", "ca", "--json"])["ca_file"],
        ca_file.as_str()
    );
    assert_eq!(std::fs::read(&ca_file).unwrap(), before);
}

#[tokio::test]
async fn a_certificate_from_files_is_served_and_read_again_on_sighup() {
    // Two sandbox CAs stand in for "the certificate now" and "the renewed one".
    let (a, b) = (registry(), registry());
    let ca_a = std::fs::read(
        json(&a, &["tls", "ca", "--json"])["ca_file"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let ca_b = std::fs::read(
        json(&b, &["tls", "ca", "--json"])["ca_file"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let files = tempfile::tempdir().unwrap();
    let (cert, key) = (files.path().join("cert.pem"), files.path().join("key.pem"));
    let tls_of = |r: &Registry| r.dir.path().join("tls");
    std::fs::copy(tls_of(&a).join("localhost.pem"), &cert).unwrap();
    std::fs::copy(tls_of(&a).join("localhost-key.pem"), &key).unwrap();
    let serving = registry();
    let server = Server::start_with(
        &serving,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let health = format!("{}/healthz", server.base);
    assert!(client_trusting(&ca_a).get(&health).send().await.is_ok());
    assert!(client_trusting(&ca_b).get(&health).send().await.is_err());

    // A renewed certificate: replaced on disk, read again on SIGHUP.
    std::fs::copy(tls_of(&b).join("localhost.pem"), &cert).unwrap();
    std::fs::copy(tls_of(&b).join("localhost-key.pem"), &key).unwrap();
    Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        if client_trusting(&ca_b).get(&health).send().await.is_ok() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "SIGHUP did not reload"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A broken file on the next SIGHUP leaves the certificate in use.
    std::fs::write(&key, "not a key").unwrap();
    Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(client_trusting(&ca_b).get(&health).send().await.is_ok());
    let log = std::fs::read_to_string(serving.dir.path().join("serve.log")).unwrap();
    assert!(log.contains("TLS certificate not reloaded"), "{log}");
}

#[test]
fn what_cannot_be_served_is_refused_at_start_with_the_reason() {
    let (a, b) = (registry(), registry());
    json(&a, &["tls", "ca", "--json"]);
    json(&b, &["tls", "ca", "--json"]);
    let cert = a.dir.path().join("tls/localhost.pem");
    let other_key = b.dir.path().join("tls/localhost-key.pem");
    let serve = |args: &[&str]| {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        authdesk(&a, &all)
    };
    let (code, _, err) = serve(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        other_key.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("does not belong to the certificate"), "{err}");
    let (code, _, err) = serve(&[
        "--tls-cert",
        "/nonexistent/cert.pem",
        "--tls-key",
        "/nonexistent/key.pem",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read /nonexistent/cert.pem"), "{err}");
    let (code, _, err) = serve(&["--tls-cert", cert.to_str().unwrap()]);
    assert_eq!(
        code, 2,
        "a certificate without its key is a usage error: {err}"
    );
    let (code, _, err) = serve(&["--profile", "keycloak"]);
    assert_eq!(code, 2);
    assert!(err.contains("default or banno"), "{err}");
    let (code, _, err) = serve(&["--sandbox-api"]);
    assert_eq!(code, 1);
    assert!(err.contains("--profile banno"), "{err}");
}
