//! Every file a scanner produces, and every bad one: scanner PDFs (DCT, Flate,
//! CCITT G4) are read; broken, hostile and odd inputs are rejected with their
//! path and reason while the rest of the batch is stored.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dossier_ingest::{Job, Options, Quiet, Report, ingest};
use lopdf::{Document, Object, Stream, dictionary};
use samples::{Truth, cer};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples")
}

fn sample(rel: &str) -> Vec<u8> {
    std::fs::read(samples_dir().join("batch").join(rel)).unwrap()
}

fn truth_text(dossier: &str, file: &str) -> String {
    let truth = Truth::load(&samples_dir().join("truth.json")).unwrap();
    let pages = &truth.dossier(dossier).unwrap().pages;
    pages
        .iter()
        .find(|p| p.file == file && p.page_in_file == 0)
        .unwrap()
        .text
        .clone()
}

async fn run(batch: &Path) -> (tempfile::TempDir, store::Store, Report) {
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::local(dir.path());
    let index = Arc::new(index::Index::open_or_create(&dir.path().join("index")).unwrap());
    let options = Options {
        workers: 2,
        ..Options::default()
    };
    let job = Job {
        batches: vec![batch.to_path_buf()],
        archive: dir.path().to_path_buf(),
        station: "station-1".into(),
        store: store.clone(),
        index,
        options,
        progress: Arc::new(Quiet),
        signer: None,
    };
    let report = ingest(job).await.unwrap();
    (dir, store, report)
}

/// A one-image-per-page PDF as scanner software writes it.
fn scanner_pdf(pages: &[(Stream, u32, u32)]) -> Vec<u8> {
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for (image, width, height) in pages {
        let image_id = doc.add_object(image.clone());
        let (w, h) = (*width as f32 * 72.0 / 300.0, *height as f32 * 72.0 / 300.0);
        let content = doc.add_object(Stream::new(
            lopdf::Dictionary::new(),
            format!("q {w} 0 0 {h} 0 0 cm /Im0 Do Q").into_bytes(),
        ));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), w.into(), h.into()],
            "Contents" => content,
            "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image_id } },
        });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn image_stream(
    filter: &str,
    parms: Option<lopdf::Dictionary>,
    width: u32,
    height: u32,
    bpc: i64,
    data: Vec<u8>,
) -> Stream {
    let mut dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Image", "Width" => width, "Height" => height,
        "ColorSpace" => "DeviceGray", "BitsPerComponent" => bpc, "Filter" => filter,
    };
    if let Some(parms) = parms {
        dict.set("DecodeParms", parms);
    }
    Stream::new(dict, data).with_compression(false)
}

fn jpeg_page(rel: &str) -> (Stream, u32, u32) {
    let image = image::load_from_memory(&sample(rel)).unwrap().into_luma8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&image)
        .unwrap();
    (
        image_stream("DCTDecode", None, image.width(), image.height(), 8, jpeg),
        image.width(),
        image.height(),
    )
}

