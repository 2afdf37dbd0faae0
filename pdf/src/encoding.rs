//! The invisible-text font and the text encodings the PDF uses.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};

/// Every glyph of the invisible font is this wide (in 1/1000 em), so a word's
/// natural width depends only on its length and stretching it to its box is exact.
pub const GLYPH_WIDTH: f32 = 500.0;

/// Tesseract's glyphless TrueType font: one blank glyph, 500 units wide.
const GLYPHLESS_TTF: &[u8] = include_bytes!("../assets/glyphless.ttf");

/// Maps every 2-byte code to its own Unicode value (codes are UTF-16 units).
const TO_UNICODE: &str = "/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
";

fn compressed(dict: Dictionary, content: Vec<u8>) -> Stream {
    let mut stream = Stream::new(dict, content);
    // Compression only saves bytes; an uncompressed stream is as valid.
    let _ = stream.compress();
    stream
}

/// Adds the embedded glyphless font (Type 0, Identity-H, with a ToUnicode map) and returns its id.
/// The text is never painted (render mode 3): the font places the characters
/// across each word's box for selection and extraction, in any Unicode text.
pub fn add_invisible_font(doc: &mut Document) -> ObjectId {
    let font_file = doc.add_object(compressed(
        dictionary! { "Length1" => GLYPHLESS_TTF.len() as i64 },
        GLYPHLESS_TTF.to_vec(),
    ));
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => "GlyphLessFont",
        "FontBBox" => vec![0.into(), 0.into(), (GLYPH_WIDTH as i64).into(), 1000.into()],
        "Flags" => 5,
        "ItalicAngle" => 0,
        "Ascent" => 1000,
        "Descent" => 0,
        "CapHeight" => 1000,
        "StemV" => 80,
        "FontFile2" => font_file,
    });
    // Every code shows glyph 1, the font's only glyph.
    let cid_to_gid: Vec<u8> = (0..=u16::MAX).flat_map(|_| [0u8, 1u8]).collect();
    let cid_to_gid = doc.add_object(compressed(Dictionary::new(), cid_to_gid));
    let cid_font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => "GlyphLessFont",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor,
        "DW" => GLYPH_WIDTH as i64,
        "CIDToGIDMap" => cid_to_gid,
    });
    let to_unicode = doc.add_object(compressed(
        Dictionary::new(),
        TO_UNICODE.as_bytes().to_vec(),
    ));
    doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => "GlyphLessFont",
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![cid_font.into()],
        "ToUnicode" => to_unicode,
    })
}

/// A word as 2-byte codes (UTF-16BE) for the glyphless font; returns the codes and their count.
pub fn codes(text: &str) -> (Object, usize) {
    let units: Vec<u16> = text.encode_utf16().collect();
    let bytes = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    (
        Object::String(bytes, StringFormat::Hexadecimal),
        units.len(),
    )
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
    fn words_become_utf16_codes() {
        let (object, n) = codes("é’œ");
        assert_eq!(n, 3);
        assert_eq!(
            object,
            Object::String(
                vec![0x00, 0xE9, 0x20, 0x19, 0x01, 0x53],
                StringFormat::Hexadecimal
            )
        );
    }
}
