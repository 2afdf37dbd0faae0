//! PDF/A-2b: the XMP metadata that identifies it, the sRGB output intent, and
//! dates in the two forms (XMP and PDF) that must agree.

use lopdf::{Document, Object, ObjectId, Stream, StringFormat, dictionary};

use crate::Info;

/// The output intent's profile: sRGB IEC61966-2.1.
const SRGB_ICC: &[u8] = include_bytes!("../assets/sRGB.icc");

/// The sRGB output intent every page's colours are understood against.
pub fn output_intent(doc: &mut Document) -> Object {
    let mut profile = Stream::new(dictionary! { "N" => 3 }, SRGB_ICC.to_vec());
    // Compression only saves bytes.
    let _ = profile.compress();
    let profile = doc.add_object(profile);
    let name = Object::string_literal("sRGB IEC61966-2.1");
    Object::Dictionary(dictionary! {
        "Type" => "OutputIntent",
        "S" => "GTS_PDFA1",
        "OutputConditionIdentifier" => name.clone(),
        "Info" => name,
        "RegistryName" => Object::string_literal("http://www.color.org"),
        "DestOutputProfile" => profile,
    })
}

/// `2026-11-02T09:00:00Z`-like input (or a plain date) as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn xmp_date(input: &str) -> String {
    let digits: Vec<u32> = input
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(6)
        .map(|s| s.parse().unwrap_or(0))
        .collect();
    let part = |i: usize, default: u32| digits.get(i).copied().unwrap_or(default);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        part(0, 1970),
        part(1, 1).clamp(1, 12),
        part(2, 1).clamp(1, 31),
        part(3, 0).min(23),
        part(4, 0).min(59),
        part(5, 0).min(59)
    )
}

/// The same instant as a PDF date string: `D:YYYYMMDDHHmmSSZ`.
pub fn pdf_date(xmp: &str) -> Object {
    let digits: String = xmp.chars().filter(char::is_ascii_digit).collect();
    Object::String(format!("D:{digits}Z").into_bytes(), StringFormat::Literal)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The XMP packet: PDF/A-2b identification plus the dossier's metadata, using
/// only predefined schemas (so that no PDF/A extension schema is needed).
pub fn xmp(info: &Info, date: &str, pages: usize, producer: &str) -> Vec<u8> {
    let alt = |value: &str| {
        format!(
            "<rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt>",
            escape(value)
        )
    };
    let mut body = String::new();
    body.push_str("<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>");
    body.push_str("<dc:format>application/pdf</dc:format>");
    body.push_str(&format!("<dc:title>{}</dc:title>", alt(&info.title)));
    body.push_str(&format!(
        "<dc:identifier>{}</dc:identifier>",
        escape(&info.title)
    ));
    if !info.subject.is_empty() {
        body.push_str(&format!(
            "<dc:description>{}</dc:description>",
            alt(&info.subject)
        ));
    }
    if !info.author.is_empty() {
        body.push_str(&format!(
            "<dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>",
            escape(&info.author)
        ));
    }
    if !info.keywords.is_empty() {
        body.push_str(&format!(
            "<pdf:Keywords>{}</pdf:Keywords>",
            escape(&info.keywords)
        ));
    }
    body.push_str(&format!(
        "<xmp:CreateDate>{date}</xmp:CreateDate><xmp:ModifyDate>{date}</xmp:ModifyDate>\
         <xmp:MetadataDate>{date}</xmp:MetadataDate><xmp:CreatorTool>{producer}</xmp:CreatorTool>\
         <pdf:Producer>{producer}</pdf:Producer><xmpTPg:NPages>{pages}</xmpTPg:NPages>"
    ));
    format!(
        "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description rdf:about=\"\" \
         xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" \
         xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" \
         xmlns:xmpTPg=\"http://ns.adobe.com/xap/1.0/t/pg/\">\n{body}\n</rdf:Description>\n\
         </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>"
    )
    .into_bytes()
}

/// Adds the metadata stream (uncompressed, as PDF/A asks) and returns its id.
pub fn add_metadata(doc: &mut Document, xmp: Vec<u8>) -> ObjectId {
    let stream = Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        xmp,
    )
    .with_compression(false);
    doc.add_object(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_forms() {
        assert_eq!(xmp_date("2026-11-02T09:00:00Z"), "2026-11-02T09:00:00Z");
        assert_eq!(xmp_date("2026-11-02"), "2026-11-02T00:00:00Z");
        assert_eq!(
            pdf_date("2026-11-02T09:00:00Z"),
            Object::String(b"D:20261102090000Z".to_vec(), StringFormat::Literal)
        );
    }

    #[test]
    fn xmp_escapes_and_identifies_pdfa() {
        let info = Info {
            title: "INT-1".into(),
            subject: "A & B <x>".into(),
            ..Info::default()
        };
        let xmp = String::from_utf8(xmp(&info, "2026-11-02T09:00:00Z", 3, "dossier")).unwrap();
        assert!(xmp.contains("<pdfaid:part>2</pdfaid:part>"));
        assert!(xmp.contains("A &amp; B &lt;x&gt;"));
        assert!(xmp.contains("<xmpTPg:NPages>3</xmpTPg:NPages>"));
    }
}
