//! `dossier-preprocess-bench`: how well and how fast pages are straightened,
//! turned upright and read, on generated pages with known angles and orientations.
//!
//! Prints the skew error (median, 90th percentile, max) overall and by kind of
//! page, orientation accuracy, the character error rate with and without
//! preprocessing, `ocrmypdf --deskew --rotate-pages` on the same pages, and the
//! milliseconds of each step per 300-dpi A4 page.

use std::borrow::Cow;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use image::DynamicImage;
use samples::cer;
use samples::documents::{self, Candidate};
use samples::render::{self, Marks, PageStyle};
use samples::rng::Rng;

struct Case {
    label: &'static str,
    skew: f32,
    rotation: u16,
    found_skew: f32,
    found_rotation: u16,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn millis(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (n_pages, n_ocr, seed) = (
        arg("--pages", 60) as usize,
        arg("--ocr-pages", 24) as usize,
        arg("--seed", 7),
    );
    let with_ocrmypdf = !args.iter().any(|a| a == "--no-ocrmypdf");
    let families = render::load_families(&render::font_dir()).expect("fonts");
    let mut rng = Rng::new(seed);
    let mut engine = ocr::Engine::new("fra+eng").expect("fra+eng models");
    let work = tempfile::tempdir().expect("temp dir");

    let mut cases = Vec::new();
    let mut steps: Vec<(&str, Vec<f64>)> = [
        "overview (reduced copy)",
        "blank",
        "skew (rows+columns)",
        "straighten",
        "orientation (up/down)",
        "despeckle",
        "all preprocessing",
    ]
    .iter()
    .map(|s| (*s, Vec::new()))
    .collect();
    let (mut cer_with, mut cer_without) = (Vec::new(), Vec::new());
    let mut ocr_inputs = Vec::new();
    for i in 0..n_pages {
        let kind = i % 5;
        let candidate = Candidate::random(&mut rng, i as u32);
        let doc = documents::dossier_documents(&candidate, &mut rng).swap_remove(kind);
        let for_ocr = ocr_inputs.len() < n_ocr && i % 2 == 0;
        // Pages read for the error rate lie within 10 degrees; the others use the whole range.
        let max_skew = if for_ocr {
            10.0
        } else {
            ocr::deskew::MAX_DEGREES
        };
        let bilevel = rng.below(4) == 0;
        let style = PageStyle {
            dpi: 300,
            body_pt: rng.range(10.0, 12.5),
            skew_degrees: (rng.range(-max_skew, max_skew) * 100.0).round() / 100.0,
            noise: rng.range(0.0, 8.0),
            blur: rng.below(2) == 0,
            specks: 40 + rng.below(100) as u32,
            rotation: if rng.below(4) == 0 {
                *rng.pick(&[90, 180, 270])
            } else {
                0
            },
            marks: Marks {
                stamp: rng.below(3) == 0,
                signature: rng.below(3) == 0,
                photo: rng.below(4) == 0,
                border: rng.below(3) == 0,
            },
        };
        let family = &families[rng.below(families.len())];
        let (mut grey, truth) = render::render(&doc, family, &style, &mut rng);
        if bilevel {
            grey.pixels_mut()
                .for_each(|p| p[0] = if p[0] < 140 { 0 } else { 255 });
        }
        let label = match (
            kind,
            bilevel,
            style.marks.border || style.marks.photo || style.marks.stamp,
        ) {
            (_, true, _) => "bilevel",
            (_, _, true) => "marks, borders",
            (0, _, _) => "full text page",
            _ => "sparse certificate",
        };
        let scan = ocr::Scan {
            image: DynamicImage::ImageLuma8(grey.clone()),
            dpi: Some(300.0),
            bilevel,
        };

        // Each step on its own, then the whole chain.
        let t = Instant::now();
        let overview = ocr::deskew::Overview::of(&grey);
        steps[0].1.push(millis(t));
        let t = Instant::now();
        std::hint::black_box(ocr::blank::is_blank(&overview));
        steps[1].1.push(millis(t));
        let t = Instant::now();
        let (rows, _) = ocr::deskew::estimate_both(&overview);
        steps[2].1.push(millis(t));
        let t = Instant::now();
        let straight = ocr::deskew::straighten(&scan.image, rows.degrees);
        steps[3].1.push(millis(t));
        let straight_grey = straight.to_luma8();
        let straight_overview = ocr::deskew::Overview::of(&straight_grey);
        let t = Instant::now();
        std::hint::black_box(ocr::orientation::vote(&straight_overview));
        steps[4].1.push(millis(t));
        let mut specked = straight_grey;
        let t = Instant::now();
        ocr::despeckle::despeckle(&mut specked, 300.0);
        steps[5].1.push(millis(t));
        let t = Instant::now();
        // As ingest does it: Tesseract's orientation detection confirms turns.
        let page = ocr::preprocess_with(scan, 300.0, Some(&mut engine));
        steps[6].1.push(millis(t));

        if for_ocr {
            let with = engine
                .recognize(Cow::Borrowed(&page.grey), 300)
                .expect("ocr");
            let without = engine.recognize(Cow::Borrowed(&grey), 300).expect("ocr");
            cer_with.push(cer::cer(&truth, &with.text));
            cer_without.push(cer::cer(&truth, &without.text));
            let path = work.path().join(format!("page-{i:03}.png"));
            grey.save(&path).expect("write page");
            ocr_inputs.push((path, truth.clone()));
        }
        if (page.skew_degrees - style.skew_degrees).abs() > 0.3 || page.rotation != style.rotation {
            eprintln!(
                "\npage {i} ({label}, document {kind}, marks {:?}): skew {} found {:.2}, rotation {} found {}",
                style.marks, style.skew_degrees, page.skew_degrees, style.rotation, page.rotation
            );
            if std::env::var_os("KEEP_FAILURES").is_some() {
                grey.save(format!("/tmp/failure-{i}.png"))
                    .expect("write failure");
            }
        }
        cases.push(Case {
            label,
            skew: style.skew_degrees,
            rotation: style.rotation,
            found_skew: page.skew_degrees,
            found_rotation: page.rotation,
        });
        eprint!("\r{}/{n_pages} pages", i + 1);
    }
    eprintln!();

    let ocrmypdf = if with_ocrmypdf {
        run_ocrmypdf(&ocr_inputs, work.path())
    } else {
        None
    };
    report(&cases, &steps, &cer_with, &cer_without, ocrmypdf);
}

/// `ocrmypdf --deskew --rotate-pages`, two pages at a time; returns (CERs, seconds per page).
fn run_ocrmypdf(inputs: &[(std::path::PathBuf, String)], work: &Path) -> Option<(Vec<f64>, f64)> {
    Command::new("ocrmypdf").arg("--version").output().ok()?;
    let start = Instant::now();
    let rates = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for chunk in inputs.chunks(inputs.len().div_ceil(2).max(1)) {
            let rates = &rates;
            scope.spawn(move || {
                for (path, truth) in chunk {
                    let sidecar = work.join(format!("{}.txt", path.display()));
                    let out = work.join(format!("{}.pdf", path.display()));
                    let status = Command::new("ocrmypdf")
                        .args([
                            "-q",
                            "--deskew",
                            "--rotate-pages",
                            "-l",
                            "fra+eng",
                            "--image-dpi",
                            "300",
                            "--jobs",
                            "1",
                            "--sidecar",
                        ])
                        .arg(&sidecar)
                        .arg(path)
                        .arg(&out)
                        .env("OMP_THREAD_LIMIT", "1")
                        .status();
                    let text = if status.is_ok_and(|s| s.success()) {
                        std::fs::read_to_string(&sidecar).unwrap_or_default()
                    } else {
                        String::new()
                    };
                    rates.lock().unwrap().push(cer::cer(truth, &text));
                }
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64() * 2.0 / inputs.len().max(1) as f64;
    Some((rates.into_inner().unwrap(), seconds))
}

fn report(
    cases: &[Case],
    steps: &[(&str, Vec<f64>)],
    cer_with: &[f64],
    cer_without: &[f64],
    ocrmypdf: Option<(Vec<f64>, f64)>,
) {
    let errors = |filter: &dyn Fn(&Case) -> bool| {
        let mut e: Vec<f64> = cases
            .iter()
            .filter(|c| filter(c))
            .map(|c| f64::from((c.found_skew - c.skew).abs()))
            .collect();
        e.sort_by(f64::total_cmp);
        e
    };
    println!(
        "Skew error in degrees ({} pages, skews up to {} degrees either way):",
        cases.len(),
        ocr::deskew::MAX_DEGREES
    );
    println!("| pages | n | median | p90 | max |");
    println!("| --- | --- | --- | --- | --- |");
    let mut labels: Vec<&str> = cases.iter().map(|c| c.label).collect();
    labels.sort();
    labels.dedup();
    let all = errors(&|_| true);
    println!(
        "| all | {} | {:.3} | {:.3} | {:.3} |",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.9),
        percentile(&all, 1.0)
    );
    for label in labels {
        let e = errors(&|c| c.label == label);
        println!(
            "| {label} | {} | {:.3} | {:.3} | {:.3} |",
            e.len(),
            percentile(&e, 0.5),
            percentile(&e, 0.9),
            percentile(&e, 1.0)
        );
    }
    let turned: Vec<&Case> = cases.iter().filter(|c| c.rotation != 0).collect();
    let upright_ok = cases
        .iter()
        .filter(|c| c.rotation == 0 && c.found_rotation == 0)
        .count();
    println!();
    println!(
        "Orientation: {}/{} turned pages (90, 180, 270) turned upright; {}/{} upright pages left alone.",
        turned
            .iter()
            .filter(|c| c.found_rotation == c.rotation)
            .count(),
        turned.len(),
        upright_ok,
        cases.len() - turned.len()
    );
    let stats = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        (
            100.0 * s.iter().sum::<f64>() / s.len().max(1) as f64,
            100.0 * percentile(&s, 0.5),
        )
    };
    println!();
    println!(
        "Character error rate on {} pages skewed up to 10 degrees, a quarter of them turned:",
        cer_with.len()
    );
    println!("| reading | mean | median |");
    println!("| --- | --- | --- |");
    let (m, d) = stats(cer_with);
    println!("| dossier: preprocessing + Tesseract | {m:.2}% | {d:.2}% |");
    let (m, d) = stats(cer_without);
    println!("| Tesseract alone on the scan | {m:.2}% | {d:.2}% |");
    if let Some((rates, seconds)) = ocrmypdf {
        let (m, d) = stats(&rates);
        println!("| ocrmypdf --deskew --rotate-pages ({seconds:.1} s/page) | {m:.2}% | {d:.2}% |");
    }
    println!();
    println!("Milliseconds per 300-dpi A4 page, one core:");
    println!("| step | median | max |");
    println!("| --- | --- | --- |");
    for (name, times) in steps {
        let mut t = times.clone();
        t.sort_by(f64::total_cmp);
        println!(
            "| {name} | {:.1} | {:.1} |",
            percentile(&t, 0.5),
            percentile(&t, 1.0)
        );
    }
}
