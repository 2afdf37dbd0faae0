//! Synthetic scanned integration dossiers with their ground truth, and the
//! character error rate that scores OCR against it.
//!
//! The generator sets French and English civil-status and administrative
//! documents in real fonts at scanner resolution, then skews, blurs and
//! speckles them and writes PNG, JPEG and (multi-page) TIFF files laid out as
//! a scanner batch (see docs/INTERFACE.md). The truth (text and angle of every
//! page) is written beside the batch, never inside it.
//!
//! This crate knows nothing of the pipeline: tests and benchmarks use it to
//! make inputs and to score outputs.

pub mod cer;
pub mod documents;
pub mod gaps;
pub mod render;
pub mod rng;

use std::fs;
use std::io::{BufWriter, Cursor};
use std::path::Path;

use anyhow::{Context, Result};
use image::GrayImage;
use serde::{Deserialize, Serialize};

use crate::documents::Candidate;
use crate::render::{Marks, PageStyle};
use crate::rng::Rng;

/// What the generator knows about every page it wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Truth {
    pub seed: u64,
    pub dossiers: Vec<DossierTruth>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DossierTruth {
    pub id: String,
    pub pages: Vec<PageTruth>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageTruth {
    /// 1-based position in the dossier, in the order the pipeline reads pages.
    pub number: usize,
    /// File name inside the dossier folder.
    pub file: String,
    /// 0-based page inside a multi-page file.
    pub page_in_file: usize,
    pub kind: String,
    pub lang: String,
    pub font: String,
    pub skew_degrees: f32,
    /// Quarter-turn the sheet lay in, counter-clockwise (0, 90, 180, 270).
    #[serde(default)]
    pub rotation: u16,
    pub blank: bool,
    /// The text as set, line by line.
    pub text: String,
}

impl Truth {
    pub fn load(path: &Path) -> Result<Truth> {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn dossier(&self, id: &str) -> Option<&DossierTruth> {
        self.dossiers.iter().find(|d| d.id == id)
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub dossiers: u32,
    pub seed: u64,
    /// Skews are drawn uniformly in ±`max_skew` degrees.
    pub max_skew: f32,
    pub dpi: u32,
    /// Standard deviation of grey noise.
    pub noise: f32,
    /// How many of the five documents each dossier holds (1 to 5).
    pub documents: usize,
    /// Give the birth certificate a blank verso, in a two-page TIFF.
    pub blank_backs: bool,
    /// Number of the first dossier (`INT-2026-<n>`).
    pub first_number: u32,
    /// Share of pages fed sideways or upside down (0 to 1).
    pub turned: f32,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            dossiers: 3,
            seed: 1,
            max_skew: 7.0,
            dpi: 300,
            noise: 6.0,
            documents: 3,
            blank_backs: true,
            first_number: 1,
            turned: 0.0,
        }
    }
}

/// File kinds a scanner batch holds, used in turn.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Png,
    Jpeg,
    Tiff,
}

