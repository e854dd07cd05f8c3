//! Targets and artifact selection: which of a package's files an installer would pick.
//!
//! A [`Target`] names what one build is for (CPython version, platform tags). Wheel tag
//! compatibility and priority follow `packaging.tags` (what pip and uv use): for CPython 3.12 on
//! `manylinux_2_34_x86_64`, `cp312-cp312-<plat>` beats `cp312-abi3-<plat>` beats
//! `cp311-abi3-<plat>` … beats `py3-none-<plat>` beats `py3-none-any`, and within each, newer
//! manylinux tags beat older ones. An sdist is the fallback; no fitting file is an error.
//! Without a target, every artifact is admitted (`--all`).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};

/// What to fetch or check for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Every artifact the lock lists: the full proof that each hash is real.
    All,
    /// The artifact an installer would pick for one target.
    Target(Target),
}

/// A build target: Python version and platform tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Canonical name, as recorded in manifests (`cp312-manylinux_2_34_x86_64`).
    pub name: String,
    /// Python major and minor version.
    pub python: (u8, u8),
    /// Platform tags, most preferred first.
    pub platforms: Vec<String>,
    /// `platform_machine` (`x86_64`, `aarch64`, `arm64`, `AMD64`).
    pub machine: String,
    /// `sys_platform` (`linux`, `darwin`, `win32`).
    pub sys_platform: &'static str,
}

/// A target string that could not be understood.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "invalid target `{0}`: expected `lambda-python3.12-x86_64`, `lambda-python3.12-arm64`, or `cp312-<platform tag>` such as `cp312-manylinux_2_17_x86_64`"
)]
pub struct TargetParseError(String);

/// Expand a manylinux platform (`manylinux_2_34_x86_64`, `manylinux2014_x86_64`) into every tag
/// an installer on that glibc accepts, newest first (PEP 600, with the legacy aliases).
fn manylinux_tags(glibc_minor: u32, arch: &str) -> Vec<String> {
    let floor = if matches!(arch, "x86_64" | "i686") {
        5
    } else {
        17
    };
    let mut tags = Vec::new();
    for minor in (floor..=glibc_minor).rev() {
        tags.push(format!("manylinux_2_{minor}_{arch}"));
        let legacy = match minor {
            17 => Some("manylinux2014"),
            12 => Some("manylinux2010"),
            5 => Some("manylinux1"),
            _ => None,
        };
        if let Some(l) = legacy {
            tags.push(format!("{l}_{arch}"));
        }
    }
    tags
}

fn parse_manylinux(plat: &str) -> Option<(u32, String)> {
    for (legacy, minor) in [
        ("manylinux2014_", 17),
        ("manylinux2010_", 12),
        ("manylinux1_", 5),
    ] {
        if let Some(arch) = plat.strip_prefix(legacy) {
            return Some((minor, arch.to_string()));
        }
    }
    let rest = plat.strip_prefix("manylinux_2_")?;
    let (minor, arch) = rest.split_once('_')?;
    Some((minor.parse().ok()?, arch.to_string()))
}

impl Target {
    /// AWS Lambda's Python runtime for `python` on `arch` (`x86_64` or `arm64`): Amazon Linux
    /// 2023 (glibc 2.34) for Python 3.12 and later, Amazon Linux 2 (glibc 2.26) before.
    pub fn lambda(python: (u8, u8), arch: &str) -> Option<Target> {
        let machine = match arch {
            "x86_64" | "amd64" => "x86_64",
            "arm64" | "aarch64" => "aarch64",
            _ => return None,
        };
        let glibc = if python >= (3, 12) { 34 } else { 26 };
        Some(Target {
            name: format!("cp{}{}-manylinux_2_{glibc}_{machine}", python.0, python.1),
            python,
            platforms: manylinux_tags(glibc, machine),
            machine: machine.to_string(),
            sys_platform: "linux",
        })
    }

