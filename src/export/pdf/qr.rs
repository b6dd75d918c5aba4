//! QR codes drawn as vector boxes, so they stay sharp at any print size.

use qrcode::canvas::{Canvas as QrCanvas, MaskPattern};
use qrcode::{Color, EcLevel};

use super::draw::Canvas;

/// Quiet-zone width around the code, in modules.
const QUIET: usize = 1;

/// Draws a QR code for `data` as a `size`-millimetre square at `(x, y)`.
/// Dark modules in a row are joined into one box. Data too long for a QR
/// code draws nothing.
pub(crate) fn draw_qr(canvas: &mut Canvas<'_>, data: &str, x: f32, y: f32, size: f32) {
    let Some(colors) = modules(data) else {
        tracing::debug!(
            len = data.len(),
            "text too long for a QR code; leaving it out"
        );
        return;
    };
    let width = (colors.len() as f64).sqrt() as usize;
    let module = size / (width + 2 * QUIET) as f32;

    // Runs of dark modules in a row become one box; a run repeated exactly
    // in the rows below grows that box downwards instead of adding more.
    let mut boxes: Vec<(usize, usize, usize, usize)> = Vec::new(); // (row, start, end, rows)
    let mut open: Vec<usize> = Vec::new();
    for row in 0..width {
        let mut next_open = Vec::new();
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
            let above = open.iter().copied().find(|&b| {
                let (r, s, e, n) = boxes[b];
                r + n == row && s == start && e == col
            });
            match above {
                Some(b) => {
                    boxes[b].3 += 1;
                    next_open.push(b);
                }
                None => {
                    boxes.push((row, start, col, 1));
                    next_open.push(boxes.len() - 1);
                }
            }
        }
        open = next_open;
    }
    for (row, start, end, rows) in boxes {
        // A hair of overlap hides the seams some viewers draw between boxes.
        canvas.mark(
            x + (start + QUIET) as f32 * module,
            y + (row + QUIET) as f32 * module,
            (end - start) as f32 * module + 0.02,
            rows as f32 * module + 0.02,
        );
    }
}

/// The modules of a QR code for `data`, row by row.
///
/// The mask is fixed rather than chosen by scoring all eight: any mask
/// decodes, and scoring took most of the time of a thousand-page ledger.
fn modules(data: &str) -> Option<Vec<Color>> {
    let bits = qrcode::bits::encode_auto(data.as_bytes(), EcLevel::M).ok()?;
    let version = bits.version();
    let (codewords, ec) =
        qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M).ok()?;
    let mut canvas = QrCanvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&codewords, &ec);
    canvas.apply_mask(MaskPattern::Checkerboard);
    Some(canvas.into_colors())
}