fn g4_page(rel: &str) -> (Stream, u32, u32) {
    let image = image::load_from_memory(&sample(rel)).unwrap().into_luma8();
    let (w, h) = image.dimensions();
    let mut encoder = fax::encoder::Encoder::new(fax::VecWriter::new());
    for row in image.rows() {
        let pels = row.map(|p| {
            if p[0] < 128 {
                fax::Color::Black
            } else {
                fax::Color::White
            }
        });
        encoder.encode_line(pels, w as u16).unwrap();
    }
    let data = encoder.finish().unwrap().finish();
    let parms = dictionary! { "K" => -1, "Columns" => w as i64, "Rows" => h as i64 };
    (
        image_stream("CCITTFaxDecode", Some(parms), w, h, 1, data),
        w,
        h,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanner_pdfs_are_read_page_by_page() {
    let work = tempfile::tempdir().unwrap();
    let dossier = work.path().join("B/INT-PDF");
    std::fs::create_dir_all(&dossier).unwrap();
    // JPEG (DCT) pages, and a bilevel page in CCITT G4, in one two-page PDF and one single.
    std::fs::write(
        dossier.join("1.pdf"),
        scanner_pdf(&[
            jpeg_page("INT-2026-00002/001.jpg"),
            g4_page("INT-2026-00001/004.png"),
        ]),
    )
    .unwrap();
    std::fs::write(
        dossier.join("2.pdf"),
        scanner_pdf(&[jpeg_page("INT-2026-00003/003.jpg")]),
    )
    .unwrap();
    let (_dir, store, report) = run(&work.path().join("B")).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let (_, manifest) = store.manifest("INT-PDF").await.unwrap().unwrap();
    assert_eq!(manifest.pages.len(), 3);
    assert_eq!(manifest.sources[0].mime, "application/pdf");
    assert_eq!(manifest.sources[0].pages, 2);
    let expected = [
        truth_text("INT-2026-00002", "001.jpg"),
        truth_text("INT-2026-00001", "004.png"),
        truth_text("INT-2026-00003", "003.jpg"),
    ];
    for (page, truth) in manifest.pages.iter().zip(&expected) {
        let rate = cer::cer(truth, &page.text);
        assert!(
            rate < 0.03,
            "page {} ({}): error rate {rate:.3}\n{}",
            page.number,
            page.source.path,
            page.text
        );
        assert!(
            (page.dpi - 300.0).abs() < 1.0,
            "resolution from the page size: {}",
            page.dpi
        );
    }
    // The original PDFs are kept in the archive too.
    assert_eq!(
        store.get(&manifest.sources[0].sha256).await.unwrap(),
        std::fs::read(dossier.join("1.pdf")).unwrap()
    );
}

/// A PNG whose header claims `width` x `height`, with no real data behind it.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]);
    out.extend(13u32.to_be_bytes());
    out.extend(&ihdr);
    out.extend(crc32(&ihdr).to_be_bytes());
    // A few bytes of image data: a real bomb's compressed rows would be tiny too.
    let idat = [
        b"IDAT".as_slice(),
        &[0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    ]
    .concat();
    out.extend(9u32.to_be_bytes());
    out.extend(&idat);
    out.extend(crc32(&idat).to_be_bytes());
    out.extend(0u32.to_be_bytes());
    out.extend(b"IEND");
    out.extend(crc32(b"IEND").to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// An uncompressed grey TIFF whose header claims `side` x `side` pixels.
fn tiff_claiming(side: u32) -> Vec<u8> {
    let mut out = b"II*\0".to_vec();
    out.extend(8u32.to_le_bytes());
    let entries: [(u16, u16, u32); 8] = [
        (256, 4, side),
        (257, 4, side),
        (258, 3, 8),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, 200),
        (278, 4, side),
        (279, 4, side * side),
    ];
    out.extend((entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        out.extend(tag.to_le_bytes());
        out.extend(kind.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.extend(value.to_le_bytes());
    }
    out.extend(0u32.to_le_bytes());
    out.resize(400, 0);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_and_hostile_files_are_rejected_with_a_reason_and_the_rest_is_stored() {
    let work = tempfile::tempdir().unwrap();
    let batch = work.path().join("B");
    let dossier = batch.join("INT-MIXED");
    std::fs::create_dir_all(&dossier).unwrap();
    let good_png = sample("INT-2026-00001/001.png");
    let good_jpg = sample("INT-2026-00002/001.jpg");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("01-good.png", good_png.clone()),
        ("02-png-named.jpg", good_png.clone()),
        ("03-truncated.jpg", good_jpg[..good_jpg.len() / 4].to_vec()),
        ("04-text.png", b"not an image at all".to_vec()),
        ("05-empty.tif", Vec::new()),
        ("06-bomb-60000.png", png_claiming(60_000, 60_000)),
        ("07-bomb-35000.tif", tiff_claiming(35_000)),
        ("08-header-only.pdf", b"%PDF-1.7\n".to_vec()),
        (
            "09-garbage.pdf",
            [b"%PDF-1.4\n".as_slice(), &[0x42; 200], b"\n%%EOF\n"].concat(),
        ),
        ("10-no-pages.pdf", scanner_pdf(&[])),
        (
            "11-jbig2.pdf",
            scanner_pdf(&[(
                image_stream("JBIG2Decode", None, 100, 100, 1, vec![0; 50]),
                100,
                100,
            )]),
        ),
        (
            "12-truncated.tif",
            sample("INT-2026-00001/003.tif")[..3000].to_vec(),
        ),
    ];
    for (name, bytes) in &files {
        std::fs::write(dossier.join(name), bytes).unwrap();
    }
    // An encrypted PDF, made by qpdf.
    let plain = work.path().join("plain.pdf");
    std::fs::write(&plain, scanner_pdf(&[jpeg_page("INT-2026-00002/001.jpg")])).unwrap();
    let status = std::process::Command::new("qpdf")
        .args(["--encrypt", "user", "owner", "256", "--"])
        .arg(&plain)
        .arg(dossier.join("13-encrypted.pdf"))
        .status()
        .expect("qpdf (scripts/setup installs it)");
    assert!(status.success());
    // A file name that is not UTF-8, and a dossier of nothing but bad files.
    use std::os::unix::ffi::OsStrExt;
    std::fs::write(
        dossier.join(std::ffi::OsStr::from_bytes(b"14-caf\xe9.png")),
        &good_png,
    )
    .unwrap();
    std::fs::create_dir_all(batch.join("INT-ALLBAD")).unwrap();
    std::fs::write(batch.join("INT-ALLBAD/1.png"), b"garbage").unwrap();

    let (_dir, store, report) = run(&batch).await;
    let reason = |name: &str| -> String {
        report
            .rejected
            .iter()
            .find(|r| r.path.contains(name))
            .unwrap_or_else(|| panic!("{name} not rejected: {:?}", report.rejected))
            .error
            .clone()
    };
    assert!(reason("03-truncated.jpg").len() > 5);
    assert!(reason("04-text.png").contains("not a PNG, JPEG, TIFF or PDF"));
    assert!(reason("05-empty.tif").contains("0 bytes"));
    assert!(
        reason("06-bomb-60000.png").contains("exceeds the limit"),
        "{}",
        reason("06-bomb")
    );
    assert!(
        reason("07-bomb-35000.tif").contains("exceeds the limit"),
        "{}",
        reason("07-bomb")
    );
    assert!(reason("08-header-only.pdf").contains("truncated"));
    assert!(reason("09-garbage.pdf").contains("PDF"));
    assert!(reason("10-no-pages.pdf").contains("no pages"));
    assert!(reason("11-jbig2.pdf").contains("JBIG2"));
    assert!(!reason("12-truncated.tif").is_empty());
    assert!(reason("13-encrypted.pdf").contains("encrypted"));
    assert!(reason("14-caf").contains("not valid UTF-8"));
    assert!(reason("INT-ALLBAD").contains("not a PNG"));
    assert_eq!(report.rejected.len(), 13, "{:?}", report.rejected);
    // Every path names the batch, the dossier and the file.
    assert!(
        report.rejected.iter().all(|r| r.path.starts_with("B/INT-")),
        "{:?}",
        report.rejected
    );

    // The readable files are stored: the good PNG, and the PNG whose name says JPEG.
    assert_eq!(report.stored, ["INT-MIXED"]);
    let (_, manifest) = store.manifest("INT-MIXED").await.unwrap().unwrap();
    let paths: Vec<&str> = manifest
        .pages
        .iter()
        .map(|p| p.source.path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["INT-MIXED/01-good.png", "INT-MIXED/02-png-named.jpg"]
    );
    assert_eq!(manifest.rejected.len(), 12, "{:?}", manifest.rejected);
}

/// Runs a libtiff tool (Debian's libtiff-tools), which writes TIFF compressions our encoder does not.
fn libtiff(tool: &str, args: &[&std::ffi::OsStr]) {
    let status = std::process::Command::new(tool)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("{tool} (libtiff-tools, scripts/setup installs it): {e}"));
    assert!(status.success(), "{tool} {args:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiffs_in_ccitt_g4_and_jpeg_and_multi_page_are_read() {
    let work = tempfile::tempdir().unwrap();
    let dossier = work.path().join("B/INT-TIFF");
    std::fs::create_dir_all(&dossier).unwrap();
    // The bilevel sample page as PBM, turned into a CCITT G4 TIFF by libtiff.
    let bilevel = image::load_from_memory(&sample("INT-2026-00001/004.png"))
        .unwrap()
        .into_luma8();
    let (w, h) = bilevel.dimensions();
    let mut pbm = format!("P4\n{w} {h}\n").into_bytes();
    for row in bilevel.rows() {
        let pels: Vec<bool> = row.map(|p| p[0] < 128).collect();
        pbm.extend(pels.chunks(8).map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |b, (i, &black)| b | (u8::from(black) << (7 - i)))
        }));
    }
    let pbm_path = work.path().join("page.pbm");
    std::fs::write(&pbm_path, pbm).unwrap();
    let g4 = work.path().join("g4.tif");
    libtiff(
        "ppm2tiff",
        &[
            "-c".as_ref(),
            "g4".as_ref(),
            "-R".as_ref(),
            "300".as_ref(),
            pbm_path.as_os_str(),
            g4.as_os_str(),
        ],
    );
    // A grey sample TIFF recompressed as JPEG inside TIFF.
    let lzw = work.path().join("lzw.tif");
    std::fs::write(&lzw, sample("INT-2026-00003/004.tif")).unwrap();
    let jpeg = work.path().join("jpeg.tif");
    libtiff(
        "tiffcp",
        &[
            "-c".as_ref(),
            "jpeg".as_ref(),
            "-r".as_ref(),
            "16".as_ref(),
            lzw.as_os_str(),
            jpeg.as_os_str(),
        ],
    );
    // Both in one multi-page file, and the G4 page alone.
    libtiff(
        "tiffcp",
        &[
            g4.as_os_str(),
            jpeg.as_os_str(),
            dossier.join("1.tif").as_os_str(),
        ],
    );
    std::fs::copy(&g4, dossier.join("2.tif")).unwrap();

    let (_dir, store, report) = run(&work.path().join("B")).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let (_, manifest) = store.manifest("INT-TIFF").await.unwrap().unwrap();
    assert_eq!(manifest.sources[0].pages, 2);
    let g4_truth = truth_text("INT-2026-00001", "004.png");
    let jpeg_truth = truth_text("INT-2026-00003", "004.tif");
    for (page, truth) in manifest
        .pages
        .iter()
        .zip([&g4_truth, &jpeg_truth, &g4_truth])
    {
        let rate = cer::cer(truth, &page.text);
        assert!(
            rate < 0.03,
            "page {} ({}): error rate {rate:.3}",
            page.number,
            page.source.path
        );
    }
    assert!(manifest.pages[0].image.key.len() == 65 && manifest.pages[0].dpi == 300.0);
}
