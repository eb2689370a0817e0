//! The QR code image CreateVirtualMFADevice returns (`QRCodePNG`): the device's
//! `otpauth://totp/NAME@ACCOUNT?secret=SEED` URI as a black-on-white PNG that
//! authenticator apps scan. The image carries the seed: it is returned once, in
//! a buffer zeroized on drop, and never logged or audited. (The `qrcode` and
//! `png` crates' own working buffers are freed without zeroizing.)

use zeroize::Zeroizing;

/// Pixels per QR module.
const SCALE: usize = 6;
/// The quiet zone around the symbol, in modules (the QR standard asks for four).
const QUIET: usize = 4;

/// Draws `text` as a QR code PNG.
pub fn png(text: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| format!("QR code: {e}"))?;
    let modules: Zeroizing<Vec<bool>> = Zeroizing::new(
        code.to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
    );
    let width = code.width();
    let side = (width + 2 * QUIET) * SCALE;
    let mut pixels = Zeroizing::new(vec![0xFFu8; side * side]);
    for (i, dark) in modules.iter().enumerate() {
        if !dark {
            continue;
        }
        let (row, col) = (i / width + QUIET, i % width + QUIET);
        for y in row * SCALE..(row + 1) * SCALE {
            let start = y * side + col * SCALE;
            if let Some(run) = pixels.get_mut(start..start + SCALE) {
                run.fill(0);
            }
        }
    }
    let side = u32::try_from(side).map_err(|e| e.to_string())?;
    let mut out = Zeroizing::new(Vec::new());
    {
        let mut encoder = png::Encoder::new(&mut *out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    #[test]
    fn pixels_are_the_qr_modules_of_the_uri() {
        let uri = "otpauth://totp/ana@123456789012?secret=JBSWY3DPEHPK3PXP";
        let image = png(uri).expect("drawn");
        assert_eq!(&image[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(&image[..]));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("a frame");
        let code =
            qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M).expect("qr");
        let width = code.width();
        assert_eq!(info.width as usize, (width + 2 * QUIET) * SCALE);
        assert_eq!(info.width, info.height);
        let side = info.width as usize;
        for (i, color) in code.to_colors().into_iter().enumerate() {
            let dark = color == qrcode::Color::Dark;
            let (row, col) = (i / width + QUIET, i % width + QUIET);
            // The centre pixel of each module.
            let y = row * SCALE + SCALE / 2;
            let x = col * SCALE + SCALE / 2;
            assert_eq!(buf[y * side + x] == 0, dark, "module {i}");
        }
        // The quiet zone is white.
        assert!(buf[..side * QUIET * SCALE].iter().all(|p| *p == 0xFF));
    }
}
