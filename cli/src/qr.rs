//! A URL as a QR code drawn with half-block characters, two modules per character cell.

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

/// The QR code of `text` for a terminal (dark modules drawn as the terminal's background),
/// or `None` when the text is too long for a QR code.
pub fn render(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_half_blocks_and_refuses_oversized_text() {
        let Some(qr) = super::render("https://poke.com/r/abc") else {
            panic!("a short URL fits");
        };
        assert!(qr.lines().count() > 10, "{qr}");
        assert!(qr.chars().any(|c| matches!(c, '▀' | '▄' | '█')));
        assert!(super::render(&"x".repeat(8000)).is_none());
    }
}
