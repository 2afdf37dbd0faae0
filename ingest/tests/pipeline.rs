//! Whole batches through the real pipeline: real Tesseract, real tantivy, the
//! embedded store in a temp folder, poppler to read the PDFs back.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dossier_ingest::{Job, Options, Quiet, Report, ingest};
use samples::{BatchOptions, Truth, cer, generate_batch};
use store::{Store, manifest::Manifest, sha256};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples")
}

struct Archive {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: Store,
    index: Arc<index::Index>,
}

fn archive() -> Archive {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let store = Store::local(&root);
    let index = Arc::new(index::Index::open_or_create(&root.join("index")).unwrap());
    Archive {
        _dir: dir,
        root,
        store,
        index,
    }
}

async fn run(archive: &Archive, batches: &[&Path]) -> Report {
    let job = Job {
        batches: batches.iter().map(|b| b.to_path_buf()).collect(),
        archive: archive.root.clone(),
        station: "station-1".into(),
        store: archive.store.clone(),
        index: archive.index.clone(),
        options: Options {
            workers: 2,
            ..Options::default()
        },
        progress: Arc::new(Quiet),
        signer: Some(Arc::new(store::Signer::generate().unwrap())),
    };
    ingest(job).await.unwrap()
}

/// Every page's text of a dossier, one after the other.
fn page_text(manifest: &Manifest) -> String {
    manifest
        .pages
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn manifest(archive: &Archive, id: &str) -> Manifest {
    archive
        .store
        .manifest(id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{id} not stored"))
        .1
}

/// Total edit distance over total truth length, over every page of the truth.
async fn batch_cer(archive: &Archive, truth: &Truth) -> f64 {
    let (mut errors, mut chars) = (0, 0);
    for dossier in &truth.dossiers {
        let manifest = manifest(archive, &dossier.id).await;
        assert_eq!(manifest.pages.len(), dossier.pages.len(), "{}", dossier.id);
        for (expected, page) in dossier.pages.iter().zip(&manifest.pages) {
            errors += cer::edit_distance(&expected.text, &page.text);
            chars += cer::normalise(&expected.text).len();
        }
    }
    errors as f64 / chars as f64
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils) must be installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_batch_is_read_hashed_stored_and_searchable() {
    let archive = archive();
    let batch = samples_dir().join("batch");
    let truth = Truth::load(&samples_dir().join("truth.json")).unwrap();
    let report = run(&archive, &[&batch]).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.dossiers, truth.dossiers.len());
    let n_pages: usize = truth.dossiers.iter().map(|d| d.pages.len()).sum();
    assert_eq!((report.pages, report.pages_read), (n_pages, n_pages));

    // Text: the whole batch, skewed pages included, under 3% character errors.
    let rate = batch_cer(&archive, &truth).await;
    assert!(rate < 0.03, "character error rate {rate:.4}");

    for dossier in &truth.dossiers {
        let manifest = manifest(&archive, &dossier.id).await;
        for (expected, page) in dossier.pages.iter().zip(&manifest.pages) {
            // Skew found and undone, blank versos recognised.
            assert!(
                (page.skew_degrees - expected.skew_degrees).abs() < 0.3,
                "{} p{}",
                dossier.id,
                page.number
            );
            assert_eq!(
                page.blank, expected.blank,
                "{} p{}",
                dossier.id, page.number
            );
            assert_eq!(
                page.source.path,
                format!("{}/{}", dossier.id, expected.file)
            );
            assert_eq!(page.source.page, expected.page_in_file);
        }
        // Hashes: each source is the file on disk, byte for byte, and is stored.
        for source in &manifest.sources {
            let on_disk = std::fs::read(batch.join(&source.path)).unwrap();
            assert_eq!(source.sha256, sha256(&on_disk), "{}", source.path);
            assert_eq!(archive.store.get(&source.sha256).await.unwrap(), on_disk);
        }
        // The PDF gives back the OCR text.
        let pdf = archive.store.get(&manifest.pdf.sha256).await.unwrap();
        let all_text = page_text(&manifest);
        let extracted = pdftotext(&pdf);
        assert!(
            cer::cer(&all_text, &extracted) < 0.01,
            "pdftotext of {}:\n{extracted}",
            dossier.id
        );
        // Search finds the candidate by name, accents folded.
        let name = manifest.metadata["name"]
            .as_str()
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_lowercase();
        let options = index::SearchOptions {
            dossier: Some(dossier.id.clone()),
            ..Default::default()
        };
        let results = archive.index.search(&name, &options).unwrap();
        assert!(results.total >= 1, "{name} in {}", dossier.id);
    }
    let results = archive
        .index
        .search("\"centre d'etat civil\"", &Default::default())
        .unwrap();
    assert_eq!(
        results.total,
        truth.dossiers.len(),
        "one birth certificate per dossier"
    );
    assert!(results.hits[0].snippet.contains("<b>"));
    let results = archive
        .index
        .search("integration", &Default::default())
        .unwrap();
    assert!(
        results.total >= truth.dossiers.len(),
        "integration finds intégration"
    );

    // Every object in the store hashes to its name.
    for key in archive.store.backend().list().await.unwrap() {
        let digest = store::Digest::from_key(&key).unwrap_or_else(|| panic!("stray object {key}"));
        archive.store.get(&digest).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_a_batch_again_stores_nothing_twice() {
    let archive = archive();
    let batch = samples_dir().join("batch");
    let first = run(&archive, &[&batch]).await;
    assert!(first.objects.stored > 0);
    let objects_before = archive.store.backend().list().await.unwrap().len();
    let ledger_before = archive.store.ledger().await.unwrap().len();

    let again = run(&archive, &[&batch]).await;
    assert!(again.stored.is_empty(), "{:?}", again.stored);
    assert_eq!(again.unchanged.len(), first.stored.len());
    assert_eq!((again.objects.stored, again.pages_read), (0, 0));
    assert_eq!(again.dossiers, first.dossiers);
    assert_eq!(
        archive.store.backend().list().await.unwrap().len(),
        objects_before
    );
    assert_eq!(archive.store.ledger().await.unwrap().len(), ledger_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ingest_takes_the_lock_and_recovers_from_a_killed_one() {
    let archive = archive();
    let batch = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(batch.path().join("INT-1")).unwrap();
    let page = samples_dir().join("batch/INT-2026-00001/001.png");
    std::fs::copy(&page, batch.path().join("INT-1/001.png")).unwrap();

    // What a run killed before its commit point leaves: an object nothing
    // names, and the lock file saying it was running.
    let (stray, _) = archive
        .store
        .put(store::Bytes::from_static(b"half a dossier"))
        .await
        .unwrap();
    std::fs::write(archive.root.join("ingest.lock"), "running 4242\n").unwrap();
    let report = run(&archive, &[batch.path()]).await;
    let recovered = report.recovered.expect("the killed run was found");
    assert_eq!(recovered.objects_removed, 1);
    assert!(archive.store.get(&stray.sha256).await.is_err());
    assert_eq!(report.stored, ["INT-1"]);
    assert!(archive.store.leases().await.unwrap().is_empty());
    assert!(!dossier_ingest::IngestLock::held(&archive.root));

    // One ingest at a time, whoever calls it.
    let (_held, _) = dossier_ingest::IngestLock::take(&archive.root).unwrap();
    let job = Job {
        batches: vec![batch.path().to_path_buf()],
        archive: archive.root.clone(),
        station: "station-2".into(),
        store: archive.store.clone(),
        index: archive.index.clone(),
        options: Options::default(),
        progress: Arc::new(Quiet),
        signer: None,
    };
    let refused = ingest(job).await.unwrap_err();
    assert!(
        matches!(refused, dossier_ingest::Error::Busy(_)),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_with_the_same_bytes_as_another_dossiers_names_its_own_file() {
    let archive = archive();
    let page = samples_dir().join("batch/INT-2026-00001/001.png");
    let mut reads = Vec::new();
    for (dossier, file) in [("BAD-1", "01-good.png"), ("REAL-3", "02.png")] {
        let batch = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(batch.path().join(dossier)).unwrap();
        std::fs::copy(&page, batch.path().join(dossier).join(file)).unwrap();
        reads.push(run(&archive, &[batch.path()]).await.pages_read);
    }
    assert_eq!(reads, [1, 0], "the second dossier reuses the first reading");
    for (dossier, path) in [("BAD-1", "BAD-1/01-good.png"), ("REAL-3", "REAL-3/02.png")] {
        let manifest = manifest(&archive, dossier).await;
        assert_eq!(manifest.pages[0].source.path, path, "{dossier}");
        assert_eq!(manifest.sources[0].path, path, "{dossier}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_added_to_a_dossier_is_the_only_page_read_again() {
    let archive = archive();
    let work = tempfile::tempdir().unwrap();
    let batch = work.path().join("B");
    copy_dir(
        &samples_dir().join("batch/INT-2026-00002"),
        &batch.join("INT-2026-00002"),
    );
    let first = run(&archive, &[&batch]).await;
    let before = manifest(&archive, "INT-2026-00002").await;
    std::fs::copy(
        samples_dir().join("batch/INT-2026-00001/001.png"),
        batch.join("INT-2026-00002/009.png"),
    )
    .unwrap();

    let again = run(&archive, &[&batch]).await;
    assert_eq!(again.stored, ["INT-2026-00002"]);
    assert_eq!(
        (again.pages_read, again.pages_reused),
        (1, first.pages_read)
    );
    let after = manifest(&archive, "INT-2026-00002").await;
    assert_eq!(after.pages.len(), before.pages.len() + 1);
    // The files the last manifest named are counted as in the archive, not stored again.
    let named = |m: &Manifest| -> Vec<(String, String)> {
        m.sources
            .iter()
            .map(|s| (s.path.clone(), s.key.clone()))
            .collect()
    };
    assert_eq!(named(&after)[..before.sources.len()], named(&before)[..]);
    assert!(again.objects.existing >= before.sources.len());
    assert_eq!(
        after.pages.last().unwrap().source.path,
        "INT-2026-00002/009.png"
    );
    assert_eq!(
        after.replaces,
        Some(
            archive
                .store
                .ledger()
                .await
                .unwrap()
                .iter()
                .find_map(|(_, r)| match &r.event {
                    store::Event::DossierStored {
                        previous: None,
                        manifest,
                        ..
                    } => Some(*manifest),
                    _ => None,
                })
                .unwrap()
        )
    );
    // The reused pages keep their text.
    assert_eq!(after.pages[0].text, before.pages[0].text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrected_dossier_toml_is_stored_again_without_reading_a_page() {
    let archive = archive();
    let work = tempfile::tempdir().unwrap();
    let batch = work.path().join("B");
    copy_dir(
        &samples_dir().join("batch/INT-2026-00001"),
        &batch.join("INT-2026-00001"),
    );
    let first = run(&archive, &[&batch]).await;
    let toml = batch.join("INT-2026-00001/dossier.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains("MBARGA Hervé"));
    std::fs::write(&toml, text.replace("MBARGA Hervé", "MBARGA Hervé Joël")).unwrap();

    let again = run(&archive, &[&batch]).await;
    assert_eq!(again.stored, ["INT-2026-00001"]);
    assert_eq!(
        (again.pages_read, again.pages_reused),
        (0, first.pages_read)
    );
    let after = manifest(&archive, "INT-2026-00001").await;
    assert_eq!(after.metadata["name"], "MBARGA Hervé Joël");
    // Every page is found under the corrected name, and only once: the old
    // manifest's pages left the index.
    for name in ["joël", "mbarga"] {
        let found = archive.index.search(name, &Default::default()).unwrap();
        assert_eq!(found.total, after.pages.len(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noisy_generated_batch_reads_under_3_percent() {
    let work = tempfile::tempdir().unwrap();
    let options = BatchOptions {
        dossiers: 2,
        seed: 77,
        noise: 8.0,
        documents: 3,
        max_skew: 7.0,
        ..Default::default()
    };
    let truth = generate_batch(work.path(), &options).unwrap();
    let archive = archive();
    let report = run(&archive, &[&work.path().join("batch")]).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let rate = batch_cer(&archive, &truth).await;
    assert!(rate < 0.03, "character error rate {rate:.4}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_inputs_are_rejected_with_path_and_reason_and_the_rest_is_stored() {
    let work = tempfile::tempdir().unwrap();
    let batch = work.path().join("B");
    copy_dir(
        &samples_dir().join("batch/INT-2026-00003"),
        &batch.join("INT-2026-00003"),
    );
    let good_png = std::fs::read(samples_dir().join("batch/INT-2026-00001/001.png")).unwrap();
    let bad = batch.join("INT-BAD");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("1.png"), &good_png).unwrap();
    std::fs::write(bad.join("2.png"), &good_png[..good_png.len() / 3]).unwrap();
    std::fs::write(bad.join("3.tif"), b"this is not a TIFF").unwrap();
    std::fs::write(bad.join("4.jpg"), b"").unwrap();
    std::fs::create_dir_all(batch.join("INT 2026 bad name")).unwrap();
    std::fs::create_dir_all(batch.join("INT-EMPTY")).unwrap();

    let archive = archive();
    let report = run(&archive, &[&batch]).await;
    let mut rejected: Vec<(String, String)> = report
        .rejected
        .iter()
        .map(|r| (r.path.clone(), r.error.clone()))
        .collect();
    rejected.sort();
    let paths: Vec<&str> = rejected.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "B/INT 2026 bad name",
            "B/INT-BAD/2.png",
            "B/INT-BAD/3.tif",
            "B/INT-BAD/4.jpg",
            "B/INT-EMPTY"
        ]
    );
    assert!(
        rejected[0].1.contains("invalid dossier identifier"),
        "{rejected:?}"
    );
    assert!(!rejected[1].1.is_empty());
    assert!(
        rejected[2].1.contains("not a PNG, JPEG, TIFF or PDF"),
        "{rejected:?}"
    );
    assert!(rejected[3].1.contains("0 bytes"), "{rejected:?}");
    assert!(rejected[4].1.contains("empty dossier"), "{rejected:?}");
    assert_eq!(report.stored, ["INT-2026-00003", "INT-BAD"]);
    let bad = manifest(&archive, "INT-BAD").await;
    assert_eq!(bad.pages.len(), 1);
    assert_eq!(
        bad.rejected.len(),
        3,
        "the manifest keeps what was not stored"
    );
    // Rejections are in the ledger too.
    let ledger = archive.store.ledger().await.unwrap();
    let logged = ledger
        .iter()
        .filter(|(_, r)| matches!(r.event, store::Event::Rejected { .. }))
        .count();
    assert_eq!(logged, 5);
    assert!(archive.root.join("refs/dossiers/INT-BAD").exists());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn run_tool(program: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (scripts/setup): {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_pdfs_are_archival_no_bigger_than_the_scans_and_look_like_them() {
    let archive = archive();
    let truth = Truth::load(&samples_dir().join("truth.json")).unwrap();
    run(&archive, &[&samples_dir().join("batch")]).await;
    let work = tempfile::tempdir().unwrap();
    let (mut pdf_bytes, mut source_bytes) = (0u64, 0u64);
    for dossier in &truth.dossiers {
        let manifest = manifest(&archive, &dossier.id).await;
        pdf_bytes += manifest.pdf.bytes;
        source_bytes += manifest.sources.iter().map(|s| s.bytes).sum::<u64>();
        let pdf = work.path().join(format!("{}.pdf", dossier.id));
        std::fs::write(&pdf, archive.store.get(&manifest.pdf.sha256).await.unwrap()).unwrap();
        let pdf_arg = pdf.to_str().unwrap();

        let check = run_tool("qpdf", &["--check", pdf_arg]);
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
        let meta = String::from_utf8(run_tool("pdfinfo", &["-meta", pdf_arg]).stdout).unwrap();
        assert!(meta.contains("<pdfaid:part>2</pdfaid:part>"), "{meta}");
        assert!(manifest.hocr.is_some() && manifest.alto.is_some());

        // pdftotext gives back the OCR text, within 0.5%.
        let all_text = page_text(&manifest);
        let extracted = String::from_utf8(run_tool("pdftotext", &[pdf_arg, "-"]).stdout).unwrap();
        let rate = cer::cer(&all_text, &extracted);
        assert!(
            rate <= 0.005,
            "pdftotext of {} differs by {rate:.4}",
            dossier.id
        );

        // Each page renders like the straightened scan it holds.
        for page in &manifest.pages {
            let prefix = work.path().join(format!("{}-{}", dossier.id, page.number));
            let n = page.number.to_string();
            let render = run_tool(
                "pdftoppm",
                &[
                    "-gray",
                    "-r",
                    "30",
                    "-png",
                    "-singlefile",
                    "-f",
                    &n,
                    "-l",
                    &n,
                    pdf_arg,
                    prefix.to_str().unwrap(),
                ],
            );
            assert!(render.status.success());
            let rendered = std::fs::read(prefix.with_extension("png")).unwrap();
            let rendered = ocr::deskew::to_grey(
                &ocr::decode_page(&rendered, 0, &Default::default())
                    .unwrap()
                    .image,
            );
            let stored = archive.store.get(&page.image.sha256).await.unwrap();
            let stored = ocr::deskew::to_grey(
                &ocr::decode_page(&stored, 0, &Default::default())
                    .unwrap()
                    .image,
            );
            let small = ocr::deskew::downscale(&stored, 10);
            let (w, h) = (
                small.width().min(rendered.width()),
                small.height().min(rendered.height()),
            );
            // Compared where the scan has ink, so that a blank rendering cannot pass.
            let ink: Vec<u64> = (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .filter(|&(x, y)| small.get_pixel(x, y)[0] < 180)
                .map(|(x, y)| {
                    u64::from(small.get_pixel(x, y)[0].abs_diff(rendered.get_pixel(x, y)[0]))
                })
                .collect();
            if page.blank {
                continue;
            }
            assert!(
                ink.len() > 100,
                "{} page {}: no ink",
                dossier.id,
                page.number
            );
            let mean = ink.iter().sum::<u64>() as f64 / ink.len() as f64;
            // Resampling moves edges by a pixel; a blank or different page differs by 75 or more.
            assert!(
                mean < 50.0,
                "{} page {}: mean difference {mean:.1} over ink",
                dossier.id,
                page.number
            );
        }
    }
    let ratio = pdf_bytes as f64 / source_bytes as f64;
    eprintln!("PDFs: {pdf_bytes} bytes for {source_bytes} bytes of scans ({ratio:.2})");
    assert!(ratio <= 1.1, "PDFs are {ratio:.2} times the scans");
}

fn real_scan(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/real-scans")
        .join(name)
}

/// Real scans nobody here made: a letter on beige paper in the scanner's
/// grey frame that Tesseract alone reads as nothing, and a clean upright
/// typescript. The first is read a second and a third time and the
/// manifest says so; the second is read once, upright.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_no_plain_reading_makes_out_is_read_again_and_the_manifest_says_how() {
    let archive = archive();
    let batch = tempfile::tempdir().unwrap();
    for (dossier, scan) in [
        ("FRAMED", "fr_tapus_b530924453_1.jpeg"),
        ("CLEAN", "en_ehri_bf19380509b_02.jpg"),
    ] {
        std::fs::create_dir_all(batch.path().join(dossier)).unwrap();
        std::fs::copy(real_scan(scan), batch.path().join(dossier).join(scan)).unwrap();
    }
    let report = run(&archive, &[batch.path()]).await;
    assert_eq!(report.pages_read, 2);

    let framed = &manifest(&archive, "FRAMED").await.pages[0];
    let reading = framed.reading.as_ref().expect("read again");
    assert_eq!(reading.kept, "flattened", "{reading:?}");
    assert_eq!(reading.reason, "no word read");
    assert_eq!(
        (reading.preprocessed.words, reading.as_scanned.words),
        (0, 0)
    );
    assert!(framed.text.contains("autorisation"), "{}", framed.text);
    assert_eq!((framed.rotation, framed.blank), (0, false));

    let clean = &manifest(&archive, "CLEAN").await.pages[0];
    assert_eq!(clean.reading, None, "a clear page is read once");
    assert_eq!(clean.rotation, 0);
}

/// Real scans on which preprocessing guessed: a typescript in the scanner's
/// grey frame (the frame painted as paper thinned its faint type for
/// Tesseract's threshold: 9.8% CER), and a court deposition whose PNG
/// declares 96 dpi for a page 27 inches long (read at the resolution we
/// guessed, its line numbers were taken into the text: 69% CER). Both read
/// confidently either way; each is read as scanned too, as Tesseract alone
/// reads it, and that reading is kept: it reads as well as Tesseract alone
/// (4.4% and 57%).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_preprocessing_guessed_about_is_read_as_tesseract_alone_reads_it_too() {
    let archive = archive();
    let batch = tempfile::tempdir().unwrap();
    let pages = [
        (
            "FRAMED",
            "en_ehri_wl16560044_07",
            "jpg",
            "scanner border painted",
            0.06,
        ),
        (
            "OVERRIDDEN",
            "en_scribe_deposition01_1",
            "png",
            "declared resolution overridden",
            0.63,
        ),
    ];
    for (dossier, scan, ext, _, _) in pages {
        std::fs::create_dir_all(batch.path().join(dossier)).unwrap();
        let name = format!("{scan}.{ext}");
        std::fs::copy(real_scan(&name), batch.path().join(dossier).join(name)).unwrap();
    }
    run(&archive, &[batch.path()]).await;
    for (dossier, scan, _, reason, most) in pages {
        let page = &manifest(&archive, dossier).await.pages[0];
        let reading = page.reading.as_ref().expect("read again");
        assert_eq!(
            (reading.kept.as_str(), reading.reason.as_str()),
            ("as-scanned", reason)
        );
        let truth = std::fs::read_to_string(real_scan(&format!("{scan}.txt"))).unwrap();
        let cer = samples::cer::cer(&truth, &page.text);
        assert!(cer < most, "{dossier}: CER {cer:.4}");
    }
}
