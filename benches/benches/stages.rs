//! Per-stage timings on a 300-dpi A4 sample page: decode, skew, straighten,
//! despeckle, blank detection, OCR, page encoding, PDF assembly, hashing.

use std::borrow::Cow;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dossier_benches::{sample_file, skewed_page};

fn stages(c: &mut Criterion) {
    let jpeg = sample_file("INT-2026-00002/001.jpg");
    let tiff = sample_file("INT-2026-00001/002.tif");
    let scan = skewed_page();
    let grey = ocr::deskew::to_grey(&scan.image);
    let overview = ocr::deskew::Overview::of(&grey);

    let mut group = c.benchmark_group("page");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("decode_jpeg", |b| {
        b.iter(|| ocr::decode_page(black_box(&jpeg), 0, &Default::default()))
    });
    group.bench_function("decode_tiff_lzw", |b| {
        b.iter(|| ocr::decode_page(black_box(&tiff), 0, &Default::default()))
    });
    group.bench_function("overview", |b| {
        b.iter(|| ocr::deskew::Overview::of(black_box(&grey)))
    });
    group.bench_function("skew_estimate", |b| {
        b.iter(|| ocr::deskew::estimate(black_box(&overview)))
    });
    group.bench_function("straighten", |b| {
        b.iter(|| ocr::deskew::straighten(black_box(&scan.image), 6.5))
    });
    group.bench_function("despeckle", |b| {
        b.iter_batched(
            || grey.clone(),
            |mut g| ocr::despeckle::despeckle(&mut g, 300.0),
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("blank_detect", |b| {
        b.iter(|| ocr::blank::is_blank(black_box(&overview)))
    });
    group.bench_function("preprocess_all", |b| {
        b.iter_batched(
            || scan.clone(),
            |s| ocr::preprocess(s, 300.0),
            criterion::BatchSize::LargeInput,
        )
    });
    let page = ocr::preprocess(scan.clone(), 300.0);
    let mut engine = ocr::Engine::new("fra+eng").expect("fra+eng models installed");
    group.bench_function("ocr_fra_eng", |b| {
        b.iter(|| {
            engine
                .recognize(Cow::Borrowed(black_box(&page.grey)), 300)
                .unwrap()
        })
    });
    group.bench_function("encode_jpeg", |b| {
        b.iter(|| pdf::PageImage::encode(black_box(&page.image), false, 300.0))
    });
    let image = pdf::PageImage::encode(&page.image, false, 300.0).unwrap();
    let recognition = engine.recognize(Cow::Borrowed(&page.grey), 300).unwrap();
    let words: Vec<pdf::Word> = recognition
        .words
        .iter()
        .map(|w| pdf::Word {
            text: w.text.clone(),
            bbox: w.bbox,
            line: w.line,
            confidence: w.confidence,
        })
        .collect();
    group.bench_function("pdf_5_pages", |b| {
        b.iter(|| {
            let mut builder = pdf::Builder::new();
            for _ in 0..5 {
                builder.add_page(&image, &words).unwrap();
            }
            builder.finish(&pdf::Info::default()).unwrap().pdf
        })
    });
    group.bench_function("sha256_tiff", |b| {
        b.iter(|| store::sha256(black_box(&tiff)))
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
