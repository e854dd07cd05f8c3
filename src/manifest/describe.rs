//! Describing one output for the manifest: its digest, its members, the members of every
//! archive inside it, and the host strings ([`Hazard`]s) its bytes carry.
//!
//! A verifier has only the two manifests, so an output records enough to name a difference
//! without its bytes: a tree lists its entries, an archive its members, and both list the
//! members of the archives they hold ([`Output::nested`]: a zip in a tree, a wheel in a zip),
//! down to [`MAX_NESTING`] levels, as `repro diff` descends. Every byte is read once: one pass
//! over each file or member hashes it, scans it for hazards and, for a nested archive, copies
//! it to a temporary file that is then walked (a zip must be read from its end). The walker
//! refuses a hostile nested archive as it refuses one given directly, and every inflated byte of
//! one output, nested archives included, is spent from one [`Budget`].
//!
//! Archives are scanned member by member, never as their compressed bytes (where short names
//! would match by chance); an archive too deep to open is scanned as bytes. A file or member
//! whose bytes are those of a file of a locked input (a module installed from a wheel as it
//! is) is no hazard, whatever it holds: those bytes are the same on every machine (a `/root` in
//! an XML example, a compiler's path in a shared library built elsewhere).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use super::{ManifestError, Output};
use crate::archive::{
    ArchiveError, ArchiveFormat, Budget, ContentSink, MAX_NESTING, Member, WalkLimits, looks_nested,
};
use crate::hazard::{Found, Hazard, Needles, Scanner};

/// Most hazards recorded for one output: a build that writes its directory into every one of
/// 100,000 files says so in the first ten thousand, and the manifest stays far below its cap.
pub const MAX_HAZARDS: usize = 10_000;

/// What to look for in an output's bytes, and which bytes need no looking at.
#[derive(Debug, Clone)]
pub struct HazardScan {
    /// This machine's strings.
    pub needles: Needles,
    /// SHA-256 (hex) of bytes that come from the build's locked inputs (each resolved
    /// artifact, and each file its wheel's RECORD lists): the same on every machine, so what
    /// they hold is no host leak.
    pub inputs: HashSet<String>,
}

impl HazardScan {
    /// Scan for nothing.
    pub fn none() -> HazardScan {
        HazardScan {
            needles: Needles::none(),
            inputs: HashSet::new(),
        }
    }
}

/// An output, described.
#[derive(Debug, Clone)]
pub struct Described {
    /// The output's record.
    pub output: Output,
    /// Host strings found in it, one per kind per file or member, in walk order.
    pub hazards: Vec<Hazard>,
    /// Hazards found past [`MAX_HAZARDS`], counted but not recorded.
    pub hazards_omitted: u64,
}

/// Describe an output: a file, an archive (with its members), or a tree (with its entries),
/// with the members of the archives inside either (see [`describe_output_scanned`]).
pub fn describe_output(
    path: &Path,
    given: &str,
    limits: &WalkLimits,
) -> Result<Output, ManifestError> {
    Ok(describe_output_scanned(path, given, limits, &HazardScan::none())?.output)
}