    /// Every compatible (python, abi, platform) tag with its priority (lower is better).
    pub fn tag_priorities(&self) -> HashMap<(String, String, String), usize> {
        let (major, minor) = self.python;
        let cp = format!("cp{major}{minor}");
        let mut order: Vec<(String, String, String)> = Vec::new();
        let plats = &self.platforms;
        for abi in [cp.as_str(), "abi3", "none"] {
            for p in plats {
                order.push((cp.clone(), abi.to_string(), p.clone()));
            }
        }
        for m in (2..minor).rev() {
            for p in plats {
                order.push((format!("cp{major}{m}"), "abi3".into(), p.clone()));
            }
        }
        let mut py_versions = vec![format!("py{major}{minor}"), format!("py{major}")];
        py_versions.extend((0..minor).rev().map(|m| format!("py{major}{m}")));
        for v in &py_versions {
            for p in plats {
                order.push((v.clone(), "none".into(), p.clone()));
            }
        }
        order.push((cp.clone(), "none".into(), "any".into()));
        for v in &py_versions {
            order.push((v.clone(), "none".into(), "any".into()));
        }
        let mut map = HashMap::with_capacity(order.len());
        for (i, t) in order.into_iter().enumerate() {
            map.entry(t).or_insert(i);
        }
        map
    }

    /// The PEP 508 marker environment of the target.
    pub fn marker_environment(&self) -> MarkerEnvironment {
        let full = format!("{}.{}.0", self.python.0, self.python.1);
        let short = format!("{}.{}", self.python.0, self.python.1);
        let (system, os_name) = match self.sys_platform {
            "linux" => ("Linux", "posix"),
            "darwin" => ("Darwin", "posix"),
            _ => ("Windows", "nt"),
        };
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: &full,
            os_name,
            platform_machine: &self.machine,
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: system,
            platform_version: "",
            python_full_version: &full,
            python_version: &short,
            sys_platform: self.sys_platform,
        })
        .expect("versions built from integers parse")
    }
}

