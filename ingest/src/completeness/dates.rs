//! Dates as documents write them, French and English: `le 28 octobre 2026`,
//! `1er mars 2026`, `28/10/2026`, `October 28, 2026`, `28 October 2026`.

use std::sync::LazyLock;

use regex::Regex;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Date {
    /// Days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's algorithm).
    pub fn days(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let valid =
            (1900..=2100).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day);
        valid.then_some(Date { year, month, day })
    }
}

/// Month names, folded (lower case, no accents), French then English, and
/// the common abbreviations.
const MONTHS: &[(&str, u32)] = &[
    ("janvier", 1),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("mai", 5),
    ("juin", 6),
    ("juillet", 7),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("decembre", 12),
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("janv", 1),
    ("fevr", 2),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

fn month(name: &str) -> Option<u32> {
    MONTHS.iter().find(|(m, _)| *m == name).map(|(_, n)| *n)
}

static NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b").expect("valid"));
static DAY_MONTH_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})(?:er)?\s+([a-z]+)\.?,?\s+(\d{4})\b").expect("valid"));
static MONTH_DAY_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})\b").expect("valid"));

/// Every date written in `text`, in the order found.
pub fn find(text: &str) -> Vec<Date> {
    let folded = index::classify::fold(text);
    let number = |s: &str| s.parse::<u32>().ok();
    let mut dates = Vec::new();
    for c in NUMERIC.captures_iter(&folded) {
        let year = c[3].parse().ok();
        dates.extend(year.and_then(|y| Date::new(y, number(&c[2])?, number(&c[1])?)));
    }
    for c in DAY_MONTH_YEAR.captures_iter(&folded) {
        let year = c[3].parse().ok();
        dates.extend(year.and_then(|y| Date::new(y, month(&c[2])?, number(&c[1])?)));
    }
    for c in MONTH_DAY_YEAR.captures_iter(&folded) {
        let year = c[3].parse().ok();
        dates.extend(year.and_then(|y| Date::new(y, month(&c[1])?, number(&c[2])?)));
    }
    dates
}

/// A date given alone (`2026-10-28`, `7 juillet 1997`, `28/10/2026`).
pub fn parse(text: &str) -> Option<Date> {
    let text = text.trim();
    if let [y, m, d] = text.splitn(3, '-').collect::<Vec<_>>()[..]
        && y.len() == 4
    {
        return Date::new(y.parse().ok()?, m.parse().ok()?, d.get(..2)?.parse().ok()?);
    }
    find(text).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, month: u32, day: u32) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn dates_as_documents_write_them() {
        let text = "née le 7 juillet 1997 à Maroua\nFait à Douala, le 1er mars 2026\n\
                    Given at Buea, July 15, 2023 — 28/10/2026 — 12 Février 2025";
        assert_eq!(
            find(text),
            vec![
                d(2026, 10, 28),
                d(1997, 7, 7),
                d(2026, 3, 1),
                d(2025, 2, 12),
                d(2023, 7, 15)
            ]
        );
        assert!(find("n° 12 du 45/13/2026, 31 brumaire 2026").is_empty());
        assert_eq!(parse("2026-11-02T09:00:00Z"), Some(d(2026, 11, 2)));
        assert_eq!(parse("7 juillet 1997"), Some(d(1997, 7, 7)));
        assert_eq!(d(2026, 11, 2).days() - d(2026, 8, 4).days(), 90);
        assert_eq!(d(1970, 1, 1).days(), 0);
    }
}
