//! Every label of the viewer in French (the default) and English, Cameroon's official languages.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }
}

/// (key, French, English)
const LABELS: &[(&str, &str, &str)] = &[
    ("correct-text", "Corriger le texte", "Correct the text"),
    ("review", "À relire", "To review"),
    (
        "index-current",
        "Index à jour de tout ce que les stations ont archivé (vérifié il y a {s} s)",
        "Index up to date with everything the stations archived (checked {s} s ago)",
    ),
    (
        "index-behind",
        "Index en retard sur le registre : {n} enregistrement(s) à appliquer (à jour il y a {s} s)",
        "Index behind the ledger: {n} record(s) to apply (up to date {s} s ago)",
    ),
    (
        "index-unknown",
        "Index : pas encore comparé au registre des stations",
        "Index: not yet compared with the stations' ledger",
    ),
    (
        "review-intro",
        "Les pages dont l'OCR est le moins sûr, les pires d'abord, et les dossiers dont le nom ou le lieu de naissance du candidat n'apparaît pas dans le texte. Seuil de confiance :",
        "The pages OCR was least sure of, worst first, and the dossiers whose candidate's name or birth place does not appear in their text. Confidence threshold:",
    ),
    ("review-pages", "Pages peu sûres", "Doubtful pages"),
    (
        "review-unmatched",
        "Renseignements du candidat absents du texte",
        "Candidate's details not in the text",
    ),
    (
        "review-not-found",
        "Introuvable dans le texte",
        "Not found in the text",
    ),
    ("filter", "Filtrer", "Filter"),
    (
        "correct-help",
        "Chaque ligne est le texte lu par l'OCR. Corrigez-la et enregistrez : une nouvelle version du dossier est créée, la lecture de l'OCR et les versions précédentes restent dans l'archive.",
        "Each line is the text OCR read. Correct it and save: a new version of the dossier is made; OCR's reading and the earlier versions stay in the archive.",
    ),
    ("saved-version", "Enregistré : version", "Saved: version"),
    ("correct-refused", "Non enregistré :", "Not saved:"),
    (
        "low-confidence-boxed",
        "Encadrés : les mots lus avec peu de confiance, et la ligne choisie",
        "Boxed: words read with low confidence, and the line chosen",
    ),
    ("show-on-scan", "Montrer sur le scan", "Show on the scan"),
    ("line", "Ligne", "Line"),
    ("doubtful-words", "mots douteux", "doubtful words"),
    ("save", "Enregistrer", "Save"),
    (
        "no-text",
        "Aucun texte lu sur cette page.",
        "No text was read on this page.",
    ),
    ("history", "Historique", "History"),
    ("version", "Version", "Version"),
    ("current", "actuelle", "current"),
    ("made-by-ingest", "numérisation", "scanned"),
    ("made-by-re-scan", "nouvelle numérisation", "scanned again"),
    ("made-by-correction", "correction", "correction"),
    (
        "app",
        "Archives des dossiers d'intégration",
        "Integration dossier archive",
    ),
    ("ministry", "MINFOPRA", "MINFOPRA"),
    ("switch", "English", "Français"),
    ("sign-in", "Connexion", "Sign in"),
    (
        "sign-in-intro",
        "Accès réservé au personnel habilité. Chaque consultation est journalisée.",
        "Authorised staff only. Every access is logged.",
    ),
    ("user", "Identifiant", "User name"),
    ("password", "Mot de passe", "Password"),
    ("sign-in-button", "Se connecter", "Sign in"),
    ("sign-out", "Se déconnecter", "Sign out"),
    (
        "bad-login",
        "Identifiant ou mot de passe incorrect.",
        "Wrong user name or password.",
    ),
    (
        "too-many",
        "Trop de tentatives. Réessayez dans quelques minutes.",
        "Too many attempts. Try again in a few minutes.",
    ),
    (
        "expired-form",
        "Le formulaire a expiré. Veuillez réessayer.",
        "The form has expired. Please try again.",
    ),
    (
        "cookie-not-returned",
        "Votre navigateur n'a pas renvoyé le cookie de connexion : il ne l'envoie que par HTTPS, \
         et cette page lui arrive en HTTP simple. Ouvrez le visualiseur par son adresse HTTPS \
         (le proxy inverse) ; sur un réseau fermé sans TLS, l'administrateur peut lancer \
         « dossier serve --insecure-cookies ».",
        "Your browser did not send the sign-in cookie back: it sends it over HTTPS only, and \
         this page reached it over plain HTTP. Open the viewer at its HTTPS address (the reverse \
         proxy); on a closed network without TLS, the administrator can start \
         `dossier serve --insecure-cookies`.",
    ),
    ("search", "Rechercher", "Search"),
    (
        "search-placeholder",
        "nom, numéro de dossier, « acte de naissance »…",
        "name, dossier number, \"birth certificate\"…",
    ),
    ("kind", "Type de pièce", "Document type"),
    ("language", "Langue", "Language"),
    ("year", "Année de numérisation", "Year scanned"),
    ("completeness", "Complétude", "Completeness"),
    ("complete-yes", "Complet", "Complete"),
    ("complete-no", "Incomplet", "Incomplete"),
    ("complete-doubtful", "À vérifier", "To check"),
    (
        "incomplete-dossiers",
        "Dossiers incomplets",
        "Incomplete dossiers",
    ),
    (
        "incomplete-intro",
        "Dossiers auxquels manque une pièce de leur liste, ou une pièce trop ancienne, puis ceux qui demandent un coup d'œil.",
        "Dossiers missing a piece of their checklist, or holding one out of date, then those that need a look.",
    ),
    ("missing", "manque", "missing"),
    ("expired", "périmé", "out of date"),
    ("doubtful", "à vérifier", "to check"),
    ("any", "Tous", "Any"),
    ("results", "résultat(s)", "result(s)"),
    (
        "no-results",
        "Aucune page ne correspond.",
        "No page matches.",
    ),
    ("more", "Plus de résultats", "More results"),
    ("page", "Page", "Page"),
    ("pages", "Pages", "Pages"),
    ("dossier", "Dossier", "Dossier"),
    ("dossiers", "Dossiers", "Dossiers"),
    ("score", "pertinence", "score"),
    (
        "search-help",
        "Astuces : \"expression exacte\", mot~1 pour les fautes de lecture, kind:diploma, name:ngono, scanned:[2026-01-01 TO 2026-06-30].",
        "Tips: \"exact phrase\", word~1 for misread words, kind:diploma, name:ngono, scanned:[2026-01-01 TO 2026-06-30].",
    ),
    ("recent", "Dossiers archivés", "Archived dossiers"),
    ("metadata", "Renseignements", "Details"),
    ("stored-at", "Archivé le", "Archived on"),
    ("batch", "Lot", "Batch"),
    ("downloads", "Téléchargements", "Downloads"),
    ("pdf", "PDF/A consultable", "Searchable PDF/A"),
    ("text", "Texte", "Text"),
    ("hocr", "hOCR", "hOCR"),
    ("alto", "ALTO XML", "ALTO XML"),
    ("originals", "Originaux numérisés", "Original scans"),
    ("hash", "Empreinte SHA-256", "SHA-256 hash"),
    ("manifest", "Manifeste", "Manifest"),
    ("skew", "Redressement", "Deskew"),
    ("confidence", "Confiance OCR", "OCR confidence"),
    ("blank", "page blanche", "blank page"),
    ("rejected", "Fichiers refusés", "Rejected files"),
    ("verify", "Vérifier l'intégrité", "Verify integrity"),
    (
        "verify-ok",
        "Intègre : chaque objet correspond à son empreinte enregistrée.",
        "Intact: every object matches its recorded hash.",
    ),
    ("verify-bad", "Problèmes détectés", "Problems found"),
    ("checked", "objets vérifiés", "objects checked"),
    ("previous", "Page précédente", "Previous page"),
    ("next", "Page suivante", "Next page"),
    ("back-dossier", "Retour au dossier", "Back to the dossier"),
    (
        "back-results",
        "Retour aux résultats",
        "Back to the results",
    ),
    (
        "hits-on-page",
        "occurrence(s) surlignée(s)",
        "hit(s) highlighted",
    ),
    ("page-text", "Texte reconnu", "Recognised text"),
    ("original", "Original", "Original"),
    ("access-log", "Journal des accès", "Access log"),
    (
        "chain-ok",
        "Chaîne intacte : aucun enregistrement retiré ni modifié.",
        "Chain intact: no record removed or changed.",
    ),
    ("chain-bad", "Chaîne rompue", "Chain broken"),
    ("time", "Date", "Time"),
    ("action", "Action", "Action"),
    ("target", "Objet", "Target"),
    ("address", "Adresse", "Address"),
    ("users", "Comptes", "Accounts"),
    ("role", "Rôle", "Role"),
    ("status", "État", "Status"),
    ("active", "actif", "active"),
    ("disabled", "désactivé", "disabled"),
    ("created", "Créé le", "Created"),
    (
        "users-help",
        "Les comptes se gèrent avec dossier user add|disable|passwd.",
        "Accounts are managed with dossier user add|disable|passwd.",
    ),
    ("not-found", "Introuvable", "Not found"),
    (
        "not-found-text",
        "Cette adresse ne correspond à rien dans l'archive.",
        "Nothing in the archive is at this address.",
    ),
    ("forbidden", "Accès refusé", "Access denied"),
    (
        "forbidden-text",
        "Votre rôle ne permet pas cette action.",
        "Your role does not allow this.",
    ),
    ("error", "Erreur", "Error"),
    (
        "error-text",
        "La demande n'a pas abouti. Donnez cette référence à l'administrateur :",
        "The request failed. Give this reference to the administrator:",
    ),
    ("signed-in-as", "Connecté :", "Signed in:"),
    (
        "role-operator",
        "opérateur de numérisation",
        "scanning operator",
    ),
    ("role-archivist", "archiviste", "archivist"),
    ("role-auditor", "auditeur", "auditor"),
    ("role-admin", "administrateur", "administrator"),
    ("year-placeholder", "AAAA", "YYYY"),
    ("field-name", "Nom et prénoms", "Name"),
    ("field-birth_date", "Date de naissance", "Date of birth"),
    ("field-birth_place", "Lieu de naissance", "Place of birth"),
    ("field-corps", "Corps", "Corps"),
    (
        "field-application_no",
        "N° de candidature",
        "Application no.",
    ),
    ("field-operator", "opérateur", "operator"),
    ("field-station", "poste de numérisation", "scanning station"),
    ("field-scanned_at", "numérisé le", "scanned on"),
    ("field-lang", "langues OCR", "OCR languages"),
    ("act-sign-in", "connexion", "sign-in"),
    ("act-sign-in-failed", "connexion refusée", "sign-in failed"),
    (
        "act-sign-in-refused",
        "connexion bloquée",
        "sign-in blocked",
    ),
    ("act-sign-out", "déconnexion", "sign-out"),
    ("act-search", "recherche", "search"),
    (
        "act-view-dossier",
        "consultation du dossier",
        "dossier viewed",
    ),
    ("act-view-page", "consultation de page", "page viewed"),
    ("act-download", "téléchargement", "download"),
    ("act-verify", "vérification", "verification"),
    (
        "act-view-access-log",
        "lecture du journal",
        "access log read",
    ),
    ("act-denied", "accès refusé", "access denied"),
    ("act-correct", "correction", "correction"),
    (
        "act-correct-refused",
        "correction refusée",
        "correction refused",
    ),
    (
        "act-correct-failed",
        "correction en échec",
        "correction failed",
    ),
    (
        "act-view-correct",
        "ouverture pour correction",
        "opened for correction",
    ),
    ("lang-fra", "Français", "French"),
    ("lang-eng", "Anglais", "English"),
];

