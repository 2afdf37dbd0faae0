//! Scanner stacks from end to end: sheets printed by `dossier sheets`, a
//! stack of 5 dossiers in one 40-page PDF, split, read, stored and searched;
//! then a stack that cannot be placed, kept, and placed by a corrections file.

use std::path::{Path, PathBuf};

use samples::BatchOptions;
use serde_json::Value;

use crate::util::{dossier, json};

/// Pages of a file, decoded as the pipeline decodes them.
fn pages_of(path: &Path) -> Vec<ocr::Scan> {
    let bytes = std::fs::read(path).unwrap();
    let limits = ocr::Limits::default();
    let count = ocr::page_count(&bytes, &limits).unwrap();
    (0..count)
        .map(|i| ocr::decode_page(&bytes, i, &limits).unwrap())
        .collect()
}

/// One image-only PDF of the pages, as a production scanner writes a stack.
fn write_stack(path: &Path, pages: &[&ocr::Scan]) {
    let mut builder = pdf::Builder::new();
    for scan in pages {
        let image = pdf::PageImage::encode(&scan.image, scan.bilevel, scan.resolution()).unwrap();
        builder.add_page(&image, &[]).unwrap();
    }
    let output = builder.finish(&pdf::Info::default()).unwrap();
    std::fs::write(path, output.pdf).unwrap();
}

/// The generated batch's dossiers: identifier and pages in filing order.
fn dossiers(batch: &Path) -> Vec<(String, Vec<ocr::Scan>)> {
    let mut out = Vec::new();
    let mut ids: Vec<_> = std::fs::read_dir(batch)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    ids.sort();
    for dir in ids {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e != "toml"))
            .collect();
        files.sort();
        let pages = files.iter().flat_map(|f| pages_of(f)).collect();
        out.push((
            dir.file_name().unwrap().to_string_lossy().into_owned(),
            pages,
        ));
    }
    out
}

struct Scene {
    _dir: tempfile::TempDir,
    root: PathBuf,
    archive: PathBuf,
    /// Each dossier's pages, in filing order.
    dossiers: Vec<(String, Vec<ocr::Scan>)>,
    /// The printed sheets: a cover per dossier, then a piece sheet per kind.
    sheets: Vec<ocr::Scan>,
}

fn scene() -> Scene {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let options = BatchOptions {
        dossiers: 5,
        documents: 5,
        dpi: 200,
        max_skew: 3.0,
        ..BatchOptions::default()
    };
    samples::generate_batch(&root, &options).unwrap();
    let dossiers = dossiers(&root.join("batch"));
    let mut list = String::from("dossier;name;corps\n");
    for (id, _) in &dossiers {
        let toml =
            std::fs::read_to_string(root.join("batch").join(id).join("dossier.toml")).unwrap();
        let name = toml
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .unwrap()
            .trim_matches('"');
        list.push_str(&format!("{id};{name};Enseignants\n"));
    }
    std::fs::write(root.join("list.csv"), list).unwrap();
    let archive = root.join("archive");
    let sheets_pdf = root.join("sheets.pdf");
    let list = root.join("list.csv");
    let args = [
        "sheets",
        "--list",
        list.to_str().unwrap(),
        "--pieces",
        "--out",
        sheets_pdf.to_str().unwrap(),
        "--json",
    ];
    let printed = dossier(&archive, &args);
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let printed = json(&printed);
    assert_eq!(printed["covers"], 5);
    assert_eq!(printed["pieces"], index::classify::KINDS.len());
    let sheets = pages_of(&sheets_pdf);
    Scene {
        _dir: dir,
        root,
        archive,
        dossiers,
        sheets,
    }
}

/// Where the piece sheet of `kind` is among the printed sheets.
fn piece(kind: &str) -> usize {
    5 + index::classify::KINDS
        .iter()
        .position(|k| *k == kind)
        .unwrap()
}