/// Describe an output and scan its bytes for `scan`'s needles, in one pass over each file and
/// member.
pub fn describe_output_scanned(
    path: &Path,
    given: &str,
    limits: &WalkLimits,
    scan: &HazardScan,
) -> Result<Described, ManifestError> {
    let needles = &scan.needles;
    let io = |source| ManifestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let budget = Budget::new(limits.max_total_bytes);
    let env = Env {
        limits,
        budget: &budget,
    };
    let mut state = State {
        scanner: needles.scanner(),
        inputs: &scan.inputs,
        plain: vec![0; crate::hazard::SCAN_CHUNK],
        hazards: Vec::new(),
        omitted: 0,
    };
    let meta = crate::fsio::check_file_or_dir(path).map_err(io)?;
    let output = if meta.is_dir() {
        let root = given.trim_end_matches('/');
        let mut nested = Vec::new();
        let members = crate::archive::dir::members_with(path, |rel, file_path, f| {
            let here = format!("{root}/{rel}");
            let io = |source| ArchiveError::Io {
                path: file_path.to_path_buf(),
                source,
            };
            let archive =
                looks_nested(rel) && ArchiveFormat::sniff(file_path).map_err(io)?.is_some();
            let (size, sha256) = state.hash(f, !archive, &here).map_err(io)?;
            if archive {
                for m in walk_archive(env, &mut state, file_path, &here, 0)? {
                    nested.push(Member {
                        path: format!("{rel}!/{}", m.path),
                        ..m
                    });
                }
            }
            Ok((size, sha256))
        })?;
        for m in &members {
            if let Some(target) = &m.link {
                let found = needles.scan(target.as_bytes());
                state.record(&format!("{root}/{}", m.path), "", found);
            }
        }
        // The digest of the tree's own listing, as `repro diff --root-a` recomputes it.
        let listing = serde_json::to_vec(&members).expect("members serialize");
        Output {
            path: given.to_string(),
            kind: "tree".into(),
            size: members.iter().map(|m| m.size).sum(),
            sha256: crate::digest::sha256(&listing).hex(),
            members,
            nested,
        }
    } else {
        let archive = ArchiveFormat::sniff(path).map_err(io)?.is_some();
        let f = crate::fsio::open_regular(path).map_err(io)?;
        let (size, sha256) = state.hash(f, !archive, given).map_err(io)?;
        let (members, nested) = if archive {
            let mut level = Level::new(env, &mut state, given.to_string(), 0);
            let members = crate::archive::walk_with(path, limits, &budget, &mut level)?;
            let nested = level.descendants(&members);
            (members, nested)
        } else {
            (Vec::new(), Vec::new())
        };
        Output {
            path: given.to_string(),
            kind: if archive { "archive" } else { "file" }.into(),
            size,
            sha256,
            members,
            nested,
        }
    };
    state.hazards.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(Described {
        output,
        hazards: state.hazards,
        hazards_omitted: state.omitted,
    })
}

/// What every level of one description reads.
#[derive(Clone, Copy)]
struct Env<'a> {
    limits: &'a WalkLimits,
    budget: &'a Budget,
}

/// What every level of one description writes: the scanner (whose buffer every read fills) and
/// the hazards found.
struct State<'a> {
    scanner: Scanner<'a>,
    /// Digests of input bytes, which need no hazard recorded.
    inputs: &'a HashSet<String>,
    /// The read buffer of bytes that are not scanned (an archive's compressed bytes).
    plain: Vec<u8>,
    hazards: Vec<Hazard>,
    omitted: u64,
}

impl State<'_> {
    /// Hash a file in one pass, scanning it too when `scan`, and record what it holds at `here`.
    fn hash(&mut self, mut f: File, scan: bool, here: &str) -> io::Result<(u64, String)> {
        let mut h = sha2::Sha256::new();
        let mut total = 0u64;
        loop {
            let buf = if scan {
                self.scanner.spare()
            } else {
                &mut self.plain[..]
            };
            let n = match f.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            h.update(&buf[..n]);
            total += n as u64;
            if scan {
                self.scanner.filled(n);
            }
        }
        let sha256 = hex::encode(h.finalize());
        if scan {
            let found = self.scanner.finish();
            self.record(here, &sha256, found);
        }
        Ok((total, sha256))
    }

    /// Record what was found at `location` (in bytes of digest `sha256`), up to
    /// [`MAX_HAZARDS`], unless those bytes are an input's.
    fn record(&mut self, location: &str, sha256: &str, found: Vec<Found>) {
        if self.inputs.contains(sha256) {
            return;
        }
        for f in found {
            if self.hazards.len() < MAX_HAZARDS {
                self.hazards.push(Hazard {
                    location: location.to_string(),
                    kind: f.kind,
                    excerpt: f.excerpt,
                });
            } else {
                self.omitted += 1;
            }
        }
    }
}

