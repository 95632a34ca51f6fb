//! GraphiQL in a real headless Chromium: the page served on `GET /graphql` loads with
//! no internet, and a query typed into it runs against the API.
//!
//! Drives Debian's `chromium` through `chromedriver` (install both with
//! `.ci/install-browser`). Without `chromedriver` on `PATH` the test says so on stderr
//! and passes, unless `LTC_REQUIRE_BROWSER` is set (as CI does), when it fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Every wait on the browser is bounded by this.
const WAIT: Duration = Duration::from_secs(20);

const QUERY_EDITOR: &str = ".graphiql-query-editor .CodeMirror";
/// With `defaultEditorToolsVisibility: "headers"` the headers editor is the visible one
/// of the two editors under the query (variables is the hidden one).
const HEADERS_EDITOR: &str = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";
const RUN_BUTTON: &str = ".graphiql-execute-button";
/// A line of the response pane showing the result; CodeMirror splits a line into
/// token spans, so match on the whole line's text.
const RESULT_LINE: &str = r#"//*[contains(@class, "graphiql-response")]//pre[contains(@class, "CodeMirror-line")][contains(., '"__typename": "Query"')]"#;

#[tokio::test]
async fn graphiql_loads_offline_and_runs_a_typed_query() -> anyhow::Result<()> {
    let Some(chromedriver) = find_on_path("chromedriver") else {
        if std::env::var_os("LTC_REQUIRE_BROWSER").is_some() {
            bail!(
                "chromedriver is not on PATH and LTC_REQUIRE_BROWSER is set: run .ci/install-browser"
            );
        }
        eprintln!(
            "SKIPPED graphiql_loads_offline_and_runs_a_typed_query: chromedriver is not on PATH \
             (run .ci/install-browser; set LTC_REQUIRE_BROWSER=1 to make this a failure)"
        );
        return Ok(());
    };

    let app = TestApp::spawn().await;
    let token = app.token("graphiql-user", &["READONLY"]);

    // Dropped in reverse order: chromedriver is killed before its profile and log go.
    let scratch = tempfile::tempdir().context("creating a temp dir for the browser")?;
    let driver = ChromeDriver::start(&chromedriver, scratch.path()).await?;

    let client = driver
        .connect(&scratch.path().join("profile"), app_host(&app.address))
        .await?;
    let mut outcome = drive_graphiql(&client, &app.address, &token).await;
    if outcome.is_err() {
        let screenshot = save_screenshot(&client).await;
        outcome = outcome.with_context(|| {
            format!(
                "driving GraphiQL in Chromium; {screenshot}; {}",
                driver.log_tail()
            )
        });
    }
    let closed = client.close().await;
    drop(driver);

    outcome?;
    closed.context("closing the browser session")?;
    Ok(())
}

async fn drive_graphiql(client: &Client, address: &str, token: &str) -> anyhow::Result<()> {
    client
        .goto(&format!("{address}/graphql"))
        .await
        .context("opening GraphiQL")?;
    let query_editor = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(QUERY_EDITOR))
        .await
        .context("waiting for GraphiQL's query editor")?;

    // Real keystrokes, sent as WebDriver key actions to whatever has focus: CodeMirror 5
    // reads them from a hidden textarea, a poor target for element `send_keys`'
    // visibility checks. Clicking an editor focuses its textarea. The headers editor
    // gets the token the way a user would set `Authorization`.
    let headers_editor = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(HEADERS_EDITOR))
        .await
        .context("waiting for GraphiQL's headers editor")?;
    headers_editor
        .click()
        .await
        .context("focusing the headers editor")?;
    select_all_and_type(client, &format!(r#"{{"Authorization": "Bearer {token}"}}"#)).await?;

    query_editor
        .click()
        .await
        .context("focusing the query editor")?;
    select_all_and_type(client, "{ __typename }").await?;

    // Read back (not set) through CodeMirror's API, so a typing problem, e.g. with
    // auto-closed brackets, fails here with the text rather than as a wrong result.
    let typed = editor_value(client, QUERY_EDITOR).await?;
    ensure!(
        typed == "{ __typename }",
        "the query editor holds {typed:?}"
    );
    let headers = editor_value(client, HEADERS_EDITOR).await?;
    let headers: Value = serde_json::from_str(&headers)
        .with_context(|| format!("the headers editor holds {headers:?}"))?;
    ensure!(
        headers == json!({ "Authorization": format!("Bearer {token}") }),
        "the headers editor holds {headers}"
    );

    client
        .find(Locator::Css(RUN_BUTTON))
        .await
        .context("finding the run button")?
        .click()
        .await
        .context("clicking the run button")?;
    if let Err(error) = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(RESULT_LINE))
        .await
    {
        let response = client
            .find(Locator::Css(".graphiql-response"))
            .await?
            .text()
            .await?;
        bail!(
            "no `\"__typename\": \"Query\"` in the response pane ({error}); it shows: {response}"
        );
    }

    // Every resource the page fetched (scripts, styles, the GraphQL POSTs) came from the
    // app itself; `data:` URLs (GraphiQL's inlined fonts) never leave the browser.
    let resources = client
        .execute(
            "return performance.getEntriesByType('resource').map(entry => entry.name);",
            vec![],
        )
        .await
        .context("listing the page's resources")?;
    let resources: Vec<String> =
        serde_json::from_value(resources).context("reading the page's resources")?;
    ensure!(
        resources
            .iter()
            .any(|name| name.contains("/graphiql/graphiql.min.js")),
        "GraphiQL's script is not among the page's resources: {resources:?}"
    );
    let app_origin = format!("{address}/");
    let foreign: Vec<&String> = resources
        .iter()
        .filter(|name| !name.starts_with(&app_origin) && !name.starts_with("data:"))
        .collect();
    ensure!(
        foreign.is_empty(),
        "GraphiQL fetched from outside the app: {foreign:?}"
    );
    Ok(())
}

