//! The local server a tunnel forwards to, and how a forwarded path maps onto its URL.

use reqwest::Url;

/// The local server's origin and path prefix (`http://127.0.0.1:8000` and `/mcp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTarget {
    origin: String,
    prefix: String,
}

impl LocalTarget {
    /// Parses an absolute http(s) URL; a missing port is the scheme's default, and the path
    /// (without a trailing `/`) is the prefix of every forwarded request. Query and fragment
    /// are dropped.
    pub fn parse(url: &str) -> Option<Self> {
        let u = Url::parse(url).ok()?;
        if !matches!(u.scheme(), "http" | "https") {
            return None;
        }
        // Bracketed for IPv6, as a URL needs it.
        let host = u.host_str().filter(|h| !h.is_empty())?;
        let port = u.port_or_known_default()?;
        Some(Self {
            origin: format!("{}://{host}:{port}", u.scheme()),
            prefix: u.path().trim_end_matches('/').to_owned(),
        })
    }

    /// `scheme://host:port`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The URL a request for `path_and_query` goes to.
    ///
    /// A path already under the prefix is kept (the public URL may carry the local path, as it
    /// must for piko agents that forward to `host:port` alone); `/` is the local URL itself;
    /// any other path is appended to the prefix, as piko's reverse proxy joins them.
    pub fn url_for(&self, path_and_query: &str) -> String {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let path = if path.is_empty() { "/" } else { path };
        let prefix = self.prefix.as_str();
        let joined = if prefix.is_empty() {
            path.to_owned()
        } else if path == "/" {
            prefix.to_owned()
        } else if path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
        {
            path.to_owned()
        } else {
            format!("{prefix}{path}")
        };
        match query {
            Some(q) => format!("{}{joined}?{q}", self.origin),
            None => format!("{}{joined}", self.origin),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LocalTarget;

    fn target(url: &str) -> LocalTarget {
        LocalTarget::parse(url).unwrap_or_else(|| panic!("{url} parses"))
    }

    #[test]
    fn default_ports_and_invalid_urls() {
        assert_eq!(
            target("http://localhost/mcp").origin(),
            "http://localhost:80"
        );
        assert_eq!(
            target("https://example.test").origin(),
            "https://example.test:443"
        );
        assert_eq!(target("http://[::1]:8000/").origin(), "http://[::1]:8000");
        for bad in ["localhost:8000", "ftp://h/x", "not a url", "http://"] {
            assert!(LocalTarget::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn paths_map_under_the_prefix_once() {
        let t = target("http://127.0.0.1:8000/mcp");
        assert_eq!(t.url_for("/"), "http://127.0.0.1:8000/mcp");
        assert_eq!(t.url_for("/mcp"), "http://127.0.0.1:8000/mcp");
        assert_eq!(t.url_for("/mcp/x?a=1"), "http://127.0.0.1:8000/mcp/x?a=1");
        assert_eq!(t.url_for("/mcpx"), "http://127.0.0.1:8000/mcp/mcpx");
        assert_eq!(t.url_for("/other"), "http://127.0.0.1:8000/mcp/other");
        assert_eq!(t.url_for("?q=1"), "http://127.0.0.1:8000/mcp?q=1");
        let root = target("http://127.0.0.1:8000/");
        assert_eq!(root.url_for("/a/b?c"), "http://127.0.0.1:8000/a/b?c");
        assert_eq!(root.url_for("/"), "http://127.0.0.1:8000/");
    }
}
