//! Repeated differences, grouped: the same kind with the same change at many locations is one
//! [`Group`], so 1,970 members whose mtime moved the same way read as one line.
//!
//! Groups are a view of a report, never a replacement: every difference stays in the report,
//! and each is in exactly one group. Content groups (the likely causes) come first, in the
//! order their first difference was found; metadata groups follow, by kind, the largest first.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

use crate::diff::{Difference, Kind};

/// What a difference is about: what the outputs hold, or how they were packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Bytes, members, inputs: where the cause of a difference usually is.
    Content,
    /// Times, modes, owners, header fields, order, compression.
    Metadata,
}

impl Class {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Content => "content",
            Class::Metadata => "metadata",
        }
    }
}

/// Differences of one kind that changed the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group<'a> {
    /// The kind they share.
    pub kind: Kind,
    /// Content or metadata.
    pub class: Class,
    /// The change they share ([`Difference::change`]), borrowed from the first difference
    /// where it can be (100,000 differing members are 100,000 groups).
    pub change: Cow<'a, str>,
    /// How many differences.
    pub count: usize,
    /// Their positions in the report's `differences`, in order.
    pub differences: Vec<usize>,
}

/// Group differences by kind and change: content groups first, in the order found, then
/// metadata groups by kind, the largest first.
pub fn groups(differences: &[Difference]) -> Vec<Group<'_>> {
    let mut index: HashMap<(Kind, Cow<'_, str>), usize> = HashMap::new();
    let mut out: Vec<Group<'_>> = Vec::new();
    for (i, d) in differences.iter().enumerate() {
        let change = d.change();
        match index.get(&(d.kind, change.clone())) {
            Some(&g) => {
                out[g].count += 1;
                out[g].differences.push(i);
            }
            None => {
                index.insert((d.kind, change.clone()), out.len());
                out.push(Group {
                    kind: d.kind,
                    class: d.kind.class(),
                    change,
                    count: 1,
                    differences: vec![i],
                });
            }
        }
    }
    // Stable: equal keys keep the order found.
    out.sort_by_key(|g| match g.class {
        Class::Content => (Class::Content, None, 0, g.differences[0]),
        Class::Metadata => (
            Class::Metadata,
            Some(g.kind),
            usize::MAX - g.count,
            g.differences[0],
        ),
    });
    out
}

/// How many differences of one class, by kind: a line of the summary a report opens with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSummary {
    /// Content or metadata.
    pub class: Class,
    /// How many differences of the class.
    pub total: usize,
    /// Its kinds with their counts, the most first.
    pub kinds: Vec<(Kind, usize)>,
}

/// The summary by kind of some groups: content first, then metadata (a class with no
/// difference has no line).
pub fn summary_by_kind(groups: &[Group<'_>]) -> Vec<ClassSummary> {
    let mut out = Vec::new();
    for class in [Class::Content, Class::Metadata] {
        let mut kinds: std::collections::BTreeMap<Kind, usize> = Default::default();
        for g in groups.iter().filter(|g| g.class == class) {
            *kinds.entry(g.kind).or_default() += g.count;
        }
        if kinds.is_empty() {
            continue;
        }
        let total = kinds.values().sum();
        let mut kinds: Vec<(Kind, usize)> = kinds.into_iter().collect();
        kinds.sort_by_key(|(k, n)| (usize::MAX - n, *k));
        out.push(ClassSummary {
            class,
            total,
            kinds,
        });
    }
    out
}

/// `n` with thousands separated by commas (`1,970`), as counts are printed.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `text` without its parenthesized parts (`only in B (13 bytes)` → `only in B`).
pub(crate) fn without_parentheses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    // `only in B (13 bytes)` leaves a trailing space, `differ (…): another` a space before `:`.
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" :", ":")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(loc: &str, kind: Kind, summary: &str) -> Difference {
        Difference::new(loc, kind, summary)
    }

    #[test]
    fn same_kind_and_change_group_content_first_then_metadata_largest_first() {
        let diffs = vec![
            d("z!/a", Kind::Mtime, "mtime 1 in A, 2 in B"),
            d("z!/a", Kind::Owner, "ux uid: 1000 in A, 0 in B"),
            d("z!/b", Kind::Mtime, "mtime 1 in A, 2 in B"),
            d("z!/c", Kind::Mtime, "mtime 5 in A, 6 in B"),
            d("z!/b", Kind::Owner, "ux uid: 1000 in A, 0 in B"),
            d("z!/c", Kind::Mtime, "mtime 1 in A, 2 in B"),
            d("z!/x", Kind::Content, "content differs (1 → 2 bytes)"),
            d("z!/n1", Kind::Added, "only in B (3 bytes)"),
            d("z!/n2", Kind::Added, "only in B (40 bytes)"),
        ];
        let g = groups(&diffs);
        let summary: Vec<_> = g
            .iter()
            .map(|g| (g.kind, g.change.as_ref(), g.count, g.differences.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (Kind::Content, "content differs (1 → 2 bytes)", 1, vec![6]),
                (Kind::Added, "only in B", 2, vec![7, 8]),
                (Kind::Mtime, "mtime 1 in A, 2 in B", 3, vec![0, 2, 5]),
                (Kind::Mtime, "mtime 5 in A, 6 in B", 1, vec![3]),
                (Kind::Owner, "ux uid: 1000 in A, 0 in B", 2, vec![1, 4]),
            ]
        );
        // Every difference is in exactly one group.
        let mut all: Vec<usize> = g.iter().flat_map(|g| g.differences.clone()).collect();
        all.sort();
        assert_eq!(all, (0..diffs.len()).collect::<Vec<_>>());
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(970), "970");
        assert_eq!(thousands(1970), "1,970");
        assert_eq!(thousands(13_732_001), "13,732,001");
    }

    #[test]
    fn parentheses_are_dropped_from_member_specific_changes() {
        assert_eq!(without_parentheses("only in B (13 bytes)"), "only in B");
        assert_eq!(
            without_parentheses(
                "same content, compressed bytes differ (10 vs 12 bytes): another compression level"
            ),
            "same content, compressed bytes differ: another compression level"
        );
    }
}
