//! The Python projects a requirements file belongs to, read from their metadata on disk.
//!
//! `uv export` writes the project it exported as `-e .` (or leaves it out with
//! `--no-emit-project`) and names it, and every workspace member, in `# via <project>`: those
//! names are the root of the lock, not packages missing from it. An editable or unnamed path
//! requirement (`-e ./pkg`) has no name in the file either: the name is the one its
//! `pyproject.toml` (`[project] name`) or `setup.cfg` (`[metadata] name`) declares.
//!
//! Invariant: only metadata files are read, each a regular file of at most
//! [`MAX_METADATA_BYTES`]; nothing is executed (a `setup.py` is never run, so a project
//! described only by one has no name here).

use std::path::{Path, PathBuf};

use crate::model::{Ecosystem, PackageName};

/// Largest `pyproject.toml` or `setup.cfg` read (real ones are a few kilobytes).
pub const MAX_METADATA_BYTES: u64 = 1024 * 1024;

/// Most directories climbed from a lockfile looking for its project: a lock lives in the project
/// root or a few levels below it (`requirements/prod.txt`).
const MAX_ASCENT: usize = 8;

/// Most workspace members expanded from one `[tool.uv.workspace] members` list.
const MAX_MEMBERS: usize = 1000;

/// The project a lock was exported from and its workspace members.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// Each project's directory (canonical) and, where its metadata names it, its name.
    pub projects: Vec<(PathBuf, Option<PackageName>)>,
}

impl Workspace {
    /// Whether `dir` (canonical) is one of the workspace's projects.
    pub fn contains_dir(&self, dir: &Path) -> bool {
        self.projects.iter().any(|(d, _)| d == dir)
    }

    /// The names of the workspace's projects.
    pub fn names(&self) -> impl Iterator<Item = &PackageName> {
        self.projects.iter().filter_map(|(_, n)| n.as_ref())
    }

    /// The project and workspace around `lock_dir`: the nearest directory at or above it holding
    /// a `pyproject.toml`, and, when that file or one above it declares `[tool.uv.workspace]`, the
    /// workspace root and its members. Climbing stops at a repository root (a `.git` entry).
    pub fn discover(lock_dir: &Path) -> Workspace {
        let mut found = Workspace::default();
        let Ok(start) = crate::fsio::canonicalize(lock_dir) else {
            return found;
        };
        for dir in start.ancestors().take(MAX_ASCENT) {
            let facts = dir_facts(dir);
            if let Some(doc) = &facts.pyproject {
                let name = project_name_in(doc);
                let workspace = doc
                    .get("tool")
                    .and_then(|t| t.get("uv"))
                    .and_then(|t| t.get("workspace"));
                // The nearest project is the lock's; one further up counts only as the root of
                // a workspace.
                if found.projects.is_empty() || workspace.is_some() {
                    found.add(dir.to_path_buf(), name);
                }
                if let Some(ws) = workspace {
                    for member in members(dir, ws) {
                        let name = project_name(&member);
                        found.add(member, name);
                    }
                    break;
                }
            }
            if facts.git {
                break;
            }
        }
        found
    }

    fn add(&mut self, dir: PathBuf, name: Option<String>) {
        if !self.contains_dir(&dir) {
            let name = name.map(|n| PackageName::new(Ecosystem::Pypi, &n));
            self.projects.push((dir, name));
        }
    }
}

/// The name the project in `dir` declares: `[project] name` of its `pyproject.toml`, else
/// `[metadata] name` of its `setup.cfg`.
pub fn project_name(dir: &Path) -> Option<String> {
    read_toml(&dir.join("pyproject.toml"))
        .and_then(|doc| project_name_in(&doc))
        .or_else(|| setup_cfg_name(&dir.join("setup.cfg")))
}

/// What the climb of [`Workspace::discover`] needs to know of one directory.
struct DirFacts {
    /// Its `pyproject.toml`, parsed.
    pyproject: Option<toml::Table>,
    /// Whether it holds a `.git` entry (a repository root).
    git: bool,
}

/// Directories already read by the climb in this run. Lockfiles of one tree share their
/// ancestors: each is read once, not once per lockfile below it (issue 16: 8,000 lockfiles
/// asked the same eight directories for a `pyproject.toml` 8,000 times). A run reads a tree
/// that does not change under it.
static DIR_FACTS: std::sync::OnceLock<
    std::sync::Mutex<std::collections::HashMap<PathBuf, std::sync::Arc<DirFacts>>>,
> = std::sync::OnceLock::new();

