//! "Did you mean…": the candidates closest to what a user typed, by edit
//! distance (Levenshtein) over normalised text. Used where a request names
//! something unknown, so the error leads to what exists.

/// The edit distance between `a` and `b` (insertions, deletions and
/// substitutions of one character each).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// At most `limit` candidates whose key is close to `target`: within a third
/// of the target's length (at least 1, at most 4 edits), closest first, ties
/// by key (so the answer does not depend on the candidates' order), each
/// value once.
pub fn closest<'a, T: PartialEq + Clone>(
    target: &str,
    candidates: impl IntoIterator<Item = (&'a str, T)>,
    limit: usize,
) -> Vec<T> {
    let allowed = (target.chars().count() / 3).clamp(1, 4);
    let mut scored: Vec<(usize, &str, T)> = candidates
        .into_iter()
        .map(|(key, value)| (distance(target, key), key, value))
        .filter(|(d, _, _)| *d <= allowed)
        .collect();
    scored.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut chosen: Vec<T> = Vec::new();
    for (_, _, value) in scored {
        if chosen.len() == limit {
            break;
        }
        if !chosen.contains(&value) {
            chosen.push(value);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_count_single_character_edits() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("cambodja", "cambodia"), 1);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("ñandú", "nandu"), 2);
    }

    #[test]
    fn the_closest_come_first_and_far_ones_not_at_all() {
        let candidates = [("cambodia", "KHM"), ("colombia", "COL"), ("gambia", "GMB")];
        assert_eq!(closest("cambodja", candidates, 3), ["KHM"]);
        assert_eq!(closest("gambla", candidates, 3), ["GMB"]);
        assert!(closest("atlantis", candidates, 3).is_empty());
    }

    #[test]
    fn a_value_reached_by_several_keys_is_named_once() {
        let candidates = [("korea", "KOR"), ("southkorea", "KOR"), ("korearep", "KOR")];
        assert_eq!(closest("koreaa", candidates, 3), ["KOR"]);
    }
}