/// Types `text` into the focused editor, replacing its content (Ctrl+A, Backspace).
async fn select_all_and_type(client: &Client, text: &str) -> anyhow::Result<()> {
    let control: char = Key::Control.into();
    let backspace: char = Key::Backspace.into();
    let mut keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: control })
        .then(KeyAction::Down { value: 'a' })
        .then(KeyAction::Up { value: 'a' })
        .then(KeyAction::Up { value: control })
        .then(KeyAction::Down { value: backspace })
        .then(KeyAction::Up { value: backspace });
    for c in text.chars() {
        keys = keys
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
    }
    client
        .perform_actions(keys)
        .await
        .with_context(|| format!("typing {text:?}"))?;
    client.release_actions().await.context("releasing keys")?;
    Ok(())
}

async fn editor_value(client: &Client, selector: &str) -> anyhow::Result<String> {
    let value = client
        .execute(
            "return document.querySelector(arguments[0]).CodeMirror.getValue();",
            vec![json!(selector)],
        )
        .await
        .with_context(|| format!("reading the editor {selector}"))?;
    match value {
        Value::String(text) => Ok(text),
        other => bail!("the editor {selector} gave {other}"),
    }
}

/// Where a failed run left a screenshot of the page, or why it could not.
async fn save_screenshot(client: &Client) -> String {
    let path = std::env::temp_dir().join("ltc-graphiql-test-failure.png");
    match client.screenshot().await {
        Ok(png) => match std::fs::write(&path, png) {
            Ok(()) => format!("screenshot at {}", path.display()),
            Err(error) => format!("no screenshot ({error})"),
        },
        Err(error) => format!("no screenshot ({error})"),
    }
}

/// `127.0.0.1` from `http://127.0.0.1:1234`.
fn app_host(address: &str) -> &str {
    let authority = address.split_once("://").map_or(address, |(_, rest)| rest);
    let authority = authority.split('/').next().unwrap_or(authority);
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _port)| host)
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// A `chromedriver` child process on a free local port, killed on drop.
struct ChromeDriver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl ChromeDriver {
    async fn start(program: &Path, scratch: &Path) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("finding a free port for chromedriver")?
            .port();
        let log = scratch.join("chromedriver.log");
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let driver = Self { child, port, log };

        let deadline = Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                bail!("chromedriver did not listen on port {port} within {WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(driver)
    }

    /// A Chromium session that resolves no host name but `app_host`.
    async fn connect(&self, profile: &Path, app_host: &str) -> anyhow::Result<Client> {
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1280,900".to_owned(),
            // Any host other than the app's fails to resolve, so a CDN reference would
            // break the page here just as it would on a machine with no internet.
            format!("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {app_host}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            bail!("capabilities must be a JSON object");
        };
        // chromedriver listens on plain HTTP on loopback: no TLS stack needed.
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .with_context(|| {
                format!(
                    "starting Chromium through chromedriver; {}",
                    self.log_tail()
                )
            })
    }

    /// The end of chromedriver's log, to explain a failure.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!(
            "chromedriver log ({}), last lines:\n{tail}",
            self.log.display()
        )
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