/// Writes a batch to `out/batch` and its truth to `out/truth.json`.
pub fn generate_batch(out: &Path, options: &BatchOptions) -> Result<Truth> {
    let families = render::load_families(&render::font_dir())?;
    let batch = out.join("batch");
    fs::create_dir_all(&batch).with_context(|| format!("creating {}", batch.display()))?;
    fs::write(
        batch.join("batch.toml"),
        "operator = \"sample-generator\"\nstation = \"synthetic\"\nscanned_at = \"2026-11-02T09:00:00Z\"\nlang = \"fra+eng\"\n",
    )?;
    let mut rng = Rng::new(options.seed);
    let mut truth = Truth {
        seed: options.seed,
        dossiers: Vec::new(),
    };
    for n in 0..options.dossiers {
        let number = options.first_number + n;
        let id = format!("INT-2026-{number:05}");
        let dir = batch.join(&id);
        fs::create_dir_all(&dir)?;
        let candidate = Candidate::random(&mut rng, number);
        write_dossier_toml(&dir, &candidate)?;
        let family = &families[rng.below(families.len())];
        let mut pages = Vec::new();
        let documents = documents::dossier_documents(&candidate, &mut rng);
        for (i, doc) in documents
            .iter()
            .take(options.documents.clamp(1, 5))
            .enumerate()
        {
            let style = PageStyle {
                dpi: options.dpi,
                body_pt: rng.range(10.5, 12.5),
                skew_degrees: (rng.range(-options.max_skew, options.max_skew) * 10.0).round()
                    / 10.0,
                noise: options.noise,
                blur: rng.below(2) == 0,
                specks: 40 + rng.below(80) as u32,
                // No draw at all when nothing is turned, so that existing seeds make the same batches.
                marks: Marks::default(),
                rotation: if options.turned > 0.0 && rng.unit() < options.turned {
                    *rng.pick(&[90, 180, 270])
                } else {
                    0
                },
            };
            let (mut image, text) = render::render(doc, family, &style, &mut rng);
            // Medical certificates come from a black-and-white scanner: pure black and white pixels.
            if doc.kind == "medical-certificate" {
                image
                    .pixels_mut()
                    .for_each(|p| p[0] = if p[0] < 140 { 0 } else { 255 });
            }
            let kind = [Kind::Png, Kind::Jpeg, Kind::Tiff][(n as usize + i) % 3];
            let with_back = options.blank_backs && doc.kind == "birth-certificate";
            let mut images = vec![image];
            if with_back {
                images.push(blank_back(&images[0], options.noise, &mut rng));
            }
            let kind = if with_back { Kind::Tiff } else { kind };
            let file = format!(
                "{:03}.{}",
                i + 1,
                match kind {
                    Kind::Png => "png",
                    Kind::Jpeg => "jpg",
                    Kind::Tiff => "tif",
                }
            );
            write_pages(&dir.join(&file), kind, &images, options.dpi)?;
            pages.push(PageTruth {
                number: pages.len() + 1,
                file: file.clone(),
                page_in_file: 0,
                kind: doc.kind.to_owned(),
                lang: doc.lang.to_owned(),
                font: family.name.clone(),
                skew_degrees: style.skew_degrees,
                rotation: style.rotation,
                blank: false,
                text,
            });
            if with_back {
                pages.push(PageTruth {
                    number: pages.len() + 1,
                    file,
                    page_in_file: 1,
                    kind: doc.kind.to_owned(),
                    lang: doc.lang.to_owned(),
                    font: family.name.clone(),
                    skew_degrees: 0.0,
                    rotation: 0,
                    blank: true,
                    text: String::new(),
                });
            }
        }
        truth.dossiers.push(DossierTruth { id, pages });
    }
    fs::write(
        out.join("truth.json"),
        serde_json::to_string_pretty(&truth)?,
    )?;
    Ok(truth)
}

/// The empty back of a sheet: paper tone, noise, a little dust.
fn blank_back(front: &GrayImage, noise: f32, rng: &mut Rng) -> GrayImage {
    let paper = rng.range(238.0, 250.0);
    let mut back = GrayImage::from_fn(front.width(), front.height(), |_, _| {
        image::Luma([(paper + rng.normal() * noise).clamp(0.0, 255.0) as u8])
    });
    for _ in 0..30 {
        let (x, y) = (
            rng.below(back.width() as usize) as u32,
            rng.below(back.height() as usize) as u32,
        );
        back.put_pixel(x, y, image::Luma([40]));
    }
    back
}

fn write_dossier_toml(dir: &Path, c: &Candidate) -> Result<()> {
    let text = format!(
        "name = \"{} {}\"\nbirth_date = \"{}\"\nbirth_place = \"{}\"\ncorps = \"{}\"\napplication_no = \"{}\"\n",
        c.name, c.given_names, c.birth_date, c.birth_place, c.corps, c.application_no
    );
    fs::write(dir.join("dossier.toml"), text).context("writing dossier.toml")
}

fn write_pages(path: &Path, kind: Kind, images: &[GrayImage], dpi: u32) -> Result<()> {
    let mut bytes = Vec::new();
    match kind {
        Kind::Png => {
            images[0].write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)?;
        }
        Kind::Jpeg => {
            let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80);
            encoder.set_pixel_density(image::codecs::jpeg::PixelDensity::dpi(dpi as u16));
            encoder.encode_image(&images[0])?;
        }
        Kind::Tiff => {
            use tiff::encoder::{Compression, Rational, TiffEncoder, colortype::Gray8};
            let mut encoder =
                TiffEncoder::new(Cursor::new(&mut bytes))?.with_compression(Compression::Lzw);
            for image in images {
                let mut page = encoder.new_image::<Gray8>(image.width(), image.height())?;
                page.resolution(tiff::tags::ResolutionUnit::Inch, Rational { n: dpi, d: 1 });
                page.write_data(image.as_raw())?;
            }
        }
    }
    let mut file = BufWriter::new(
        fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    std::io::Write::write_all(&mut file, &bytes)?;
    Ok(())
}
