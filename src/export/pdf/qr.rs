//! QR codes drawn as vector boxes, so they stay sharp at any print size.

use qrcode::{Color, EcLevel, QrCode};

use super::draw::Canvas;

/// Quiet-zone width around the code, in modules.
const QUIET: usize = 1;

/// Draws a QR code for `data` as a `size`-millimetre square at `(x, y)`.
/// Dark modules in a row are joined into one box. Data too long for a QR
/// code draws nothing.
pub(crate) fn draw_qr(canvas: &mut Canvas<'_>, data: &str, x: f32, y: f32, size: f32) {
    let Ok(code) = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M) else {
        tracing::debug!(
            len = data.len(),
            "text too long for a QR code; leaving it out"
        );
        return;
    };
    let width = code.width();
    let colors = code.to_colors();
    let module = size / (width + 2 * QUIET) as f32;

    for row in 0..width {
        let mut col = 0;
        while col < width {
            if colors[row * width + col] != Color::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < width && colors[row * width + col] == Color::Dark {
                col += 1;
            }
            // A hair of overlap hides the seams some viewers draw between boxes.
            canvas.mark(
                x + (start + QUIET) as f32 * module,
                y + (row + QUIET) as f32 * module,
                (col - start) as f32 * module + 0.02,
                module + 0.02,
            );
        }
    }
}
