//! Member names and the namespace they form: the checks every archive walk makes after it has
//! read the member list, and the one place that decides whether a member path is safe.
//!
//! A member set is safe when extracting it anywhere writes only inside the target directory and
//! every reader writes the same files: no absolute or `..` path; no backslash (unzip reads it as a
//! separator, others as a character); no empty or `.` component (readers normalize them
//! differently, so `a/./b` and `a/b` collide); no two members with one name (a directory may
//! repeat, as GNU tar writes it); no member under a file or under a symbolic link (extracting it
//! writes through the link); no link whose target, followed through the archive's other links,
//! leaves the archive or loops; no hard link to a member that is not earlier in the archive.

use std::collections::HashMap;

use super::{Member, MemberKind, Rule};

/// Most links followed while resolving one link target (Linux's `ELOOP` limit).
pub const MAX_LINK_HOPS: usize = 40;

/// Why a member path is unsafe, if it is.
pub fn unsafe_path(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("empty member name");
    }
    if name.contains('\0') {
        return Some("NUL byte in member name");
    }
    if name.contains('\\') {
        return Some(
            "a backslash in the name: unzip reads it as a path separator, other readers as a character",
        );
    }
    if name.starts_with('/') || name.as_bytes().get(1) == Some(&b':') {
        return Some("absolute path");
    }
    let rest = strip_dot_slash(name);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return None;
    }
    for part in rest.split('/') {
        match part {
            ".." => return Some("path escapes the archive with `..`"),
            "." => return Some("a `.` component: readers normalize it differently"),
            "" => return Some("an empty path component (`//`): readers normalize it differently"),
            _ => {}
        }
    }
    None
}

fn strip_dot_slash(mut name: &str) -> &str {
    while let Some(rest) = name.strip_prefix("./") {
        name = rest;
    }
    name
}

/// The path a member is extracted to, relative to the target: no leading `./`, no trailing
/// `/` (empty for the archive's root, `./`).
pub fn canonical(name: &str) -> &str {
    let name = strip_dot_slash(name);
    let name = name.strip_suffix('/').unwrap_or(name);
    if name == "." { "" } else { name }
}

/// The proper ancestors of a canonical path (`a/b/c` → `a`, `a/b`).
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// Resolve `target`, a link's target, from the directory `base` (as components), following the
/// archive's other symbolic links; `Err` when it leaves the archive or loops.
fn resolve<'a>(
    links: &HashMap<&'a str, &'a str>,
    mut stack: Vec<String>,
    target: &'a str,
    hops: &mut usize,
) -> Result<Vec<String>, &'static str> {
    if target.starts_with('/') {
        return Err("an absolute target");
    }
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if stack.pop().is_none() {
                    return Err("a target outside the archive");
                }
            }
            name => {
                stack.push(name.to_string());
                let here = stack.join("/");
                if let Some(next) = links.get(here.as_str()) {
                    *hops += 1;
                    if *hops > MAX_LINK_HOPS {
                        return Err("a loop of symbolic links");
                    }
                    stack.pop();
                    stack = resolve(links, stack, next, hops)?;
                }
            }
        }
    }
    Ok(stack)
}