/// The walk of one archive, at `depth` (0 for an output, or an archive in a tree), at
/// `location` (`dist/fn.zip`): sees each member's bytes as the walker hashes them.
struct Level<'s, 'a> {
    env: Env<'a>,
    state: &'s mut State<'a>,
    location: String,
    depth: usize,
    /// The copy of the current member, when its name says it is an archive to open.
    spool: Option<tempfile::NamedTempFile>,
    /// The members (and their own nested members) of each nested archive, by member path.
    nested: HashMap<String, Vec<Member>>,
}

impl<'s, 'a> Level<'s, 'a> {
    fn new(env: Env<'a>, state: &'s mut State<'a>, location: String, depth: usize) -> Self {
        Level {
            env,
            state,
            location,
            depth,
            spool: None,
            nested: HashMap::new(),
        }
    }

    /// The members of this level's nested archives, each after the one before it, with paths
    /// relative to this archive (`pkg.whl!/pkg/mod.py`).
    fn descendants(&mut self, members: &[Member]) -> Vec<Member> {
        let mut out = Vec::new();
        for m in members {
            if let Some(sub) = self.nested.remove(&m.path) {
                out.extend(sub.into_iter().map(|d| Member {
                    path: format!("{}!/{}", m.path, d.path),
                    ..d
                }));
            }
        }
        out
    }
}

impl ContentSink for Level<'_, '_> {
    fn buffer(&mut self) -> &mut [u8] {
        self.state.scanner.spare()
    }

    fn begin(&mut self, member: &str) -> io::Result<()> {
        self.spool = if self.depth + 1 < MAX_NESTING && looks_nested(member) {
            Some(tempfile::NamedTempFile::new()?)
        } else {
            None
        };
        Ok(())
    }

    fn filled(&mut self, n: usize) -> io::Result<()> {
        if let Some(spool) = &mut self.spool {
            spool
                .as_file_mut()
                .write_all(&self.state.scanner.spare()[..n])?;
        }
        self.state.scanner.filled(n);
        Ok(())
    }

    fn end(&mut self, member: &Member) -> Result<(), ArchiveError> {
        let found = self.state.scanner.finish();
        let here = format!("{}!/{}", self.location, member.path);
        if let Some(spool) = self.spool.take() {
            let io = |source| ArchiveError::Io {
                path: PathBuf::from(&here),
                source,
            };
            if ArchiveFormat::sniff(spool.path()).map_err(io)?.is_some() {
                // Its members are scanned instead of its compressed bytes.
                let members =
                    walk_archive(self.env, self.state, spool.path(), &here, self.depth + 1)?;
                self.nested.insert(member.path.clone(), members);
                return Ok(());
            }
        }
        // Links inside an archive point inside it (the walker refuses any other), so only
        // file content can carry a host path.
        let sha256 = member.sha256.as_deref().unwrap_or_default();
        self.state.record(&here, sha256, found);
        Ok(())
    }
}

/// Walk the archive at `path` (known by `location` in errors and hazards), at `depth`: its
/// members, each followed by the members of the archive it is, if it is one.
fn walk_archive<'a>(
    env: Env<'a>,
    state: &mut State<'a>,
    path: &Path,
    location: &str,
    depth: usize,
) -> Result<Vec<Member>, ArchiveError> {
    let mut level = Level::new(env, state, location.to_string(), depth);
    let members = crate::archive::walk_with(path, env.limits, env.budget, &mut level)
        .map_err(|e| relocate(e, path, location))?;
    let mut out = Vec::with_capacity(members.len());
    for m in members {
        let sub = level.nested.remove(&m.path);
        let name = m.path.clone();
        out.push(m);
        for d in sub.into_iter().flatten() {
            out.push(Member {
                path: format!("{name}!/{}", d.path),
                ..d
            });
        }
    }
    Ok(out)
}

