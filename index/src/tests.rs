//! Index tests: analysis, filters, fuzzy terms, facets and grouping on real tantivy.

use super::*;

struct Page<'a> {
    dossier: &'a str,
    page: u64,
    text: &'a str,
    scanned: Option<i64>,
    name: Option<&'a str>,
}

fn page<'a>(dossier: &'a str, page: u64, text: &'a str) -> Page<'a> {
    Page {
        dossier,
        page,
        text,
        scanned: None,
        name: None,
    }
}

fn index_with(pages: &[Page]) -> (tempfile::TempDir, Index) {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::open_or_create(dir.path()).unwrap();
    let mut writer = index.writer().unwrap();
    for p in pages {
        let mut metadata = BTreeMap::new();
        if let Some(name) = p.name {
            metadata.insert("name".to_owned(), name.to_owned());
        }
        let doc = PageDoc {
            page: p.page,
            text: p.text.to_owned(),
            scanned: p.scanned,
            metadata,
            kind: None,
            complete: None,
            ..Default::default()
        };
        writer.add_pages(p.dossier, "m", &[doc]).unwrap();
    }
    writer.commit().unwrap();
    index.reload().unwrap();
    (dir, index)
}

fn total(index: &Index, query: &str) -> usize {
    index
        .search(query, &SearchOptions::default())
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .total
}

#[test]
fn accents_and_inflections_do_not_matter() {
    let (_dir, index) = index_with(&[page(
        "INT-1",
        1,
        "Demande d'intégration dans la Fonction publique",
    )]);
    for query in [
        "integration",
        "intégration",
        "INTEGRATIONS",
        "fonction publique",
    ] {
        assert_eq!(total(&index, query), 1, "{query}");
    }
    assert_eq!(total(&index, "naissance"), 0);
}

#[test]
fn english_pages_get_english_stemming() {
    let (_dir, index) = index_with(&[page(
        "INT-1",
        3,
        "This is to certify that the candidate has been awarded the degree of Bachelor",
    )]);
    assert_eq!(total(&index, "certified"), 1);
    assert_eq!(total(&index, "degrees"), 1);
    let hit = &index
        .search("awarded", &SearchOptions::default())
        .unwrap()
        .hits[0];
    assert_eq!((hit.lang.as_str(), hit.kind.as_str()), ("eng", "diploma"));
    assert!(hit.snippet.contains("<b>awarded</b>"), "{}", hit.snippet);
}

#[test]
fn snippets_highlight_the_match_and_escape_html() {
    let (_dir, index) = index_with(&[page("INT-1", 2, "Nom : NGONO\nPrénoms : Marie <script>")]);
    let hit = &index
        .search("ngono", &SearchOptions::default())
        .unwrap()
        .hits[0];
    assert_eq!((hit.dossier.as_str(), hit.page), ("INT-1", 2));
    assert!(hit.snippet.contains("<b>NGONO</b>"), "{}", hit.snippet);
    assert!(
        !hit.snippet.contains("<script>"),
        "snippets are escaped: {}",
        hit.snippet
    );
}

#[test]
fn fuzzy_terms_find_garbled_names() {
    let (_dir, index) = index_with(&[
        page("INT-1", 1, "Nom : NG0NO Marie"),
        page("INT-2", 1, "Nom : MBARGA"),
    ]);
    assert_eq!(total(&index, "ngono"), 0);
    assert_eq!(total(&index, "ngono~1"), 1);
    assert_eq!(total(&index, "ngono~1 marie"), 1);
    assert_eq!(total(&index, "ngono~1 mbarga"), 0);
    let hit = &index
        .search("ngono~1", &SearchOptions::default())
        .unwrap()
        .hits[0];
    assert!(hit.snippet.contains("<b>NG0NO</b>"), "{}", hit.snippet);
}

#[test]
fn field_filters_kind_dossier_and_dates() {
    let jan = 1_767_225_600; // 2026-01-01
    let jul = 1_782_864_000; // 2026-07-01
    let mut pages = vec![
        page(
            "INT-1",
            1,
            "RÉPUBLIQUE DU CAMEROUN\nACTE DE NAISSANCE\nNom : NGONO",
        ),
        page("INT-1", 2, "CERTIFICAT MÉDICAL\nNGONO est apte"),
        page("INT-2", 1, "ACTE DE NAISSANCE\nNom : MBARGA"),
    ];
    pages[0].scanned = Some(jan + 86_400 * 40);
    pages[1].scanned = Some(jan + 86_400 * 40);
    pages[2].scanned = Some(jul + 86_400 * 10);
    let (_dir, index) = index_with(&pages);
    assert_eq!(total(&index, "kind:birth-certificate"), 2);
    assert_eq!(total(&index, "ngono kind:medical-certificate"), 1);
    assert_eq!(total(&index, "naissance dossier:INT-2"), 1);
    assert_eq!(
        total(&index, "naissance scanned:[2026-01-01 TO 2026-06-30]"),
        1
    );
    assert_eq!(total(&index, "scanned:[2026-06-30 TO 2027-01-01]"), 1);
    let results = index
        .search("naissance OR apte", &SearchOptions::default())
        .unwrap();
    assert_eq!(results.facets.kind.get("birth-certificate"), Some(&2));
    assert_eq!(results.facets.kind.get("medical-certificate"), Some(&1));
    assert_eq!(results.facets.year.get("2026"), Some(&3));
}

