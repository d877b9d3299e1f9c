//! Opening a page in the user's browser, never fatal: when no browser can be started the
//! caller prints the URL instead.

/// Opens `url` in a browser; the error says why none could be started.
pub fn open(url: &str) -> Result<(), String> {
    let mut options = webbrowser::BrowserOptions::new();
    options.with_suppress_output(true);
    webbrowser::open_browser_with_options(webbrowser::Browser::Default, url, &options)
        .map_err(|e| e.to_string())
}