impl FromStr for Target {
    type Err = TargetParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || TargetParseError(s.to_string());
        if let Some(rest) = s.strip_prefix("lambda-") {
            // lambda-<arch> | lambda-python3.12-<arch> | lambda-py3.12-<arch>
            let (python, arch) = match rest.split_once('-') {
                Some((py, arch)) => {
                    let v = py
                        .strip_prefix("python")
                        .or_else(|| py.strip_prefix("py"))
                        .ok_or_else(err)?;
                    let (maj, min) = v.split_once('.').ok_or_else(err)?;
                    (
                        (
                            maj.parse().map_err(|_| err())?,
                            min.parse().map_err(|_| err())?,
                        ),
                        arch,
                    )
                }
                None => ((3, 12), rest),
            };
            return Target::lambda(python, arch).ok_or_else(err);
        }
        let (py, plat) = s.split_once('-').ok_or_else(err)?;
        let digits = py.strip_prefix("cp").ok_or_else(err)?;
        if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let python = (
            digits[..1].parse().map_err(|_| err())?,
            digits[1..].parse().map_err(|_| err())?,
        );
        if let Some((minor, arch)) = parse_manylinux(plat) {
            return Ok(Target {
                name: format!("{py}-manylinux_2_{minor}_{arch}"),
                python,
                platforms: manylinux_tags(minor, &arch),
                machine: arch,
                sys_platform: "linux",
            });
        }
        let (machine, sys_platform) = if let Some(rest) = plat.strip_prefix("macosx_") {
            (rest.rsplit('_').next().unwrap_or("").to_string(), "darwin")
        } else if plat.starts_with("win") {
            (
                if plat.ends_with("arm64") {
                    "ARM64"
                } else {
                    "AMD64"
                }
                .to_string(),
                "win32",
            )
        } else if let Some(arch) = plat.strip_prefix("linux_") {
            (arch.to_string(), "linux")
        } else {
            return Err(err());
        };
        Ok(Target {
            name: s.to_string(),
            python,
            platforms: vec![plat.to_string()],
            machine,
            sys_platform,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A parsed wheel file name: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelName {
    /// Distribution name as written.
    pub name: String,
    /// Version as written.
    pub version: String,
    /// Build tag, if any.
    pub build: Option<String>,
    /// Every (python, abi, platform) combination the compressed tag set expands to.
    pub tags: Vec<(String, String, String)>,
}

impl WheelName {
    /// Parse a wheel file name; `None` if it is not one.
    pub fn parse(filename: &str) -> Option<WheelName> {
        let stem = filename.strip_suffix(".whl")?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, py, abi, plat) = match parts.as_slice() {
            [n, v, p, a, pl] => (*n, *v, None, *p, *a, *pl),
            [n, v, b, p, a, pl] => (*n, *v, Some(b.to_string()), *p, *a, *pl),
            _ => return None,
        };
        let mut tags = Vec::new();
        for p in py.split('.') {
            for a in abi.split('.') {
                for pl in plat.split('.') {
                    tags.push((p.to_string(), a.to_string(), pl.to_string()));
                }
            }
        }
        Some(WheelName {
            name: name.to_string(),
            version: version.to_string(),
            build,
            tags,
        })
    }

    /// The best (lowest) priority of any of its tags for a target, or `None` if incompatible.
    pub fn rank(&self, priorities: &HashMap<(String, String, String), usize>) -> Option<usize> {
        self.tags
            .iter()
            .filter_map(|t| priorities.get(t).copied())
            .min()
    }
}

/// Why `filename` is not fit to be written as an artifact of `package` `version`, if it is not:
/// it must be a plain file name ([`crate::fsio::unsafe_file_name`]), and a wheel's or sdist's
/// name must name that distribution and version (PEP 503 names, PEP 440 versions), so that a
/// record or index entry naming another file cannot put locked bytes under another package's
/// name. Crates (`{name}-{version}.crate`) are held to the same.
pub fn unfit_file_name(filename: &str, package: &str, version: &str) -> Option<String> {
    if let Some(why) = crate::fsio::unsafe_file_name(filename) {
        return Some(why.to_string());
    }
    let (name, v) = if let Some(w) = WheelName::parse(filename) {
        (w.name, w.version)
    } else {
        let stem = [
            ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".crate",
        ]
        .iter()
        .find_map(|ext| filename.strip_suffix(ext))?;
        let (n, v) = stem.rsplit_once('-')?;
        (n.to_string(), v.to_string())
    };
    let same_name = match (
        crate::model::PackageName::pypi(&name),
        crate::model::PackageName::pypi(package),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => name == package,
    };
    let same_version = match (
        pep440_rs::Version::from_str(&v),
        pep440_rs::Version::from_str(version),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => v == version,
    };
    (!(same_name && same_version))
        .then(|| format!("the file name names `{name}` {v}, not the locked `{package}` {version}"))
}

/// Whether a file name is a source distribution.
pub fn is_sdist(filename: &str) -> bool {
    [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"]
        .iter()
        .any(|ext| filename.ends_with(ext))
}

/// What an installer would pick among `filenames` for `target`: the index of the chosen file,
/// and whether it is a wheel.
pub fn select(target: &Target, filenames: &[&str]) -> Option<(usize, bool)> {
    let priorities = target.tag_priorities();
    let best_wheel = filenames
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let w = WheelName::parse(f)?;
            let rank = w.rank(&priorities)?;
            // A higher build number wins among equal tags (PEP 427), then the name, for stability.
            let build: i64 = w
                .build
                .as_deref()
                .and_then(|b| b.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
                .unwrap_or(-1);
            Some((rank, -build, *f, i))
        })
        .min();
    if let Some((_, _, _, i)) = best_wheel {
        return Some((i, true));
    }
    filenames
        .iter()
        .enumerate()
        .filter(|(_, f)| is_sdist(f))
        .min_by_key(|(_, f)| (!f.ends_with(".tar.gz"), **f))
        .map(|(i, _)| (i, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lambda_and_explicit_targets() {
        let t: Target = "lambda-python3.12-x86_64".parse().unwrap();
        assert_eq!(t.name, "cp312-manylinux_2_34_x86_64");
        assert_eq!(t.platforms[0], "manylinux_2_34_x86_64");
        assert!(t.platforms.contains(&"manylinux2014_x86_64".to_string()));
        assert!(t.platforms.contains(&"manylinux1_x86_64".to_string()));
        let a: Target = "lambda-arm64".parse().unwrap();
        assert_eq!(a.name, "cp312-manylinux_2_34_aarch64");
        assert!(!a.platforms.iter().any(|p| p.contains("manylinux1")));
        let old: Target = "lambda-py3.11-x86_64".parse().unwrap();
        assert_eq!(old.platforms[0], "manylinux_2_26_x86_64");
        let m: Target = "cp312-manylinux2014_x86_64".parse().unwrap();
        assert_eq!(m.name, "cp312-manylinux_2_17_x86_64");
        assert!("python-3.12".parse::<Target>().is_err());
        assert!("lambda-sparc".parse::<Target>().is_err());
    }

    #[test]
    fn wheel_names_expand_compressed_tags() {
        let w = WheelName::parse("six-1.17.0-py2.py3-none-any.whl").unwrap();
        assert_eq!(w.tags.len(), 2);
        let w = WheelName::parse(
            "pkg-1.0-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .unwrap();
        assert_eq!(w.build.as_deref(), Some("1"));
        assert_eq!(w.tags.len(), 2);
        assert!(WheelName::parse("pkg-1.0.tar.gz").is_none());
    }

    #[test]
    fn picks_what_pip_picks() {
        let t: Target = "lambda-python3.12-x86_64".parse().unwrap();
        let files = [
            "cryptography-44.0.0.tar.gz",
            "cryptography-44.0.0-cp39-abi3-manylinux_2_28_x86_64.whl",
            "cryptography-44.0.0-cp37-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "cryptography-44.0.0-cp39-abi3-manylinux_2_28_aarch64.whl",
            "cryptography-44.0.0-cp39-abi3-macosx_10_9_universal2.whl",
        ];
        assert_eq!(select(&t, &files), Some((1, true)));
        let arm: Target = "lambda-arm64".parse().unwrap();
        assert_eq!(select(&arm, &files), Some((3, true)));
        let pure = ["six-1.17.0.tar.gz", "six-1.17.0-py2.py3-none-any.whl"];
        assert_eq!(select(&t, &pure), Some((1, true)));
        let sdist_only = ["thing-1.0.tar.gz"];
        assert_eq!(select(&t, &sdist_only), Some((0, false)));
        let none = ["thing-1.0-cp312-cp312-win_amd64.whl"];
        assert_eq!(select(&t, &none), None);
        // An exact CPython ABI beats abi3, which beats a pure wheel.
        let mixed = [
            "x-1-py3-none-any.whl",
            "x-1-cp312-cp312-manylinux_2_17_x86_64.whl",
            "x-1-cp38-abi3-manylinux_2_17_x86_64.whl",
        ];
        assert_eq!(select(&t, &mixed), Some((1, true)));
        // Amazon Linux 2 (glibc 2.26) cannot take a manylinux_2_28 wheel.
        let al2: Target = "lambda-py3.11-x86_64".parse().unwrap();
        assert_eq!(select(&al2, &files[..3]), Some((2, true)));
    }

    #[test]
    fn marker_environment_evaluates() {
        let t: Target = "lambda-arm64".parse().unwrap();
        let env = t.marker_environment();
        let req: pep508_rs::Requirement =
            "x ; sys_platform == 'linux' and platform_machine == 'aarch64' and python_version >= '3.12'"
                .parse()
                .unwrap();
        assert!(req.evaluate_markers(&env, &[]));
    }
}
