//! The connection layer: a client gets a bounded time to send its headers,
//! and an instance serves a bounded number of connections at once.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{TestApp, test_settings};

async fn app_with(header_read_timeout_secs: u64, max_connections: usize) -> TestApp {
    let (mut settings, dir) = test_settings().await;
    settings.transport.header_read_timeout_secs = header_read_timeout_secs;
    settings.transport.max_connections = max_connections;
    TestApp::spawn_with(settings, dir).await
}

/// A connection that sent half a request line and stopped.
async fn half_sent(app: &TestApp) -> TcpStream {
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(b"GET /healthz HT").await.unwrap();
    stream
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    tokio::time::timeout(limit, async {
        let mut buffer = [0_u8; 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await
    .ok()?;
    Some(seen)
}

#[tokio::test]
async fn a_client_that_stops_mid_request_is_disconnected_after_the_header_timeout() {
    let app = app_with(1, 1024).await;
    let started = tokio::time::Instant::now();
    let mut stream = half_sent(&app).await;
    let answer = until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the server closes the connection");
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // A whole request is served as ever.
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_one_is_free() {
    let app = app_with(1, 2).await;
    let _held = [half_sent(&app).await, half_sent(&app).await];
    let started = tokio::time::Instant::now();
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Served only once the header timeout freed a connection's turn.
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_header_timeout() {
    let app = app_with(1, 1024).await;
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let answer = until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.is_some(), "an idle connection is held open");
    // So is one kept alive after a response.
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: ltc\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("a kept-alive connection is held open");
    assert!(answer.starts_with(b"HTTP/1.1 200"));
}

#[tokio::test]
async fn a_request_in_flight_at_shutdown_finishes_and_new_connections_are_refused() {
    let (settings, _dir) = test_settings().await;
    let app = ltc::startup::Application::build(&settings).await.unwrap();
    let address = format!("127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let body = r#"{"query":"{ __typename }"}"#;
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: ltc\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..5]).await.unwrap();
    // The head is read: the request is in flight when the server is told to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(&body.as_bytes()[5..]).await.unwrap();
    let answer = until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the connection ends after its answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"__typename\":\"Query\""), "{answer}");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(&address).await.is_err());
}