/// The label `key` in `lang`, if there is one.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, fr, en)| match lang {
            Lang::Fr => *fr,
            Lang::En => *en,
        })
}

/// The label `key` in `lang`; `?` if there is none (a test keeps that from happening).
pub fn t(lang: Lang, key: &str) -> &'static str {
    lookup(lang, key).unwrap_or("?")
}

/// The kinds of document the index knows, for filters.
pub use index::classify::KINDS;

/// A kind of document's name (the index's, shared with separator sheets).
pub fn kind(lang: Lang, kind: &str) -> String {
    let (french, english) = index::classify::label(kind);
    match lang {
        Lang::Fr => french,
        Lang::En => english,
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_used_exists_in_both_languages() {
        let source = [
            include_str!("pages/mod.rs"),
            include_str!("pages/signin.rs"),
            include_str!("pages/search.rs"),
            include_str!("pages/dossier.rs"),
            include_str!("pages/incomplete.rs"),
            include_str!("pages/viewer.rs"),
            include_str!("pages/audit.rs"),
            include_str!("pages/accounts.rs"),
            include_str!("pages/correct.rs"),
            include_str!("pages/review.rs"),
        ]
        .concat();
        let mut used = Vec::new();
        for part in source.split("t(lang, \"").skip(1) {
            used.push(part.split('"').next().unwrap());
        }
        assert!(used.len() > 40, "found only {} labels", used.len());
        for key in used.iter().copied() {
            let found = LABELS.iter().find(|(k, _, _)| *k == key);
            let (_, fr, en) = found.unwrap_or_else(|| panic!("no label {key}"));
            assert!(!fr.is_empty() && !en.is_empty(), "{key}");
        }
        let mut keys: Vec<_> = LABELS.iter().map(|(k, _, _)| k).collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a label key is defined twice");
    }
}
