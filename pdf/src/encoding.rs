//! The invisible font and the text encodings the PDF uses.

use lopdf::{Object, dictionary};

/// Every glyph of the invisible font is this wide (in 1/1000 em), so a word's
/// natural width depends only on its length and stretching it to its box is exact.
pub const GLYPH_WIDTH: f32 = 500.0;

/// Helvetica in WinAnsiEncoding with uniform widths. The text is never painted
/// (render mode 3), so the glyph shapes do not matter; the widths place the
/// characters across the word's box for selection and extraction.
pub fn invisible_font() -> Object {
    let widths: Vec<Object> = (32..=255)
        .map(|_| Object::Integer(GLYPH_WIDTH as i64))
        .collect();
    Object::Dictionary(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
        "FirstChar" => 32,
        "LastChar" => 255,
        "Widths" => widths,
    })
}

/// Encodes text in WinAnsiEncoding (cp1252), which covers French: é è ê à ç œ « » ’.
/// Characters outside it become `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c as u32 {
            0x20..=0x7E | 0xA0..=0xFF => c as u32 as u8,
            _ => match c {
                '€' => 0x80,
                '‚' => 0x82,
                '„' => 0x84,
                '…' => 0x85,
                'Œ' => 0x8C,
                '‘' => 0x91,
                '’' => 0x92,
                '“' => 0x93,
                '”' => 0x94,
                '•' => 0x95,
                '–' => 0x96,
                '—' => 0x97,
                'œ' => 0x9C,
                'Ÿ' => 0x9F,
                _ => b'?',
            },
        })
        .collect()
}

/// A PDF text string in UTF-16BE with its byte-order mark, for any Unicode.
pub fn utf16_text(text: &str) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        out.extend(unit.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_letters_map_to_win_ansi() {
        assert_eq!(win_ansi("é"), vec![0xE9]);
        assert_eq!(win_ansi("œ’«»"), vec![0x9C, 0x92, 0xAB, 0xBB]);
        assert_eq!(win_ansi("ŋ"), vec![b'?']);
    }
}
