//! `dossier-sheets-bench`: how many separator sheets are recognised from
//! their codes as a scanner would deliver them (skewed, turned, noisy,
//! JPEG-compressed, at 150 to 300 dpi, photocopied, faxed), how long reading
//! a page takes, and whether any real scanned page is taken for a sheet.
//!
//! `dossier-sheets-bench [SHEETS_PER_CONDITION] [REAL_SCANS_DIR]`

use std::path::Path;
use std::time::Instant;

use image::imageops::FilterType;
use image::{DynamicImage, GrayImage};
use ingest::sheets::render::{Fonts, SheetPage};
use ingest::sheets::{Sheet, barcode};
use samples::rng::Rng;

/// How a sheet is degraded on its way through the scanner.
struct Condition {
    label: &'static str,
    dpi: f32,
    skew: f32,
    turned: bool,
    noise: f32,
    jpeg: Option<u8>,
    /// A photocopy of a photocopy: blurred, greyed, thresholded.
    copied: bool,
    /// Fax "standard" resolution: 204 x 98 dpi, bilevel.
    fax: bool,
}

const BASE: Condition = Condition {
    label: "",
    dpi: 300.0,
    skew: 0.0,
    turned: false,
    noise: 0.0,
    jpeg: None,
    copied: false,
    fax: false,
};

fn conditions() -> Vec<Condition> {
    vec![
        Condition {
            label: "300 dpi, clean",
            ..BASE
        },
        Condition {
            label: "200 dpi, skew ±5°, noise 8",
            dpi: 200.0,
            skew: 5.0,
            noise: 8.0,
            ..BASE
        },
        Condition {
            label: "150 dpi, skew ±5°, noise 8",
            dpi: 150.0,
            skew: 5.0,
            noise: 8.0,
            ..BASE
        },
        Condition {
            label: "200 dpi, skew ±15°",
            dpi: 200.0,
            skew: 15.0,
            ..BASE
        },
        Condition {
            label: "150 dpi, skew ±15°, noise 12",
            dpi: 150.0,
            skew: 15.0,
            noise: 12.0,
            ..BASE
        },
        Condition {
            label: "200 dpi, upside down, skew ±5°",
            dpi: 200.0,
            skew: 5.0,
            turned: true,
            ..BASE
        },
        Condition {
            label: "200 dpi, JPEG q30, noise 8",
            dpi: 200.0,
            jpeg: Some(30),
            noise: 8.0,
            ..BASE
        },
        Condition {
            label: "150 dpi, JPEG q30, skew ±10°, noise 12",
            dpi: 150.0,
            jpeg: Some(30),
            skew: 10.0,
            noise: 12.0,
            ..BASE
        },
        Condition {
            label: "200 dpi, photocopied twice, skew ±5°",
            dpi: 200.0,
            copied: true,
            skew: 5.0,
            ..BASE
        },
        Condition {
            label: "fax 204x98 dpi, skew ±3°",
            dpi: 204.0,
            fax: true,
            skew: 3.0,
            ..BASE
        },
        Condition {
            label: "150 dpi, photocopied twice, JPEG q30, skew ±15°, noise 12",
            dpi: 150.0,
            copied: true,
            jpeg: Some(30),
            skew: 15.0,
            noise: 12.0,
            ..BASE
        },
        Condition {
            label: "100 dpi, skew ±5°, noise 8 (below what scanners are set to)",
            dpi: 100.0,
            skew: 5.0,
            noise: 8.0,
            ..BASE
        },
    ]
}

