//! GraphiQL, the in-browser GraphQL IDE, served by the binary itself.
//!
//! The API must be explorable where there is no internet (air-gapped installs,
//! CI), so GraphiQL cannot come from a CDN. Its browser assets (GraphiQL 3's UMD
//! build and the React 18 UMD builds it runs on) are vendored in
//! `assets/graphiql/` (see the README there for versions and how to refresh them)
//! and embedded into the binary with `include_bytes!`, so a deployed binary needs
//! no files beside it. [`page`] is the HTML that loads them from `/graphiql/...`;
//! [`routes`] serves them.

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

/// Added as `?v=` to the asset URLs in [`page`]: the assets are cached for a year as
/// immutable, so a browser that saw an older binary's files must see new URLs.
/// Change it whenever the files in `assets/graphiql/` change.
const ASSET_VERSION: &str = "graphiql-3.9.0.react-18.3.1";

/// The assets change only with the binary, and [`ASSET_VERSION`] changes their URLs then.
const ASSET_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: CSS,
        body: include_bytes!("../../assets/graphiql/graphiql.min.css"),
    },
    Asset {
        name: "react.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    },
];

/// The GraphiQL page, sending its GraphQL requests as `POST`s to `endpoint` (a URL or
/// a path such as `/graphql`, put into the page as a JavaScript string literal, so any
/// text is safe).
///
/// The page loads its assets from the absolute paths `/graphiql/...`, so the router
/// must also merge [`routes`] at its root. Its headers editor (open below the query)
/// is where a user puts `{"Authorization": "Bearer <token>"}`; the headers are kept
/// per tab in memory but not persisted to `localStorage`, so tokens don't outlive the page.
pub fn page(endpoint: &str) -> Html<String> {
    let endpoint = js_string_literal(endpoint);
    let v = ASSET_VERSION;
    Html(format!(
        r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>LTC GraphiQL</title>
    <style>
      html, body {{ height: 100%; margin: 0; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
    <link rel="stylesheet" href="/graphiql/graphiql.min.css?v={v}">
    <script src="/graphiql/react.production.min.js?v={v}"></script>
    <script src="/graphiql/react-dom.production.min.js?v={v}"></script>
    <script src="/graphiql/graphiql.min.js?v={v}"></script>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL&hellip;</div>
    <noscript>GraphiQL needs JavaScript.</noscript>
    <script>
      (function () {{
        var url = {endpoint};
        var fetcher = GraphiQL.createFetcher({{ url: url }});
        ReactDOM.createRoot(document.getElementById("graphiql")).render(
          React.createElement(GraphiQL, {{
            fetcher: fetcher,
            isHeadersEditorEnabled: true,
            shouldPersistHeaders: false,
            defaultEditorToolsVisibility: "headers"
          }})
        );
      }})();
    </script>
  </body>
</html>
"#
    ))
}

/// `GET /graphiql/{file}`: the vendored GraphiQL assets, with their content type and
/// a year-long immutable `cache-control`; `404` for any other name.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/graphiql/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|asset| asset.name == file) {
        Some(asset) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(asset.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(ASSET_CACHE_CONTROL),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            asset.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `text` as a JavaScript string literal that is also safe inside an inline
/// `<script>`: JSON's escaping, plus `<`, `>` and `&` as `\u` escapes so no
/// `</script>` or `<!--` can appear, and U+2028/U+2029 escaped for older parsers.
fn js_string_literal(text: &str) -> String {
    // Display of a JSON value cannot fail, unlike serde_json::to_string.
    let json = serde_json::Value::from(text).to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_cannot_break_out_of_the_script() {
        let html = page("/x\"</script><script>alert(1)</script>\u{2028}&").0;
        assert!(html.contains(
            r#"var url = "/x\"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e\u2028\u0026";"#
        ));
        assert_eq!(html.matches("</script>").count(), 4);
    }

    #[test]
    fn the_page_loads_every_asset_from_the_binary() {
        let html = page("/graphql").0;
        for asset in ASSETS {
            assert!(html.contains(&format!("\"/graphiql/{}?v={ASSET_VERSION}\"", asset.name)));
        }
        assert!(!html.contains("https://"));
    }

    #[tokio::test]
    async fn assets_are_served_with_their_type_and_others_are_not_found() {
        let response = asset(Path("graphiql.min.css".to_owned())).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], CSS);
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            ASSET_CACHE_CONTROL
        );

        for name in [
            "graphiql.min.js",
            "react.production.min.js",
            "react-dom.production.min.js",
        ] {
            let response = asset(Path(name.to_owned())).await;
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                JAVASCRIPT,
                "{name}"
            );
        }

        for name in ["LICENSE-react", "../Cargo.toml", "", "README.md"] {
            let response = asset(Path(name.to_owned())).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{name}");
        }
    }
}