fn dir_facts(dir: &Path) -> std::sync::Arc<DirFacts> {
    let cache = DIR_FACTS.get_or_init(Default::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(dir) {
        return hit.clone();
    }
    let facts = std::sync::Arc::new(DirFacts {
        pyproject: read_toml(&dir.join("pyproject.toml")),
        git: dir.join(".git").exists(),
    });
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(dir.to_path_buf(), facts.clone());
    facts
}

fn read_toml(path: &Path) -> Option<toml::Table> {
    let text = crate::fsio::read_to_string_capped(path, MAX_METADATA_BYTES).ok()?;
    text.parse::<toml::Table>().ok()
}

fn project_name_in(doc: &toml::Table) -> Option<String> {
    let name = doc.get("project")?.get("name")?.as_str()?.trim();
    valid_name(name).then(|| name.to_string())
}

/// A PEP 508 name: letters, digits and `.-_`, starting and ending with a letter or digit.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// `name = …` in the `[metadata]` section of a `setup.cfg` (INI: `=` or `:` separates a key
/// from its value).
fn setup_cfg_name(path: &Path) -> Option<String> {
    let text = crate::fsio::read_to_string_capped(path, MAX_METADATA_BYTES).ok()?;
    let mut in_metadata = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_metadata = section.trim() == "metadata";
            continue;
        }
        if !in_metadata {
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        let value = value.trim();
        if key.trim() == "name" && valid_name(value) {
            return Some(value.to_string());
        }
    }
    None
}

/// The member directories of a `[tool.uv.workspace]` table rooted at `root`: each `members`
/// pattern (`packages/*`; `*` and `?` match within one path component) that names a directory
/// holding a `pyproject.toml`, less those an `exclude` pattern names.
fn members(root: &Path, ws: &toml::Value) -> Vec<PathBuf> {
    let patterns = |key: &str| -> Vec<String> {
        ws.get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let expand = |pats: Vec<String>| -> Vec<PathBuf> {
        let mut out = Vec::new();
        for p in pats {
            expand_glob(root, &p, &mut out);
        }
        out
    };
    let excluded = expand(patterns("exclude"));
    expand(patterns("members"))
        .into_iter()
        .filter(|d| !excluded.contains(d))
        .filter(|d| d.join("pyproject.toml").is_file())
        .take(MAX_MEMBERS)
        .collect()
}

fn expand_glob(root: &Path, pattern: &str, out: &mut Vec<PathBuf>) {
    let mut current = vec![root.to_path_buf()];
    for part in pattern.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if part == ".." || part == "**" {
            // Members live inside the workspace root; `**` is not expanded.
            return;
        }
        let mut next = Vec::new();
        for dir in &current {
            if part.contains(['*', '?']) {
                let Ok(entries) = std::fs::read_dir(dir) else {
                    continue;
                };
                let mut names: Vec<_> = entries
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .filter(|n| wildcard(part.as_bytes(), n.as_bytes()))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|n| dir.join(n)));
            } else {
                next.push(dir.join(part));
            }
            if next.len() > MAX_MEMBERS {
                break;
            }
        }
        current = next;
    }
    out.extend(
        current
            .into_iter()
            .filter_map(|d| crate::fsio::canonicalize(&d).ok()),
    );
}

/// `*` (any run) and `?` (one byte) matching of one path component.
fn wildcard(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard(&pattern[1..], name) || (!name.is_empty() && wildcard(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => wildcard(&pattern[1..], &name[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_from_pyproject_and_setup_cfg() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::create_dir(&a).unwrap();
        std::fs::write(a.join("pyproject.toml"), "[project]\nname = \"Demo_App\"\n").unwrap();
        assert_eq!(project_name(&a).as_deref(), Some("Demo_App"));
        let b = dir.path().join("b");
        std::fs::create_dir(&b).unwrap();
        std::fs::write(
            b.join("setup.cfg"),
            "[options]\nname = no\n[metadata]\nname: legacy\n",
        )
        .unwrap();
        assert_eq!(project_name(&b).as_deref(), Some("legacy"));
        // A name that is not a PEP 508 name is no name.
        std::fs::write(a.join("pyproject.toml"), "[project]\nname = \"../x\"\n").unwrap();
        assert_eq!(project_name(&a), None);
    }

    #[test]
    fn discovers_a_uv_workspace_and_its_members() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::write(
            root.join("pyproject.toml"),
            "[project]\nname = \"root\"\n[tool.uv.workspace]\nmembers = [\"packages/*\"]\nexclude = [\"packages/skip\"]\n",
        )
        .unwrap();
        for (m, name) in [("lib-a", "lib-a"), ("lib_b", "Lib_B"), ("skip", "skip")] {
            let d = root.join("packages").join(m);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join("pyproject.toml"),
                format!("[project]\nname = \"{name}\"\n"),
            )
            .unwrap();
        }
        std::fs::create_dir_all(root.join("requirements")).unwrap();
        let ws = Workspace::discover(&root.join("requirements"));
        let names: Vec<&str> = ws.names().map(PackageName::as_str).collect();
        assert_eq!(names, ["root", "lib-a", "lib-b"]);
    }

    #[test]
    fn wildcards_match_one_component() {
        assert!(wildcard(b"lib-*", b"lib-a"));
        assert!(wildcard(b"?x*", b"ax"));
        assert!(!wildcard(b"lib-*", b"app"));
    }
}