#[test]
fn a_stack_of_five_dossiers_in_one_pdf_is_split_read_and_filed() {
    let scene = scene();
    // Cover, the letter, the birth certificate and its blank back, the
    // diploma, the medical certificate, a piece sheet, the criminal record.
    let criminal = piece("criminal-record");
    let mut stack = Vec::new();
    for (n, (_, pages)) in scene.dossiers.iter().enumerate() {
        assert_eq!(pages.len(), 6);
        stack.push(&scene.sheets[n]);
        stack.extend(&pages[..5]);
        stack.push(&scene.sheets[criminal]);
        stack.push(&pages[5]);
    }
    assert_eq!(stack.len(), 40);
    let stack_pdf = scene.root.join("stack-0001.pdf");
    write_stack(&stack_pdf, &stack);

    let out = dossier(
        &scene.archive,
        &["ingest", stack_pdf.to_str().unwrap(), "--json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json(&out);
    let ids: Vec<&str> = scene.dossiers.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(report["stored"], serde_json::json!(ids));
    assert_eq!(report["pages"], 30);

    for (n, id) in ids.iter().enumerate() {
        let shown = json(&dossier(&scene.archive, &["show", id, "--json"]));
        let pages = shown["pages"].as_array().unwrap();
        assert_eq!(pages.len(), 6, "{id}");
        let first = 8 * n + 1;
        let stack_pages: Vec<u64> = pages
            .iter()
            .map(|p| p["source"]["stack_page"].as_u64().unwrap())
            .collect();
        let expected: Vec<u64> = [1, 2, 3, 4, 5, 7]
            .iter()
            .map(|k| (first + k) as u64)
            .collect();
        assert_eq!(stack_pages, expected, "{id}");
        let kinds: Vec<&Value> = pages.iter().map(|p| &p["kind"]).collect();
        assert!(kinds[..5].iter().all(|k| k.is_null()), "{id}: {kinds:?}");
        assert_eq!(kinds[5], "criminal-record");
        assert_eq!(shown["metadata"]["corps"], "Enseignants");
        assert_eq!(shown["sources"].as_array().unwrap().len(), 1);
        assert_eq!(shown["sources"][0]["path"], "stack-0001.pdf");
        assert_eq!(shown["sources"][0]["pages"], 40);
        let sheets: Vec<&str> = shown["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["sheet"].as_str().unwrap())
            .collect();
        assert_eq!(
            sheets,
            [format!("cover {id}").as_str(), "piece criminal-record"]
        );
    }
    let found = json(&dossier(
        &scene.archive,
        &["search", "kind:criminal-record", "--json"],
    ));
    assert_eq!(found["total"], 5);
    let verify = dossier(&scene.archive, &["verify"]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // The same stack again: nothing to redo.
    let again = json(&dossier(
        &scene.archive,
        &["ingest", stack_pdf.to_str().unwrap(), "--json"],
    ));
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 5);
    assert_eq!(again["pages_read"], 0);

    // A second stack that starts without a cover sheet: nothing is placed,
    // everything is kept; its corrections file says it continues the
    // first dossier, whose pages then come from both stacks.
    let (first_id, first_pages) = &scene.dossiers[0];
    let later = scene.root.join("stack-0002.pdf");
    write_stack(&later, &[&first_pages[0], &first_pages[2]]);
    let out = dossier(
        &scene.archive,
        &["ingest", later.to_str().unwrap(), "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(report["rejected"][0]["path"], "stack-0002.pdf (pages 1-2)");
    let error = report["rejected"][0]["error"].as_str().unwrap();
    assert!(error.contains("no cover sheet before them"), "{error}");
    assert_eq!(dossier(&scene.archive, &["verify"]).status.code(), Some(0));

    std::fs::write(
        scene.root.join("stack-0002.sheets.toml"),
        format!("continues = \"{first_id}\"\n"),
    )
    .unwrap();
    let out = dossier(
        &scene.archive,
        &["ingest", later.to_str().unwrap(), "--json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let shown = json(&dossier(&scene.archive, &["show", first_id, "--json"]));
    assert_eq!(shown["pages"].as_array().unwrap().len(), 8);
    let paths: Vec<&str> = shown["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["stack-0001.pdf", "stack-0002.pdf"]);
    assert_eq!(dossier(&scene.archive, &["verify"]).status.code(), Some(0));
}

#[test]
fn a_cover_sheet_of_a_dossier_not_in_the_list_is_refused_and_its_pages_kept() {
    let scene = scene();
    let stranger = scene.root.join("stranger.pdf");
    let out = dossier(
        &scene.archive,
        &[
            "sheets",
            "--dossier",
            "INT-1999-00001",
            "--out",
            stranger.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let stranger_cover = pages_of(&stranger).remove(0);
    let (id, pages) = &scene.dossiers[1];
    let stack_pdf = scene.root.join("mixed.pdf");
    write_stack(
        &stack_pdf,
        &[&scene.sheets[1], &pages[0], &stranger_cover, &pages[1]],
    );
    let out = dossier(
        &scene.archive,
        &["ingest", stack_pdf.to_str().unwrap(), "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(report["stored"], serde_json::json!([id]));
    assert_eq!(report["rejected"][0]["path"], "mixed.pdf (pages 4)");
    let error = report["rejected"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("page 3 names INT-1999-00001, which is not a known dossier"),
        "{error}"
    );
}

#[test]
fn a_sheet_whose_codes_are_lost_stops_its_dossier_until_named() {
    let scene = scene();
    let (first, first_pages) = &scene.dossiers[0];
    let (second, second_pages) = &scene.dossiers[1];
    // The second cover sheet, its codes torn off: only its printed words remain.
    let mut torn = scene.sheets[1].clone();
    let grey = torn.image.as_mut_luma8().unwrap();
    for y in 1450..3000 {
        for x in 0..grey.width() {
            grey.put_pixel(x, y, image::Luma([255]));
        }
    }
    let stack_pdf = scene.root.join("torn.pdf");
    write_stack(
        &stack_pdf,
        &[&scene.sheets[0], &first_pages[0], &torn, &second_pages[0]],
    );
    let out = dossier(
        &scene.archive,
        &["ingest", stack_pdf.to_str().unwrap(), "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(report["stored"], serde_json::json!([]));
    let error = report["rejected"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("page 3 of the stack reads as a separator sheet"),
        "{error}"
    );
    assert_eq!(dossier(&scene.archive, &["verify"]).status.code(), Some(0));

    std::fs::write(
        scene.root.join("torn.sheets.toml"),
        format!("[pages]\n3 = \"cover {second}\"\n"),
    )
    .unwrap();
    let out = dossier(
        &scene.archive,
        &["ingest", stack_pdf.to_str().unwrap(), "--json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json(&out);
    assert_eq!(report["stored"], serde_json::json!([first, second]));
    // Every page had been read by the first run.
    assert_eq!(report["pages_read"], 0);
}

#[test]
fn a_stack_file_dropped_in_the_hot_folder_is_split_and_filed() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let cover = dir.path().join("cover.pdf");
    let out = dossier(
        &archive,
        &[
            "sheets",
            "--dossier",
            "INT-2026-00077",
            "--out",
            cover.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let page = crate::util::samples().join("batch/INT-2026-00001/001.png");
    let cover = pages_of(&cover).remove(0);
    let page = pages_of(&page).remove(0);
    // Two stacks of the same name, one after the other, as a scanner reuses names.
    for round in 0..2 {
        write_stack(&inbox.join("scan.pdf"), &[&cover, &page]);
        std::fs::write(inbox.join("scan.pdf.done"), b"").unwrap();
        let out = dossier(
            &archive,
            &["watch", inbox.to_str().unwrap(), "--once", "--settle", "0"],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let filed = inbox
            .join("_done")
            .join(if round == 0 { "scan.pdf" } else { "scan-2.pdf" });
        assert!(filed.is_file(), "{}", String::from_utf8_lossy(&out.stdout));
        let report = std::fs::read(filed.with_extension("pdf.dossier-report.json")).unwrap();
        let report: Value = serde_json::from_slice(&report).unwrap();
        assert_eq!(report["ok"], true);
        assert!(!inbox.join("scan.pdf.done").exists());
    }
    let shown = json(&dossier(&archive, &["show", "INT-2026-00077", "--json"]));
    assert_eq!(shown["pages"].as_array().unwrap().len(), 1);
}
