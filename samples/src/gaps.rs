//! Dossiers with pieces missing, doubled and out of date, and what a
//! completeness check must find in each: six pieces per dossier (letter,
//! birth certificate, diploma, medical certificate, criminal record extract,
//! ID card), scanned on 2026-11-02, each dossier with at most one gap.

use std::fs;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::documents::{self, Block, Candidate, Document, Style};
use crate::render::{self, PageStyle};
use crate::rng::Rng;

/// What is wrong with a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Gap {
    None,
    /// The piece of this kind is not in the dossier.
    Missing(String),
    /// The piece is there twice (a dossier still complete).
    Duplicated(String),
    /// The piece's date is 174 days before the scan (the checklist allows 90).
    Expired(String),
}

/// A generated dossier and its gap.
#[derive(Debug, Clone, Serialize)]
pub struct GapTruth {
    pub id: String,
    pub gap: Gap,
}

/// The scan date the batch declares.
pub const SCANNED_AT: &str = "2026-11-02T09:00:00Z";

/// The gaps of `dossiers` dossiers in turn: none, missing, doubled, out of date.
pub fn cycle(dossiers: usize, rng: &mut Rng) -> Vec<Gap> {
    const REQUIRED: &[&str] = &[
        "application-letter",
        "birth-certificate",
        "diploma",
        "medical-certificate",
        "criminal-record",
        "id-card",
    ];
    const DATED: &[&str] = &["medical-certificate", "criminal-record"];
    (0..dossiers)
        .map(|i| match i % 4 {
            0 => Gap::None,
            1 => Gap::Missing(rng.pick(REQUIRED).to_string()),
            2 => Gap::Duplicated(rng.pick(REQUIRED).to_string()),
            _ => Gap::Expired(rng.pick(DATED).to_string()),
        })
        .collect()
}

/// A national identity card, front (French).
pub fn id_card(c: &Candidate) -> Document {
    let line = |text: String| Block {
        style: Style::Line,
        text,
    };
    Document {
        kind: "id-card",
        lang: "fra",
        blocks: vec![
            Block {
                style: Style::Centre,
                text: "RÉPUBLIQUE DU CAMEROUN".into(),
            },
            Block {
                style: Style::Title,
                text: "CARTE NATIONALE D'IDENTITÉ".into(),
            },
            line(format!("Nom : {}", c.name)),
            line(format!("Prénoms : {}", c.given_names)),
            line(format!("Date de naissance : {}", c.birth_date)),
            line(format!("Lieu de naissance : {}", c.birth_place)),
            line("Délivrée le 4 janvier 2024".into()),
        ],
    }
}

/// The six pieces of a candidate's dossier, dated as `gap` says.
fn pieces(c: &Candidate, gap: &Gap, rng: &mut Rng) -> Vec<Document> {
    let expired = |kind: &str| matches!(gap, Gap::Expired(k) if k == kind);
    let mut medical = documents::medical_certificate(c, rng);
    if expired("medical-certificate") {
        for block in &mut medical.blocks {
            block.text = block.text.replace("28 octobre 2026", "12 mai 2026");
        }
    }
    let mut criminal = documents::criminal_record(c, rng);
    let issued = if expired("criminal-record") {
        "12 mai 2026"
    } else {
        "15 octobre 2026"
    };
    criminal.blocks.push(Block {
        style: Style::Right,
        text: format!("Délivré le {issued}"),
    });
    let mut out = vec![
        documents::application_letter(c, rng),
        documents::birth_certificate(c, rng),
        documents::diploma(c, rng),
        medical,
        criminal,
        id_card(c),
    ];
    match gap {
        Gap::Missing(kind) => out.retain(|d| d.kind != kind),
        Gap::Duplicated(kind) => {
            let copy = out.iter().find(|d| d.kind == kind).cloned();
            out.extend(copy);
        }
        _ => {}
    }
    out
}

/// Writes `out/batch` with one dossier per gap, pages as PNG at `dpi`.
pub fn generate(out: &Path, gaps: &[Gap], seed: u64, dpi: u32) -> Result<Vec<GapTruth>> {
    let families = render::load_families(&render::font_dir())?;
    let batch = out.join("batch");
    fs::create_dir_all(&batch)?;
    fs::write(
        batch.join("batch.toml"),
        format!("operator = \"gap-generator\"\nscanned_at = \"{SCANNED_AT}\"\n"),
    )?;
    let mut rng = Rng::new(seed);
    let mut truth = Vec::new();
    for (n, gap) in gaps.iter().enumerate() {
        let id = format!("GAP-2026-{:05}", n + 1);
        let dir = batch.join(&id);
        fs::create_dir_all(&dir)?;
        let candidate = Candidate::random(&mut rng, n as u32 + 1);
        fs::write(
            dir.join("dossier.toml"),
            format!(
                "name = \"{} {}\"\nbirth_date = \"{}\"\ncorps = \"{}\"\n",
                candidate.name, candidate.given_names, candidate.birth_date, candidate.corps
            ),
        )?;
        let family = &families[rng.below(families.len())];
        for (i, doc) in pieces(&candidate, gap, &mut rng).iter().enumerate() {
            let style = PageStyle {
                dpi,
                body_pt: rng.range(10.5, 12.5),
                skew_degrees: rng.range(-2.0, 2.0),
                noise: 5.0,
                blur: false,
                specks: 20,
                rotation: 0,
                marks: Default::default(),
            };
            let (image, _) = render::render(doc, family, &style, &mut rng);
            image.save(dir.join(format!("{:03}.png", i + 1)))?;
        }
        truth.push(GapTruth {
            id,
            gap: gap.clone(),
        });
    }
    Ok(truth)
}
