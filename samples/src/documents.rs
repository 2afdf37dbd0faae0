//! The documents of an integration dossier, as text laid out in styled blocks.
//!
//! Contents vary with the candidate and the seed; wording follows the civil
//! status and administrative documents of Cameroon, in French and English.

use serde::Serialize;

use crate::rng::Rng;

/// How a block of text is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Centred, large, bold.
    Title,
    /// Centred, body size.
    Centre,
    /// Left-aligned line, kept as it is.
    Line,
    /// Left-aligned, wrapped to the text width.
    Paragraph,
    /// Right-aligned (dates, signatures).
    Right,
}

/// A block of a document.
#[derive(Debug, Clone)]
pub struct Block {
    pub style: Style,
    pub text: String,
}

/// A document before rendering.
#[derive(Debug, Clone)]
pub struct Document {
    /// `birth-certificate`, `application-letter`, ...
    pub kind: &'static str,
    /// Tesseract language code of the text.
    pub lang: &'static str,
    pub blocks: Vec<Block>,
}

/// The person a dossier is about.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub name: String,
    pub given_names: String,
    pub female: bool,
    pub birth_date: String,
    pub birth_date_en: String,
    pub birth_place: String,
    pub father: String,
    pub mother: String,
    pub corps: String,
    pub application_no: String,
}