/// An error about the temporary copy at `path` names the nested archive it holds instead.
fn relocate(e: ArchiveError, path: &Path, location: &str) -> ArchiveError {
    let fix = |p: PathBuf| {
        if p == path {
            PathBuf::from(location)
        } else {
            p
        }
    };
    match e {
        ArchiveError::Io { path: p, source } => ArchiveError::Io {
            path: fix(p),
            source,
        },
        ArchiveError::Format {
            path: p,
            format,
            detail,
        } => ArchiveError::Format {
            path: fix(p),
            format,
            detail,
        },
        ArchiveError::Unsafe {
            path: p,
            member,
            rule,
            detail,
        } => ArchiveError::Unsafe {
            path: fix(p),
            member,
            rule,
            detail,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Rule;
    use crate::hazard::{HazardKind, Needle};

    /// A zip holding `entries` (deflated), as bytes.
    fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut w = ::zip::ZipWriter::new(&mut buf);
        for (name, data) in entries {
            w.start_file(
                *name,
                ::zip::write::SimpleFileOptions::default()
                    .compression_method(::zip::CompressionMethod::Deflated),
            )
            .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
        buf.into_inner()
    }

    fn scan() -> HazardScan {
        HazardScan {
            needles: needles(),
            inputs: HashSet::new(),
        }
    }

    fn needles() -> Needles {
        Needles::new([
            Needle::new(HazardKind::BuildDir, "/srv/build-42"),
            Needle::new(HazardKind::InterpreterPath, "/opt/py/3.11.7/bin/python3.11"),
        ])
    }

    /// `dist/` holding a Lambda zip that holds a console script and a wheel.
    fn lambda_tree(dir: &Path, script: &[u8], module: &[u8]) -> PathBuf {
        let wheel = zip_bytes(&[("pkg/mod.py", module), ("pkg-1.0.dist-info/RECORD", b"")]);
        let lambda = zip_bytes(&[
            ("bin/tool", script),
            ("pkg-1.0-py3-none-any.whl", &wheel),
            ("app.py", b"print('hello')\n"),
        ]);
        let dist = dir.join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("fn.zip"), lambda).unwrap();
        std::fs::write(dist.join("README"), b"built in /srv/build-42\n").unwrap();
        dist
    }

    fn paths(members: &[Member]) -> Vec<&str> {
        members.iter().map(|m| m.path.as_str()).collect()
    }

    /// A tree records its own entries as before (same listing digest as `repro diff --root-a`
    /// computes), and apart from them every member of the archives inside it, nested ones too.
    #[test]
    fn a_tree_records_the_members_of_its_archives_and_theirs() {
        let tmp = tempfile::tempdir().unwrap();
        let dist = lambda_tree(tmp.path(), b"#!/usr/bin/env python3\n", b"X = 1\n");
        let o = describe_output(&dist, "dist", &WalkLimits::default()).unwrap();
        assert_eq!(paths(&o.members), ["README", "fn.zip"]);
        assert_eq!(
            paths(&o.nested),
            [
                "fn.zip!/bin/tool",
                "fn.zip!/pkg-1.0-py3-none-any.whl",
                "fn.zip!/pkg-1.0-py3-none-any.whl!/pkg/mod.py",
                "fn.zip!/pkg-1.0-py3-none-any.whl!/pkg-1.0.dist-info/RECORD",
                "fn.zip!/app.py",
            ]
        );
        let listing = crate::archive::dir::members(&dist).unwrap();
        assert_eq!(o.members, listing);
        assert_eq!(
            o.sha256,
            crate::digest::sha256(&serde_json::to_vec(&listing).unwrap()).hex()
        );
        let m = &o.nested[2];
        assert_eq!(m.sha256, Some(crate::digest::sha256(b"X = 1\n").hex()));
        assert_eq!(m.size, 6);
    }

    /// An archive records its members, and apart from them those of the archives it holds.
    #[test]
    fn an_archive_records_the_members_of_nested_archives() {
        let tmp = tempfile::tempdir().unwrap();
        let dist = lambda_tree(tmp.path(), b"#!/usr/bin/env python3\n", b"X = 1\n");
        let o =
            describe_output(&dist.join("fn.zip"), "dist/fn.zip", &WalkLimits::default()).unwrap();
        assert_eq!(o.kind, "archive");
        assert_eq!(
            paths(&o.members),
            ["bin/tool", "pkg-1.0-py3-none-any.whl", "app.py"]
        );
        assert_eq!(
            paths(&o.nested),
            [
                "pkg-1.0-py3-none-any.whl!/pkg/mod.py",
                "pkg-1.0-py3-none-any.whl!/pkg-1.0.dist-info/RECORD"
            ]
        );
    }

    /// Host strings are found in plain files, in archive members and in members of nested
    /// archives, and named where they are; the compressed bytes of an archive are not scanned.
    #[test]
    fn hazards_are_found_in_files_members_and_nested_members() {
        let tmp = tempfile::tempdir().unwrap();
        let dist = lambda_tree(
            tmp.path(),
            b"#!/opt/py/3.11.7/bin/python3.11\nimport tool\n",
            b"ROOT = '/srv/build-42/src'\n",
        );
        let d = describe_output_scanned(&dist, "dist", &WalkLimits::default(), &scan()).unwrap();
        let got: Vec<(&str, HazardKind, &str)> = d
            .hazards
            .iter()
            .map(|h| (h.location.as_str(), h.kind, h.excerpt.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "dist/README",
                    HazardKind::BuildDir,
                    "built in /srv/build-42"
                ),
                (
                    "dist/fn.zip!/bin/tool",
                    HazardKind::InterpreterPath,
                    "#!/opt/py/…"
                ),
                (
                    "dist/fn.zip!/pkg-1.0-py3-none-any.whl!/pkg/mod.py",
                    HazardKind::BuildDir,
                    "ROOT = '/srv/build-42/src'"
                ),
            ]
        );
        // The same output without needles records the same members.
        let plain = describe_output(&dist, "dist", &WalkLimits::default()).unwrap();
        assert_eq!(plain, d.output);
    }

    /// Bytes that are a locked input's, as they are, are no hazard, whatever they hold; the
    /// same string in bytes the build made is.
    #[test]
    fn bytes_of_locked_inputs_are_no_hazard() {
        let tmp = tempfile::tempdir().unwrap();
        let module = b"ROOT = '/srv/build-42/src'\n";
        let dist = lambda_tree(tmp.path(), b"#!/opt/py/3.11.7/bin/python3.11\n", module);
        let mut s = scan();
        s.inputs.insert(crate::digest::sha256(module).hex());
        let d = describe_output_scanned(&dist, "dist", &WalkLimits::default(), &s).unwrap();
        let locations: Vec<&str> = d.hazards.iter().map(|h| h.location.as_str()).collect();
        assert_eq!(locations, ["dist/README", "dist/fn.zip!/bin/tool"]);
    }

    /// A member named like an archive that is not one is scanned as what it is.
    #[test]
    fn a_member_named_like_an_archive_that_is_not_one_is_scanned() {
        let tmp = tempfile::tempdir().unwrap();
        let z = tmp.path().join("fn.zip");
        std::fs::write(
            &z,
            zip_bytes(&[("notes.zip", b"see /srv/build-42/notes\n")]),
        )
        .unwrap();
        let d = describe_output_scanned(&z, "fn.zip", &WalkLimits::default(), &scan()).unwrap();
        assert!(d.output.nested.is_empty());
        assert_eq!(d.hazards.len(), 1);
        assert_eq!(d.hazards[0].location, "fn.zip!/notes.zip");
    }

    /// A tree's link pointing at a host path is a hazard.
    #[test]
    fn a_link_to_a_host_path_is_a_hazard() {
        let tmp = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/opt/py/3.11.7/bin/python3.11", tmp.path().join("python"))
            .unwrap();
        let d =
            describe_output_scanned(tmp.path(), "venv", &WalkLimits::default(), &scan()).unwrap();
        assert_eq!(d.hazards.len(), 1);
        assert_eq!(d.hazards[0].location, "venv/python");
        assert_eq!(d.hazards[0].kind, HazardKind::InterpreterPath);
    }

    /// A hostile archive inside an archive inside a tree is refused, as the walker refuses
    /// one given directly, and the error names where it is.
    #[test]
    fn hostile_nested_archives_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let evil = zip_bytes(&[("../../evil.py", b"x")]);
        let dist = tmp.path().join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(
            dist.join("fn.zip"),
            zip_bytes(&[("evil-1.0-py3-none-any.whl", &evil)]),
        )
        .unwrap();
        let err = describe_output(&dist, "dist", &WalkLimits::default()).unwrap_err();
        let ManifestError::Archive(e) = &err else {
            panic!("{err}")
        };
        assert_eq!(e.rule(), Some(Rule::UnsafePath), "{err}");
        assert!(
            err.to_string()
                .contains("`dist/fn.zip!/evil-1.0-py3-none-any.whl!/../../evil.py`"),
            "{err}"
        );
    }

    /// Archives are opened [`MAX_NESTING`] deep, as `repro diff` opens them; one level more is
    /// recorded as a member, not opened.
    #[test]
    fn nesting_stops_at_the_diff_depth() {
        let tmp = tempfile::tempdir().unwrap();
        let mut inner = zip_bytes(&[("leaf.txt", b"leaf")]);
        for _ in 0..MAX_NESTING {
            inner = zip_bytes(&[("a.zip", &inner)]);
        }
        let z = tmp.path().join("top.zip");
        std::fs::write(&z, inner).unwrap();
        let o = describe_output(&z, "top.zip", &WalkLimits::default()).unwrap();
        // top.zip is at depth 0; the archives at depths 1 to MAX_NESTING - 1 are opened.
        let deepest = "a.zip!/".repeat(MAX_NESTING - 1) + "a.zip";
        assert_eq!(paths(&o.nested).last(), Some(&deepest.as_str()));
        assert_eq!(o.nested.len(), MAX_NESTING - 1);
    }

    /// Every inflated byte of one output, its nested archives' included, is spent from one
    /// budget: at the budget it passes, one byte less it is refused.
    #[test]
    fn one_budget_for_the_whole_output_at_the_cap_and_one_past_it() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = zip_bytes(&[("pkg/mod.py", &[b'x'; 1000])]);
        let dist = tmp.path().join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        for name in ["a.zip", "b.zip"] {
            std::fs::write(dist.join(name), zip_bytes(&[("p.whl", &wheel)])).unwrap();
        }
        // Each zip inflates its wheel, and each wheel its 1,000 bytes.
        let total = 2 * (wheel.len() as u64 + 1000);
        let at = WalkLimits {
            max_total_bytes: total,
            ..WalkLimits::default()
        };
        assert!(describe_output(&dist, "dist", &at).is_ok());
        let below = WalkLimits {
            max_total_bytes: total - 1,
            ..WalkLimits::default()
        };
        let err = describe_output(&dist, "dist", &below).unwrap_err();
        let ManifestError::Archive(e) = &err else {
            panic!("{err}")
        };
        assert_eq!(e.rule(), Some(Rule::Bomb), "{err}");
    }

    /// At most MAX_HAZARDS hazards are recorded per output; the rest are counted.
    #[test]
    fn hazards_at_the_cap_and_one_past_it() {
        let tmp = tempfile::tempdir().unwrap();
        for i in 0..MAX_HAZARDS {
            std::fs::write(tmp.path().join(format!("f{i}")), b"/srv/build-42").unwrap();
        }
        let d = describe_output_scanned(tmp.path(), "t", &WalkLimits::default(), &scan()).unwrap();
        assert_eq!((d.hazards.len(), d.hazards_omitted), (MAX_HAZARDS, 0));
        std::fs::write(tmp.path().join("one-more"), b"/srv/build-42").unwrap();
        let d = describe_output_scanned(tmp.path(), "t", &WalkLimits::default(), &scan()).unwrap();
        assert_eq!((d.hazards.len(), d.hazards_omitted), (MAX_HAZARDS, 1));
    }
}
