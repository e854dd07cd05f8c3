//! Which Python index a lock is fetched from: the settings pip and uv users already have, in one
//! documented order, first found wins:
//!
//! 1. `--index-url` (or `$REPRO_INDEX_URL`, which stands for it);
//! 2. the lock's own `--index-url` line (requirements files);
//! 3. `$PIP_INDEX_URL`, then `$UV_DEFAULT_INDEX`, then `$UV_INDEX_URL`;
//! 4. pip's configuration: `$PIP_CONFIG_FILE` (`/dev/null` turns pip's files off), else the
//!    site file (`$VIRTUAL_ENV/pip.conf`), the user file (`$XDG_CONFIG_HOME/pip/pip.conf`, then
//!    `~/.pip/pip.conf`) and the global one (`/etc/xdg/pip/pip.conf`, `/etc/pip.conf`), in
//!    pip's order of precedence; `index-url` of `[install]`, else of `[global]`;
//! 5. uv's configuration: the nearest `uv.toml`, or `pyproject.toml` with a `[tool.uv]` table,
//!    from the lock's directory upwards, then `$XDG_CONFIG_HOME/uv/uv.toml` and
//!    `/etc/uv/uv.toml` (`$UV_NO_CONFIG` turns them off); its default `[[index]]` (`default =
//!    true`), else `index-url`. Other `[[index]]` entries are extra indexes, not taken (an
//!    extra index is how dependency confusion happens);
//! 6. PyPI.
//!
//! The answer says which of these it came from, so `fetch` can report it. URLs may carry
//! credentials: they are used as given and displayed through [`crate::redact`].

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::lockfile::{Lock, OptionKind};

/// Where an index setting came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "at")]
pub enum IndexSource {
    /// `--index-url`.
    Flag,
    /// An environment variable (its name).
    Env(String),
    /// The lock's own `--index-url` line (`file:line`).
    Lock(String),
    /// A pip configuration file.
    PipConf(PathBuf),
    /// A uv configuration file (`uv.toml`, or `pyproject.toml` `[tool.uv]`).
    UvConfig(PathBuf),
    /// Nothing set: PyPI.
    Default,
}

impl std::fmt::Display for IndexSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexSource::Flag => write!(f, "--index-url"),
            IndexSource::Env(name) => write!(f, "${name}"),
            IndexSource::Lock(at) => write!(f, "the lock's --index-url at {at}"),
            IndexSource::PipConf(p) => write!(f, "pip config {}", p.display()),
            IndexSource::UvConfig(p) => write!(f, "uv config {}", p.display()),
            IndexSource::Default => write!(f, "the default"),
        }
    }
}

/// An index URL and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSetting {
    /// The URL, credentials included (redact before display).
    pub url: String,
    /// Where it came from.
    pub source: IndexSource,
}

/// The settings that do not depend on the lock: the flag (1), the environment (3) and pip's
/// configuration (4). [`IndexSettings::for_lock`] adds the lock's line (2) and uv's files (5).
#[derive(Debug, Clone)]
pub struct IndexSettings {
    flag: Option<IndexSetting>,
    ambient: Option<IndexSetting>,
    uv_user_files: Vec<PathBuf>,
    uv_off: bool,
}