fn degrade(sheet: &GrayImage, c: &Condition, rng: &mut Rng) -> GrayImage {
    let scale = c.dpi / 300.0;
    let (w, h) = (
        (sheet.width() as f32 * scale) as u32,
        (sheet.height() as f32 * scale * if c.fax { 98.0 / 204.0 } else { 1.0 }) as u32,
    );
    let mut page = image::imageops::resize(sheet, w, h, FilterType::Triangle);
    if c.copied {
        for _ in 0..2 {
            page = image::imageops::blur(&page, 1.2);
            page.pixels_mut().for_each(|p| {
                let v = 40.0 + p[0] as f32 * 0.75;
                p[0] = if v < 150.0 { 20 } else { 235 };
            });
        }
    }
    // Between half the condition's angle and all of it, either way.
    let sign = if rng.below(2) == 0 { -1.0 } else { 1.0 };
    let skew = sign * rng.range(c.skew / 2.0, c.skew);
    let mut page = ocr::deskew::straighten(&DynamicImage::ImageLuma8(page), skew).into_luma8();
    if c.turned {
        page = image::imageops::rotate180(&page);
    }
    if c.noise > 0.0 {
        page.pixels_mut().for_each(|p| {
            let n = rng.normal() * c.noise;
            p[0] = (p[0] as f32 + n).clamp(0.0, 255.0) as u8;
        });
    }
    if c.fax {
        page.pixels_mut()
            .for_each(|p| p[0] = if p[0] < 128 { 0 } else { 255 });
    }
    if let Some(quality) = c.jpeg {
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
            .encode_image(&page)
            .unwrap();
        page = image::load_from_memory(&bytes).unwrap().into_luma8();
    }
    page
}

/// The sheet the page's codes say it is, if any.
fn recognise(page: &GrayImage) -> Option<Sheet> {
    let code = barcode::read(page, |text| Sheet::parse(text).is_some())?;
    Sheet::parse(&code)?.ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let per: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let real = args.get(2).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/real-scans"),
        |a| Path::new(a).to_path_buf(),
    );
    let fonts = Fonts::load().expect("fonts");
    let mut rng = Rng::new(2026);
    // Half cover sheets with varied identifiers and names, half piece sheets.
    let sheets: Vec<(Sheet, GrayImage)> = (0..per)
        .map(|i| {
            let sheet = if i % 2 == 0 {
                Sheet::Cover(format!("INT-2026-{:05}", 10 + i * 37))
            } else {
                let kinds = index::classify::KINDS;
                Sheet::Piece(kinds[i / 2 % kinds.len()].to_owned())
            };
            let page = SheetPage {
                sheet: sheet.clone(),
                name: Some(format!("CANDIDAT{i} Marie-Claire")),
                corps: Some("Professeurs des lycées".into()),
            };
            let (image, _) = ingest::sheets::render::draw(&page, &fonts).unwrap();
            (sheet, image)
        })
        .collect();

    println!("| condition | sheets recognised | wrong | ms per page (median) |");
    println!("| --- | --- | --- | --- |");
    let mut all_right = 0;
    let mut all = 0;
    for condition in conditions() {
        let mut right = 0;
        let mut wrong = 0;
        let mut times = Vec::new();
        for (sheet, image) in &sheets {
            let page = degrade(image, &condition, &mut rng);
            let t = Instant::now();
            let found = recognise(&page);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            match found {
                Some(found) if found == *sheet => right += 1,
                Some(_) => wrong += 1,
                None => {}
            }
        }
        times.sort_by(f64::total_cmp);
        all_right += right;
        all += sheets.len();
        println!(
            "| {} | {right} / {} | {wrong} | {:.0} |",
            condition.label,
            sheets.len(),
            times[times.len() / 2]
        );
    }
    println!(
        "| all | {all_right} / {all} ({:.1}%) | | |",
        100.0 * all_right as f64 / all as f64
    );

    real_scans(&real);
}

/// Real scans: none may be taken for a sheet; how long a page costs.
fn real_scans(real: &Path) {
    let mut pages = 0;
    let mut taken = 0;
    let mut times = Vec::new();
    if let Ok(entries) = std::fs::read_dir(real) {
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
                continue;
            };
            if !["jpg", "png", "tif", "tiff"].contains(&ext) {
                continue;
            }
            let grey = image::open(&path).unwrap().into_luma8();
            let t = Instant::now();
            let found = recognise(&grey);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            pages += 1;
            if let Some(sheet) = found {
                taken += 1;
                eprintln!("{} read as {sheet}", path.display());
            }
        }
    }
    times.sort_by(f64::total_cmp);
    if pages > 0 {
        println!(
            "\nReal scanned pages ({}): {taken} of {pages} taken for a sheet; reading a page for codes took {:.0} ms median, {:.0} ms at most.",
            real.display(),
            times[times.len() / 2],
            times[times.len() - 1]
        );
    }
}