/// Check a member list (in archive order) as a namespace; `Err((member, rule, why))` for the
/// first member that breaks a rule.
pub fn check(members: &[Member]) -> Result<(), (String, Rule, String)> {
    let fail = |m: &Member, rule: Rule, why: String| Err((m.path.clone(), rule, why));
    let mut kinds: HashMap<&str, (MemberKind, usize)> = HashMap::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        if let Some(why) = unsafe_path(&m.path) {
            return fail(m, Rule::UnsafePath, why.into());
        }
        let c = canonical(&m.path);
        if c.is_empty() {
            if m.kind != MemberKind::Dir {
                return fail(
                    m,
                    Rule::PathConflict,
                    "the archive's root as a non-directory".into(),
                );
            }
            continue;
        }
        match kinds.get(c) {
            Some((MemberKind::Dir, _)) if m.kind == MemberKind::Dir => {}
            Some((k, _)) => {
                return fail(
                    m,
                    Rule::Duplicate,
                    if *k == m.kind {
                        "duplicate member name".into()
                    } else {
                        format!("duplicate member name: a {k:?} and a {:?}", m.kind).to_lowercase()
                    },
                );
            }
            None => {
                kinds.insert(c, (m.kind, i));
            }
        }
    }
    let links: HashMap<&str, &str> = members
        .iter()
        .filter(|m| m.kind == MemberKind::Symlink)
        .map(|m| (canonical(&m.path), m.link.as_deref().unwrap_or("")))
        .collect();
    for (i, m) in members.iter().enumerate() {
        let c = canonical(&m.path);
        for a in ancestors(c) {
            match kinds.get(a) {
                Some((MemberKind::Symlink, _)) => {
                    return fail(
                        m,
                        Rule::ThroughLink,
                        format!(
                            "lies under the symbolic link `{a}`: extracting it writes through the link"
                        ),
                    );
                }
                Some((MemberKind::File | MemberKind::Hardlink, _)) => {
                    return fail(
                        m,
                        Rule::PathConflict,
                        format!("lies under `{a}`, which is a file"),
                    );
                }
                _ => {}
            }
        }
        let target = m.link.as_deref().unwrap_or("");
        match m.kind {
            MemberKind::Symlink => {
                if target.is_empty() || target.contains('\0') {
                    return fail(
                        m,
                        Rule::LinkEscape,
                        "an empty or NUL-bearing link target".into(),
                    );
                }
                let base: Vec<String> = ancestors(c)
                    .last()
                    .map_or_else(Vec::new, |p| p.split('/').map(str::to_string).collect());
                if let Err(why) = resolve(&links, base, target, &mut 0) {
                    return fail(
                        m,
                        Rule::LinkEscape,
                        format!("symlink to `{target}` leaves the archive ({why})"),
                    );
                }
            }
            MemberKind::Hardlink => {
                if unsafe_path(target).is_some() {
                    return fail(
                        m,
                        Rule::LinkEscape,
                        format!("hard link to `{target}` leaves the archive"),
                    );
                }
                let t = canonical(target);
                match kinds.get(t) {
                    Some((k, j)) if *j < i && *k != MemberKind::Dir => {}
                    _ => {
                        return fail(
                            m,
                            Rule::LinkEscape,
                            format!(
                                "hard link to `{target}`, which is not an earlier file of the archive"
                            ),
                        );
                    }
                }
                if let Some(a) =
                    ancestors(t).find(|a| kinds.get(a).is_some_and(|(k, _)| *k != MemberKind::Dir))
                {
                    return fail(
                        m,
                        Rule::ThroughLink,
                        format!("hard link through `{a}`, which is not a directory"),
                    );
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(path: &str, kind: MemberKind, link: Option<&str>) -> Member {
        Member {
            path: path.into(),
            kind,
            size: 0,
            mode: 0o644,
            mtime: 0,
            sha256: None,
            link: link.map(str::to_string),
        }
    }
    use MemberKind::*;

    #[test]
    fn unsafe_paths() {
        for bad in [
            "/etc/passwd",
            "a/../../b",
            "C:\\x",
            "..\\evil.py",
            "a/./b",
            "a//b",
            "",
            "a\0b",
        ] {
            assert!(unsafe_path(bad).is_some(), "{bad:?}");
        }
        for good in ["a/b.py", "./pkg/a.py", "./", "pkg/", "a..b/c"] {
            assert!(unsafe_path(good).is_none(), "{good:?}");
        }
    }

    #[test]
    fn links_are_followed_through_other_links() {
        // Each link alone stays inside; together `d/x/y` would reach the parent of the root.
        let chained = [
            m("d/", Dir, None),
            m("d/x", Symlink, Some("..")),
            m("d/x/y", Symlink, Some("..")),
        ];
        let (who, rule, _) = check(&chained).unwrap_err();
        assert_eq!((who.as_str(), rule), ("d/x/y", Rule::ThroughLink));
        // `b/c/../x` is `b/x` as text, but `b/c` is the root, so `..` leaves it.
        let through = [
            m("b/", Dir, None),
            m("b/c", Symlink, Some("..")),
            m("a", Symlink, Some("b/c/../x")),
        ];
        let (who, rule, why) = check(&through).unwrap_err();
        assert_eq!((who.as_str(), rule), ("a", Rule::LinkEscape), "{why}");
        let fine = [
            m("pkg/", Dir, None),
            m("pkg/mod.py", File, None),
            m("pkg/link", Symlink, Some("mod.py")),
            m("top", Symlink, Some("pkg/link")),
        ];
        assert!(check(&fine).is_ok());
        let looped = [m("a", Symlink, Some("b/x")), m("b", Symlink, Some("a"))];
        assert_eq!(check(&looped).unwrap_err().1, Rule::LinkEscape);
    }

    /// A chain of links, each pointing at the next: `MAX_LINK_HOPS` hops resolve, one more is
    /// a loop.
    #[test]
    fn link_hops_at_the_limit_and_one_past_it() {
        let chain = |n: usize| -> Vec<Member> {
            let mut v = vec![m("target", File, None)];
            let names: Vec<String> = (0..=n).map(|i| format!("l{i}")).collect();
            for i in 0..n {
                v.push(m(&names[i], Symlink, Some(&names[i + 1])));
            }
            v.push(m(&names[n], Symlink, Some("target")));
            v
        };
        // l0 -> l1 -> … -> lN -> target: resolving l0 follows N further links.
        assert!(check(&chain(MAX_LINK_HOPS)).is_ok());
        assert_eq!(
            check(&chain(MAX_LINK_HOPS + 1)).unwrap_err().1,
            Rule::LinkEscape
        );
    }

    #[test]
    fn duplicates_and_conflicts() {
        let dup = [m("a.py", File, None), m("./a.py", File, None)];
        assert_eq!(check(&dup).unwrap_err().1, Rule::Duplicate);
        let dirs = [m("a/", Dir, None), m("a/", Dir, None), m("a/b", File, None)];
        assert!(check(&dirs).is_ok());
        let file_and_dir = [m("a", File, None), m("a/", Dir, None)];
        assert_eq!(check(&file_and_dir).unwrap_err().1, Rule::Duplicate);
        let under_file = [m("a/b", File, None), m("a", File, None)];
        assert_eq!(check(&under_file).unwrap_err().1, Rule::PathConflict);
    }

    #[test]
    fn hard_links_name_an_earlier_file() {
        let ok = [m("a", File, None), m("b", Hardlink, Some("a"))];
        assert!(check(&ok).is_ok());
        let later = [m("b", Hardlink, Some("a")), m("a", File, None)];
        assert_eq!(check(&later).unwrap_err().1, Rule::LinkEscape);
        let out = [m("b", Hardlink, Some("../x"))];
        assert_eq!(check(&out).unwrap_err().1, Rule::LinkEscape);
    }
}
