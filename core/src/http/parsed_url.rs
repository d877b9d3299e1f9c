//! URL parsing with a one-entry cache per thread.
//!
//! Every request's URL is text built from the base URL; parsing it (scheme, host, IDNA, path)
//! was the largest single item of the core's own CPU time for a small call. Consecutive calls
//! of one thread mostly hit the same URL (`send_message` always does), so the last parsed URL
//! is kept and cloned when the text matches; any other text is parsed as before.

use std::cell::RefCell;

thread_local! {
    static LAST: RefCell<Option<(String, reqwest::Url)>> = const { RefCell::new(None) };
}

/// `reqwest::Url::parse(text)`, reusing this thread's last result when `text` is the same.
/// The error is the parser's message.
pub(crate) fn parse(text: &str) -> Result<reqwest::Url, String> {
    // `try_with`: a call made while the thread's locals are being destroyed parses uncached
    // instead of panicking.
    let cached = LAST
        .try_with(|last| {
            last.borrow()
                .as_ref()
                .filter(|(t, _)| t == text)
                .map(|(_, url)| url.clone())
        })
        .ok()
        .flatten();
    if let Some(url) = cached {
        return Ok(url);
    }
    let url = reqwest::Url::parse(text).map_err(|e| e.to_string())?;
    let _ = LAST.try_with(|last| *last.borrow_mut() = Some((text.to_owned(), url.clone())));
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn a_repeated_url_parses_the_same_and_others_are_not_confused_with_it() {
        let a = "http://127.0.0.1:8080/api/v1/inbound/api-message";
        let b = "http://127.0.0.1:8080/api/v1/inbound/webhook";
        assert_eq!(parse(a).map(String::from), Ok(a.to_owned()));
        assert_eq!(parse(a).map(String::from), Ok(a.to_owned()));
        assert_eq!(parse(b).map(String::from), Ok(b.to_owned()));
        assert_eq!(
            parse(a).map(|u| u.path().to_owned()),
            Ok("/api/v1/inbound/api-message".into())
        );
        // Normalised as a fresh parse would be, from the cache too.
        let odd = "HTTP://Example.COM/a/../b";
        for _ in 0..2 {
            assert_eq!(
                parse(odd).map(String::from),
                Ok("http://example.com/b".to_owned())
            );
        }
        assert!(parse("not a url").is_err());
        assert!(parse("not a url").is_err());
    }
}