#[test]
fn candidate_name_from_metadata_is_searchable() {
    let mut p = page("INT-9", 1, "Bulletin n° 3");
    p.name = Some("ESSOMBA Joëlle");
    let (_dir, index) = index_with(&[p]);
    assert_eq!(total(&index, "joelle"), 1);
    assert_eq!(total(&index, "name:essomba"), 1);
}

#[test]
fn grouping_by_dossier_keeps_the_best_first() {
    let (_dir, index) = index_with(&[
        page("INT-1", 1, "naissance naissance naissance"),
        page("INT-2", 1, "naissance"),
        page("INT-1", 2, "naissance et autre chose encore"),
    ]);
    let options = SearchOptions {
        group: true,
        ..SearchOptions::default()
    };
    let groups = index.search("naissance", &options).unwrap().groups.unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].dossier, "INT-1");
    assert_eq!(groups[0].pages.len(), 2);
}

#[test]
fn dossier_filter_and_replacement() {
    let (_dir, index) = index_with(&[
        page("INT-1", 1, "acte de naissance"),
        page("INT-2", 1, "acte de naissance"),
    ]);
    let options = SearchOptions {
        dossier: Some("INT-2".into()),
        ..SearchOptions::default()
    };
    let results = index.search("naissance", &options).unwrap();
    assert_eq!(results.total, 1);
    assert_eq!(results.hits[0].dossier, "INT-2");
    let mut writer = index.writer().unwrap();
    let doc = PageDoc {
        page: 1,
        text: "certificat médical".into(),
        ..PageDoc::default()
    };
    writer.replace_dossier("INT-1", "m2", &[doc]).unwrap();
    writer.commit().unwrap();
    index.reload().unwrap();
    assert_eq!(total(&index, "naissance"), 1);
    assert_eq!(index.len(), 2);
}

#[test]
fn bad_syntax_is_an_error_not_a_panic() {
    let (_dir, index) = index_with(&[page("INT-1", 1, "x")]);
    for query in ["page:abc", "", "scanned:[nope TO 2026-01-01]"] {
        assert!(
            index.search(query, &SearchOptions::default()).is_err(),
            "{query}"
        );
    }
}

#[test]
fn years_of_unix_times() {
    assert_eq!(year_of(0), 1970);
    assert_eq!(year_of(1_767_225_599), 2025);
    assert_eq!(year_of(1_767_225_600), 2026);
}

#[test]
fn the_review_queue_lists_low_confidence_pages_worst_first_within_its_filters() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::open_or_create(dir.path()).unwrap();
    let mut writer = index.writer().unwrap();
    let doc = |page, confidence, batch: &str, unmatched: &[&str]| PageDoc {
        page,
        text: "acte de naissance".into(),
        confidence,
        batch: Some(batch.into()),
        unmatched: unmatched.iter().map(|s| (*s).to_owned()).collect(),
        ..PageDoc::default()
    };
    writer
        .add_pages(
            "INT-1",
            "m",
            &[
                doc(1, Some(91.0), "B1", &["name"]),
                doc(2, Some(42.5), "B1", &["name"]),
            ],
        )
        .unwrap();
    writer
        .add_pages(
            "INT-2",
            "m",
            &[doc(1, Some(63.0), "B2", &[]), doc(2, None, "B2", &[])],
        )
        .unwrap();
    writer.commit().unwrap();
    index.reload().unwrap();

    let filter = ReviewFilter {
        below: 80.0,
        limit: 10,
        ..ReviewFilter::default()
    };
    let review = index.review(&filter).unwrap();
    assert_eq!(
        review.total, 2,
        "a blank page (no confidence) is not listed"
    );
    let listed: Vec<(&str, u64)> = review
        .pages
        .iter()
        .map(|p| (p.dossier.as_str(), p.page))
        .collect();
    assert_eq!(listed, [("INT-1", 2), ("INT-2", 1)]);
    assert_eq!(review.pages[0].confidence, 42.5);
    assert_eq!(review.unmatched.len(), 1);
    assert_eq!(review.unmatched[0].fields, ["name"]);

    let only_b2 = index
        .review(&ReviewFilter {
            batch: Some("B2".into()),
            ..filter.clone()
        })
        .unwrap();
    assert_eq!(only_b2.total, 1);
    assert!(only_b2.unmatched.is_empty());
    let stricter = index
        .review(&ReviewFilter {
            below: 50.0,
            ..filter
        })
        .unwrap();
    assert_eq!(stricter.total, 1);
}