const SURNAMES: &[&str] = &[
    "NGONO", "MBARGA", "ATANGANA", "FOUDA", "TCHOUPO", "KAMGA", "NJOYA", "ETOA", "ABENA",
    "NKOULOU", "BELLO", "OUMAROU", "TABI", "EWANE", "MVONDO", "DJOMO", "NANA", "ESSOMBA",
];
const FEMALE: &[&str] = &[
    "Marie Claire",
    "Aïssatou",
    "Françoise",
    "Rosine",
    "Béatrice",
    "Hélène",
    "Estelle",
    "Joëlle",
];
const MALE: &[&str] = &[
    "Jean-Pierre",
    "Hervé",
    "Joël",
    "Ibrahim",
    "Cédric",
    "François",
    "Étienne",
    "Boris",
];
const PLACES: &[&str] = &[
    "Yaoundé",
    "Douala",
    "Bafoussam",
    "Garoua",
    "Bamenda",
    "Buea",
    "Ebolowa",
    "Bertoua",
    "Maroua",
    "Ngaoundéré",
    "Kribi",
    "Dschang",
];
const MONTHS_FR: &[&str] = &[
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_EN: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const CORPS: &[&str] = &[
    "Professeurs des lycées d'enseignement général",
    "Infirmiers diplômés d'État",
    "Administrateurs civils",
    "Ingénieurs des travaux statistiques",
    "Contrôleurs des impôts",
];

impl Candidate {
    /// A plausible candidate drawn from the seed.
    pub fn random(rng: &mut Rng, number: u32) -> Candidate {
        let female = rng.below(2) == 0;
        let given = if female {
            rng.pick(FEMALE)
        } else {
            rng.pick(MALE)
        };
        let (day, month, year) = (1 + rng.below(28), rng.below(12), 1990 + rng.below(12));
        Candidate {
            name: rng.pick(SURNAMES).to_string(),
            given_names: given.to_string(),
            female,
            birth_date: format!("{day} {} {year}", MONTHS_FR[month]),
            birth_date_en: format!("{} {day}, {year}", MONTHS_EN[month]),
            birth_place: rng.pick(PLACES).to_string(),
            father: format!("{} {}", rng.pick(SURNAMES), rng.pick(MALE)),
            mother: format!("{} {}", rng.pick(SURNAMES), rng.pick(FEMALE)),
            corps: rng.pick(CORPS).to_string(),
            application_no: format!("{:05}", 10_000 + number),
        }
    }

    fn full_name(&self) -> String {
        format!("{} {}", self.name, self.given_names)
    }
}

fn block(style: Style, text: impl Into<String>) -> Block {
    Block {
        style,
        text: text.into(),
    }
}

fn republic_fr() -> Vec<Block> {
    vec![
        block(Style::Centre, "RÉPUBLIQUE DU CAMEROUN"),
        block(Style::Centre, "Paix - Travail - Patrie"),
    ]
}

/// An extract of a birth certificate (French).
pub fn birth_certificate(c: &Candidate, rng: &mut Rng) -> Document {
    let mut blocks = republic_fr();
    let number = 100 + rng.below(9000);
    let year = 1990 + rng.below(12);
    blocks.extend([
        block(
            Style::Centre,
            format!("Centre d'état civil de {}", c.birth_place),
        ),
        block(Style::Title, "ACTE DE NAISSANCE"),
        block(Style::Centre, format!("N° {number}/{year}")),
        block(Style::Line, format!("Nom : {}", c.name)),
        block(Style::Line, format!("Prénoms : {}", c.given_names)),
        block(
            Style::Line,
            format!("Sexe : {}", if c.female { "féminin" } else { "masculin" }),
        ),
        block(
            Style::Line,
            format!(
                "Né{} le : {}",
                if c.female { "e" } else { "" },
                c.birth_date
            ),
        ),
        block(Style::Line, format!("À : {}", c.birth_place)),
        block(
            Style::Line,
            format!(
                "{} de : {}",
                if c.female { "Fille" } else { "Fils" },
                c.father
            ),
        ),
        block(Style::Line, format!("Et de : {}", c.mother)),
        block(
            Style::Paragraph,
            format!(
                "Dressé le {} sur la déclaration du père, lecture faite et invité à lire l'acte, \
                 nous avons signé avec le déclarant. Pour extrait certifié conforme.",
                c.birth_date
            ),
        ),
        block(Style::Right, "L'officier d'état civil"),
    ]);
    Document {
        kind: "birth-certificate",
        lang: "fra",
        blocks,
    }
}

/// A letter applying for integration into the civil service (French).
pub fn application_letter(c: &Candidate, rng: &mut Rng) -> Document {
    let city = rng.pick(PLACES);
    let blocks = vec![
        block(Style::Line, c.full_name()),
        block(
            Style::Line,
            format!("B.P. {} {city}", 1000 + rng.below(8000)),
        ),
        block(Style::Line, format!("Dossier n° {}", c.application_no)),
        block(Style::Right, format!("{city}, le 3 novembre 2026")),
        block(
            Style::Right,
            "À Monsieur le Ministre de la Fonction publique",
        ),
        block(Style::Right, "et de la Réforme administrative"),
        block(Style::Line, "Objet : demande d'intégration"),
        block(Style::Line, "Monsieur le Ministre,"),
        block(
            Style::Paragraph,
            format!(
                "J'ai l'honneur de solliciter de votre haute bienveillance mon intégration dans le \
                 corps des {}. Titulaire des diplômes requis, je joins à la présente demande mon \
                 acte de naissance, mes diplômes, un certificat médical et un extrait de casier \
                 judiciaire.",
                c.corps
            ),
        ),
        block(
            Style::Paragraph,
            "Dans l'attente d'une suite favorable, je vous prie d'agréer, Monsieur le Ministre, \
             l'expression de ma haute considération.",
        ),
        block(Style::Right, c.full_name()),
    ];
    Document {
        kind: "application-letter",
        lang: "fra",
        blocks,
    }
}

/// A medical certificate of fitness (French).
pub fn medical_certificate(c: &Candidate, rng: &mut Rng) -> Document {
    let doctor = format!("{} {}", rng.pick(SURNAMES), rng.pick(MALE));
    let mut blocks = republic_fr();
    blocks.extend([
        block(Style::Centre, format!("Hôpital régional de {}", rng.pick(PLACES))),
        block(Style::Title, "CERTIFICAT MÉDICAL"),
        block(
            Style::Paragraph,
            format!(
                "Je soussigné, Docteur {doctor}, médecin, certifie avoir examiné ce jour \
                 {} {}, né{} le {} à {}, et atteste que l'intéressé{} n'est atteint{} d'aucune \
                 maladie contagieuse ni d'aucune infirmité incompatible avec l'exercice d'un \
                 emploi public.",
                if c.female { "Madame" } else { "Monsieur" },
                c.full_name(),
                if c.female { "e" } else { "" },
                c.birth_date,
                c.birth_place,
                if c.female { "e" } else { "" },
                if c.female { "e" } else { "" },
            ),
        ),
        block(Style::Paragraph, "En foi de quoi le présent certificat est délivré pour servir et valoir ce que de droit."),
        block(Style::Right, format!("Fait à {}, le 28 octobre 2026", c.birth_place)),
        block(Style::Right, "Le médecin"),
    ]);
    Document {
        kind: "medical-certificate",
        lang: "fra",
        blocks,
    }
}

/// A university degree certificate (English).
pub fn diploma(c: &Candidate, rng: &mut Rng) -> Document {
    let university = rng.pick(&["UNIVERSITY OF BUEA", "UNIVERSITY OF BAMENDA"]);
    let degree = rng.pick(&[
        "BACHELOR OF SCIENCE",
        "MASTER OF ARTS",
        "BACHELOR OF EDUCATION",
    ]);
    let field = rng.pick(&["Mathematics", "Economics", "Nursing", "English Literature"]);
    let blocks = vec![
        block(Style::Centre, "REPUBLIC OF CAMEROON"),
        block(Style::Centre, "Peace - Work - Fatherland"),
        block(Style::Title, *university),
        block(Style::Centre, *degree),
        block(
            Style::Paragraph,
            format!(
                "This is to certify that {}, born on {} at {}, having fulfilled all the \
                 requirements prescribed by the statutes of the University, has been awarded \
                 the degree of {} in {} with the grade of Merit.",
                c.full_name(),
                c.birth_date_en,
                c.birth_place,
                degree.to_lowercase(),
                field
            ),
        ),
        block(
            Style::Line,
            format!("Registration number: UB{}", 10_000 + rng.below(89_999)),
        ),
        block(Style::Right, "Given at Buea, July 15, 2023"),
        block(Style::Right, "The Vice-Chancellor"),
    ];
    Document {
        kind: "diploma",
        lang: "eng",
        blocks,
    }
}

/// An extract of the criminal record, bulletin n° 3 (French).
pub fn criminal_record(c: &Candidate, rng: &mut Rng) -> Document {
    let mut blocks = republic_fr();
    blocks.extend([
        block(
            Style::Centre,
            format!("Tribunal de première instance de {}", rng.pick(PLACES)),
        ),
        block(Style::Title, "EXTRAIT DE CASIER JUDICIAIRE"),
        block(Style::Centre, "Bulletin n° 3"),
        block(Style::Line, format!("Nom : {}", c.name)),
        block(Style::Line, format!("Prénoms : {}", c.given_names)),
        block(
            Style::Line,
            format!(
                "Date et lieu de naissance : {} à {}",
                c.birth_date, c.birth_place
            ),
        ),
        block(Style::Line, "Condamnations : NÉANT"),
        block(Style::Right, "Le greffier en chef"),
    ]);
    Document {
        kind: "criminal-record",
        lang: "fra",
        blocks,
    }
}

/// The documents of one dossier, in the order they are filed.
pub fn dossier_documents(c: &Candidate, rng: &mut Rng) -> Vec<Document> {
    vec![
        application_letter(c, rng),
        birth_certificate(c, rng),
        diploma(c, rng),
        medical_certificate(c, rng),
        criminal_record(c, rng),
    ]
}