impl IndexSettings {
    /// Read the settings from `flag` and the process environment.
    pub fn from_env(flag: Option<&str>) -> IndexSettings {
        IndexSettings::new(flag, &|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Read the settings from `flag` and the environment `env` gives.
    pub fn new(flag: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> IndexSettings {
        let flag = flag
            .map(|u| IndexSetting {
                url: u.to_string(),
                source: IndexSource::Flag,
            })
            .or_else(|| {
                env("REPRO_INDEX_URL").map(|url| IndexSetting {
                    url,
                    source: IndexSource::Env("REPRO_INDEX_URL".into()),
                })
            });
        let from_env = ["PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"]
            .into_iter()
            .find_map(|name| {
                env(name).map(|url| IndexSetting {
                    url,
                    source: IndexSource::Env(name.into()),
                })
            });
        let ambient = from_env.or_else(|| {
            pip_files(env).into_iter().find_map(|p| {
                let text = std::fs::read_to_string(&p).ok()?;
                pip_index_url(&text).map(|url| IndexSetting {
                    url,
                    source: IndexSource::PipConf(p),
                })
            })
        });
        let config_home = env("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")));
        let mut uv_user_files: Vec<PathBuf> = config_home
            .map(|c| c.join("uv/uv.toml"))
            .into_iter()
            .collect();
        uv_user_files.push(PathBuf::from("/etc/uv/uv.toml"));
        IndexSettings {
            flag,
            ambient,
            uv_user_files,
            uv_off: env("UV_NO_CONFIG").is_some(),
        }
    }

    /// The index for `lock`, and where it came from.
    pub fn for_lock(&self, lock: &Lock) -> IndexSetting {
        if let Some(s) = &self.flag {
            return s.clone();
        }
        if let Some(opt) = lock
            .options
            .iter()
            .find(|o| o.kind == OptionKind::IndexUrl && o.value.is_some())
        {
            return IndexSetting {
                url: opt.value.clone().unwrap_or_default(),
                source: IndexSource::Lock(opt.location.to_string()),
            };
        }
        if let Some(s) = &self.ambient {
            return s.clone();
        }
        if !self.uv_off {
            let dir = crate::fsio::dir_of(&lock.path);
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
            let project = dir.ancestors().find_map(|d| {
                let uv = d.join("uv.toml");
                if uv.is_file() {
                    return Some(uv);
                }
                let py = d.join("pyproject.toml");
                let text = std::fs::read_to_string(&py).ok()?;
                let doc: toml::Table = toml::from_str(&text).ok()?;
                doc.get("tool")
                    .and_then(|t| t.get("uv"))
                    .is_some()
                    .then_some(py)
            });
            for file in project.iter().chain(&self.uv_user_files) {
                if let Some(url) = std::fs::read_to_string(file)
                    .ok()
                    .and_then(|t| uv_index_url(&t, file.ends_with("pyproject.toml")))
                {
                    return IndexSetting {
                        url,
                        source: IndexSource::UvConfig(file.clone()),
                    };
                }
            }
        }
        IndexSetting {
            url: super::DEFAULT_INDEX_URL.into(),
            source: IndexSource::Default,
        }
    }
}

/// pip's configuration files, highest precedence first.
fn pip_files(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    if let Some(f) = env("PIP_CONFIG_FILE") {
        return if f == "/dev/null" {
            Vec::new()
        } else {
            vec![PathBuf::from(f)]
        };
    }
    let mut files = Vec::new();
    if let Some(venv) = env("VIRTUAL_ENV") {
        files.push(Path::new(&venv).join("pip.conf"));
    }
    let home = env("HOME").map(PathBuf::from);
    if let Some(c) = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")))
    {
        files.push(c.join("pip/pip.conf"));
    }
    if let Some(h) = &home {
        files.push(h.join(".pip/pip.conf"));
    }
    files.push(PathBuf::from("/etc/xdg/pip/pip.conf"));
    files.push(PathBuf::from("/etc/pip.conf"));
    files
}

/// `index-url` of `[install]`, else of `[global]`, in a pip configuration file (INI: `key = value`
/// or `key: value`, `#` and `;` comments, `_` and `-` alike in keys).
pub fn pip_index_url(text: &str) -> Option<String> {
    let mut section = String::new();
    let (mut global, mut install) = (None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        if !key
            .trim()
            .replace('_', "-")
            .eq_ignore_ascii_case("index-url")
        {
            continue;
        }
        let value = value.trim().to_string();
        match section.as_str() {
            "install" => install = Some(value),
            "global" => global = Some(value),
            _ => {}
        }
    }
    install.or(global).filter(|v| !v.is_empty())
}

/// The default index of a uv configuration: `[[index]]` with `default = true`, else
/// `index-url` (under `[tool.uv]` in a pyproject.toml).
pub fn uv_index_url(text: &str, pyproject: bool) -> Option<String> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let table = if pyproject {
        doc.get("tool")?.get("uv")?.as_table()?
    } else {
        &doc
    };
    let default = table
        .get("index")
        .and_then(|i| i.as_array())
        .into_iter()
        .flatten()
        .find(|i| i.get("default").and_then(|d| d.as_bool()) == Some(true))
        .and_then(|i| i.get("url"))
        .and_then(|u| u.as_str());
    default
        .or_else(|| table.get("index-url").and_then(|u| u.as_str()))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_conf_install_beats_global() {
        let text =
            "[global]\nindex-url = https://g/simple\n# c\n[install]\nindex_url: https://i/simple\n";
        assert_eq!(pip_index_url(text).as_deref(), Some("https://i/simple"));
        assert_eq!(
            pip_index_url("[global]\ncert = /x\nindex-url=https://g/\n").as_deref(),
            Some("https://g/")
        );
        assert_eq!(pip_index_url("[global]\ncert = /x\n"), None);
    }

    #[test]
    fn uv_default_index_beats_index_url() {
        let t = "index-url = \"https://old/simple\"\n[[index]]\nname = \"x\"\nurl = \"https://extra/simple\"\n[[index]]\nurl = \"https://main/simple\"\ndefault = true\n";
        assert_eq!(
            uv_index_url(t, false).as_deref(),
            Some("https://main/simple")
        );
        let p = "[project]\nname = \"a\"\n[tool.uv]\nindex-url = \"https://p/simple\"\n";
        assert_eq!(uv_index_url(p, true).as_deref(), Some("https://p/simple"));
        assert_eq!(uv_index_url("[project]\nname = \"a\"\n", true), None);
    }

    #[test]
    fn the_flag_beats_the_environment_which_beats_pip_conf() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("pip.conf");
        std::fs::write(&conf, "[global]\nindex-url = https://conf/simple\n").unwrap();
        let conf_s = conf.to_str().unwrap().to_string();
        let env = |vars: &'static [(&'static str, &'static str)]| {
            let conf_s = conf_s.clone();
            move |k: &str| {
                if k == "PIP_CONFIG_FILE" {
                    return Some(conf_s.clone());
                }
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let lock = crate::lockfile::parse(
            &dir.path().join("requirements.txt"),
            "six==1.0\n",
            crate::lockfile::LockFormat::RequirementsTxt,
        )
        .unwrap();
        let s = IndexSettings::new(
            Some("https://flag/"),
            &env(&[("PIP_INDEX_URL", "https://pip/")]),
        );
        assert_eq!(s.for_lock(&lock).source, IndexSource::Flag);
        let s = IndexSettings::new(
            None,
            &env(&[
                ("UV_INDEX_URL", "https://uv/"),
                ("PIP_INDEX_URL", "https://pip/"),
            ]),
        );
        assert_eq!(s.for_lock(&lock).url, "https://pip/");
        let s = IndexSettings::new(None, &env(&[]));
        assert_eq!(s.for_lock(&lock).source, IndexSource::PipConf(conf.clone()));
        // The lock's own line beats the environment, not the flag.
        let own = crate::lockfile::parse(
            &dir.path().join("requirements.txt"),
            "--index-url https://lock/simple\nsix==1.0\n",
            crate::lockfile::LockFormat::RequirementsTxt,
        )
        .unwrap();
        let s = IndexSettings::new(None, &env(&[("PIP_INDEX_URL", "https://pip/")]));
        assert_eq!(s.for_lock(&own).url, "https://lock/simple");
    }
}
