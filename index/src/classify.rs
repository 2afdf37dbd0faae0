//! Recognising the kind of document and the language of a page from its text.

/// Kinds of document found in integration dossiers, as indexed (`kind:` in
/// queries), in the order a dossier usually holds them (the viewer's filters
/// list them so). The one list: the viewer and the CLI take it from here.
pub const KINDS: &[&str] = &[
    "application-letter",
    "birth-certificate",
    "diploma",
    "medical-certificate",
    "criminal-record",
    "decree",
    "id-card",
    "other",
];

/// Each kind's name for people, in French and in English (the viewer's
/// filters, separator sheets, completeness reports).
pub fn label(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "application-letter" => ("Demande", "Application letter"),
        "birth-certificate" => ("Acte de naissance", "Birth certificate"),
        "diploma" => ("Diplôme", "Diploma"),
        "medical-certificate" => ("Certificat médical", "Medical certificate"),
        "criminal-record" => ("Casier judiciaire", "Criminal record"),
        "decree" => ("Arrêté / décret", "Decree"),
        "id-card" => ("Carte d'identité", "ID card"),
        _ => ("Autre", "Other"),
    }
}

/// Phrases that mark each kind, lower case and without accents; the first kind
/// with a marker in the page's first lines wins, then anywhere in the page.
const MARKERS: &[(&str, &[&str])] = &[
    ("criminal-record", &["casier judiciaire", "criminal record"]),
    (
        "birth-certificate",
        &["acte de naissance", "birth certificate"],
    ),
    (
        "medical-certificate",
        &["certificat medical", "medical certificate"],
    ),
    ("decree", &["decret", "arrete n", "decree"]),
    (
        "id-card",
        &["carte nationale d'identite", "national identity card"],
    ),
    (
        "diploma",
        &[
            "diplome",
            "baccalaureat",
            "licence",
            "bachelor of",
            "master of",
            "degree of",
            "has been awarded",
        ],
    ),
    (
        "application-letter",
        &[
            "demande d'integration",
            "monsieur le ministre",
            "application for",
        ],
    ),
];

/// Lower case without accents, for matching markers, stopwords and fuzzy
/// words: the same folding the index's analyzers apply to every word
/// (tantivy's `LowerCaser` and `AsciiFoldingFilter`), over the whole text.
pub fn fold(text: &str) -> String {
    use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RawTokenizer, TextAnalyzer};
    let mut analyzer = TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    let mut stream = analyzer.token_stream(text);
    let mut folded = String::with_capacity(text.len());
    while stream.advance() {
        folded.push_str(&stream.token().text);
    }
    folded
}

/// The kind of a page, and whether the text says it plainly: a title of
/// one kind only in the page's first lines. A kind found only further down
/// (a letter that mentions a birth certificate), or titles of two kinds at
/// the top, is a guess.
pub fn kind_and_certainty(text: &str) -> (&'static str, bool) {
    let folded = fold(text);
    let head: String = folded.lines().take(8).collect::<Vec<_>>().join("\n");
    let in_head: Vec<&str> = MARKERS
        .iter()
        .filter(|(_, markers)| markers.iter().any(|m| head.contains(m)))
        .map(|(kind, _)| *kind)
        .collect();
    (kind(text), in_head.len() == 1)
}

/// The kind of document a page belongs to.
pub fn kind(text: &str) -> &'static str {
    let folded = fold(text);
    let head: String = folded.lines().take(8).collect::<Vec<_>>().join("\n");
    for scope in [&head, &folded] {
        for (kind, markers) in MARKERS {
            if markers.iter().any(|m| scope.contains(m)) {
                return kind;
            }
        }
    }
    "other"
}

/// `fra` or `eng`, by counting common words of each; French when unsure.
pub fn language(text: &str) -> &'static str {
    const FRENCH: &[&str] = &[
        "le", "la", "les", "de", "des", "du", "et", "est", "une", "pour", "dans", "que", "au",
    ];
    const ENGLISH: &[&str] = &[
        "the", "of", "and", "is", "to", "in", "that", "for", "has", "with", "on", "at", "by",
    ];
    let folded = fold(text);
    let (mut fr, mut en) = (0, 0);
    for word in folded.split(|c: char| !c.is_alphanumeric()) {
        fr += usize::from(FRENCH.contains(&word));
        en += usize::from(ENGLISH.contains(&word));
    }
    if en > fr { "eng" } else { "fra" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_their_titles() {
        assert_eq!(
            kind("RÉPUBLIQUE DU CAMEROUN\nACTE DE NAISSANCE\nN° 12"),
            "birth-certificate"
        );
        assert_eq!(
            kind("CERTIFICAT MÉDICAL\nJe soussigné"),
            "medical-certificate"
        );
        assert_eq!(
            kind("EXTRAIT DE CASIER JUDICIAIRE\nBulletin n° 3"),
            "criminal-record"
        );
        assert_eq!(
            kind("UNIVERSITY OF BUEA\nhas been awarded the degree of"),
            "diploma"
        );
        // A letter that mentions a birth certificate further down is still a letter.
        let letter = "NGONO Marie\nObjet : demande d'intégration\nMonsieur le Ministre,\n\n\n\n\n\nje joins mon acte de naissance";
        assert_eq!(kind(letter), "application-letter");
        assert_eq!(kind("liste des pièces"), "other");
    }

    #[test]
    fn every_kind_has_a_name_in_both_languages() {
        for kind in KINDS {
            let (french, english) = label(kind);
            assert!(!french.is_empty() && !english.is_empty());
            assert!(*kind == "other" || english != "Other", "{kind}");
        }
    }

    #[test]
    fn a_kind_found_only_further_down_is_a_guess() {
        assert_eq!(
            kind_and_certainty("EXTRAIT DE CASIER JUDICIAIRE\nBulletin n° 3"),
            ("criminal-record", true)
        );
        let mention = "Note\n\n\n\n\n\n\n\n\nvoir l'acte de naissance joint";
        assert_eq!(kind_and_certainty(mention), ("birth-certificate", false));
        assert_eq!(kind_and_certainty("Liste des pièces"), ("other", false));
    }

    #[test]
    fn folding_is_the_index_s_own_over_the_whole_text() {
        assert_eq!(
            fold("ŒUVRE d’ÉTAT\nﬁn de l’acte « N° 12 »"),
            "oeuvre d'etat\nfin de l'acte \" n° 12 \""
        );
        assert_eq!(fold(""), "");
        assert_eq!(kind("CERTIFICAT MÉDICAL"), "medical-certificate");
    }

    #[test]
    fn languages() {
        assert_eq!(
            language("This is to certify that the candidate has been awarded the degree"),
            "eng"
        );
        assert_eq!(
            language("Je soussigné, Docteur, certifie avoir examiné le candidat et atteste que"),
            "fra"
        );
    }
}
