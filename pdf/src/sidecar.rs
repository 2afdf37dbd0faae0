//! Text sidecars kept beside each PDF: hOCR (HTML with word boxes) and ALTO
//! 4.4 XML (the layout standard libraries use), both in page-image pixels.

use std::fmt::Write as _;

use crate::Word;

/// What a sidecar needs of one page.
#[derive(Debug, Clone)]
pub struct PageText {
    pub width: u32,
    pub height: u32,
    pub dpi: f32,
    pub words: Vec<Word>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Words grouped by line, each line with its bounding box (x0, y0, x1, y1).
pub(crate) fn lines(words: &[Word]) -> Vec<(&[Word], [u32; 4])> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < words.len() {
        let line = words[start].line;
        let end = words[start..]
            .iter()
            .position(|w| w.line != line)
            .map_or(words.len(), |n| start + n);
        let run = &words[start..end];
        let bbox = run.iter().fold([u32::MAX, u32::MAX, 0, 0], |b, w| {
            [
                b[0].min(w.bbox[0]),
                b[1].min(w.bbox[1]),
                b[2].max(w.bbox[0] + w.bbox[2]),
                b[3].max(w.bbox[1] + w.bbox[3]),
            ]
        });
        out.push((run, bbox));
        start = end;
    }
    out
}

/// The dossier's hOCR document.
pub fn hocr(title: &str, pages: &[PageText]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"fr\" lang=\"fr\">\n<head>\n<title>{}</title>\n\
         <meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n\
         <meta name=\"ocr-system\" content=\"dossier {} with Tesseract\"/>\n\
         <meta name=\"ocr-capabilities\" content=\"ocr_page ocr_line ocrx_word\"/>\n</head>\n<body>\n",
        escape(title),
        env!("CARGO_PKG_VERSION")
    );
    for (p, page) in pages.iter().enumerate() {
        let n = p + 1;
        let dpi = page.dpi.round() as u32;
        let _ = writeln!(
            out,
            "<div class=\"ocr_page\" id=\"page_{n}\" title=\"bbox 0 0 {} {}; ppageno {p}; scan_res {dpi} {dpi}\">",
            page.width, page.height
        );
        for (l, (words, b)) in lines(&page.words).into_iter().enumerate() {
            let _ = write!(
                out,
                "<span class=\"ocr_line\" id=\"line_{n}_{}\" title=\"bbox {} {} {} {}\">",
                l + 1,
                b[0],
                b[1],
                b[2],
                b[3]
            );
            for (w, word) in words.iter().enumerate() {
                let [x, y, width, height] = word.bbox;
                let _ = write!(
                    out,
                    "{}<span class=\"ocrx_word\" id=\"word_{n}_{}_{}\" title=\"bbox {x} {y} {} {}; x_wconf {:.0}\">{}</span>",
                    if w > 0 { " " } else { "" },
                    l + 1,
                    w + 1,
                    x + width,
                    y + height,
                    word.confidence,
                    escape(&word.text)
                );
            }
            out.push_str("</span>\n");
        }
        out.push_str("</div>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The dossier's ALTO 4.4 document.
pub fn alto(title: &str, pages: &[PageText]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <alto xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://www.loc.gov/standards/alto/ns-v4# http://www.loc.gov/alto/v4/alto-4-4.xsd\">\n\
         <Description>\n<MeasurementUnit>pixel</MeasurementUnit>\n\
         <sourceImageInformation><fileName>{}</fileName></sourceImageInformation>\n\
         <Processing ID=\"ocr\"><processingStepDescription>deskew, orientation, despeckle, Tesseract OCR</processingStepDescription>\
         <processingSoftware><softwareName>dossier</softwareName><softwareVersion>{}</softwareVersion></processingSoftware></Processing>\n\
         </Description>\n<Layout>\n",
        escape(title),
        env!("CARGO_PKG_VERSION")
    );
    for (p, page) in pages.iter().enumerate() {
        let n = p + 1;
        let _ = writeln!(
            out,
            "<Page ID=\"page_{n}\" PHYSICAL_IMG_NR=\"{n}\" WIDTH=\"{}\" HEIGHT=\"{}\">",
            page.width, page.height
        );
        let _ = writeln!(
            out,
            "<PrintSpace HPOS=\"0\" VPOS=\"0\" WIDTH=\"{}\" HEIGHT=\"{}\">",
            page.width, page.height
        );
        let lines = lines(&page.words);
        if !lines.is_empty() {
            let b = lines.iter().fold([u32::MAX, u32::MAX, 0, 0], |b, (_, l)| {
                [
                    b[0].min(l[0]),
                    b[1].min(l[1]),
                    b[2].max(l[2]),
                    b[3].max(l[3]),
                ]
            });
            let _ = writeln!(
                out,
                "<TextBlock ID=\"block_{n}\" HPOS=\"{}\" VPOS=\"{}\" WIDTH=\"{}\" HEIGHT=\"{}\">",
                b[0],
                b[1],
                b[2] - b[0],
                b[3] - b[1]
            );
            for (l, (words, b)) in lines.into_iter().enumerate() {
                let _ = write!(
                    out,
                    "<TextLine ID=\"line_{n}_{}\" HPOS=\"{}\" VPOS=\"{}\" WIDTH=\"{}\" HEIGHT=\"{}\">",
                    l + 1,
                    b[0],
                    b[1],
                    b[2] - b[0],
                    b[3] - b[1]
                );
                for (w, word) in words.iter().enumerate() {
                    if w > 0 {
                        out.push_str("<SP/>");
                    }
                    let [x, y, width, height] = word.bbox;
                    let _ = write!(
                        out,
                        "<String ID=\"string_{n}_{}_{}\" CONTENT=\"{}\" HPOS=\"{x}\" VPOS=\"{y}\" WIDTH=\"{width}\" HEIGHT=\"{height}\" WC=\"{:.2}\"/>",
                        l + 1,
                        w + 1,
                        escape(&word.text),
                        (word.confidence / 100.0).clamp(0.0, 1.0)
                    );
                }
                out.push_str("</TextLine>\n");
            }
            out.push_str("</TextBlock>\n");
        }
        out.push_str("</PrintSpace>\n</Page>\n");
    }
    out.push_str("</Layout>\n</alto>\n");
    out
}
