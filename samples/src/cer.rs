//! Character error rate: how far OCR text is from the ground truth.

/// Folds what OCR cannot be blamed for: runs of white space become one space,
/// typographic apostrophes and quotes become their ASCII forms.
pub fn normalise(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        let c = match c {
            '\u{2019}' | '\u{2018}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{2014}' | '\u{2013}' => '-',
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Edit distance between the normalised texts, in characters.
pub fn edit_distance(truth: &str, read: &str) -> usize {
    let (a, b) = (normalise(truth), normalise(read));
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Edit distance over the length of the normalised truth (0 is perfect).
pub fn cer(truth: &str, read: &str) -> f64 {
    let n = normalise(truth).len();
    if n == 0 {
        return if normalise(read).is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(truth, read) as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_text_has_no_error() {
        assert_eq!(cer("Acte de naissance", "Acte  de\nnaissance "), 0.0);
    }

    #[test]
    fn one_wrong_accent_is_one_error() {
        assert_eq!(edit_distance("intégration", "integration"), 1);
        assert!((cer("abcd", "abed") - 0.25).abs() < 1e-9);
    }

    #[test]
    fn apostrophes_are_folded() {
        assert_eq!(cer("l\u{2019}État", "l'État"), 0.0);
    }

    #[test]
    fn missing_text_is_all_errors() {
        assert_eq!(cer("abc", ""), 1.0);
    }
}
