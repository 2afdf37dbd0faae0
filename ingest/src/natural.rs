//! Natural name order: `2.tif` before `10.tif`, as people number their scans.

use std::cmp::Ordering;

/// Compares names with runs of digits taken as numbers.
pub fn cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
                let db = b.find(|c: char| !c.is_ascii_digit()).unwrap_or(b.len());
                let (na, nb) = (
                    a[..da].trim_start_matches('0'),
                    b[..db].trim_start_matches('0'),
                );
                // Longer (without leading zeros) is larger; then digit by digit; then fewer zeros first.
                let order = na
                    .len()
                    .cmp(&nb.len())
                    .then_with(|| na.cmp(nb))
                    .then_with(|| da.cmp(&db));
                if order != Ordering::Equal {
                    return order;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                let order = x.to_lowercase().cmp(y.to_lowercase()).then(x.cmp(&y));
                if order != Ordering::Equal {
                    return order;
                }
                a = &a[x.len_utf8()..];
                b = &b[y.len_utf8()..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sort_by_value() {
        let mut names = vec![
            "10.tif",
            "2.tif",
            "1.tif",
            "page-10b.png",
            "page-10a.png",
            "page-9.png",
            "001.jpg",
        ];
        names.sort_by(|a, b| cmp(a, b));
        assert_eq!(
            names,
            [
                "1.tif",
                "001.jpg",
                "2.tif",
                "10.tif",
                "page-9.png",
                "page-10a.png",
                "page-10b.png"
            ]
        );
    }

    #[test]
    fn huge_numbers_do_not_overflow() {
        assert_eq!(
            cmp(
                "99999999999999999999999.tif",
                "100000000000000000000000.tif"
            ),
            Ordering::Less
        );
    }
}
