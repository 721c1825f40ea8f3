//! "Did you mean ...?": the closest candidate to a misspelled key, value or id.

/// The candidate closest to `word` by edit distance, when it is close enough to be a
/// plausible typo (at most a third of the word's length, and at least one edit).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == word {
            continue;
        }
        // Cheap length filter first: the distance is at least the length difference.
        if candidate.len().abs_diff(word.len()) > limit {
            continue;
        }
        let distance = strsim::damerau_levenshtein(&lower, &candidate.to_ascii_lowercase());
        if distance <= limit && best.is_none_or(|(d, c)| (distance, candidate) < (d, c)) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_misses_only() {
        let kinds = ["web_server", "app_server", "database"];
        assert_eq!(closest("web_sever", kinds), Some("web_server"));
        assert_eq!(closest("Database", kinds), Some("database"));
        assert_eq!(closest("queue", kinds), None);
    }

    #[test]
    fn ties_break_alphabetically_for_stable_output() {
        assert_eq!(closest("ab", ["ac", "aa"]), Some("aa"));
    }
}
