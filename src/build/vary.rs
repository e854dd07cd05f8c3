//! `repro build --vary`: two builds of one tree under different conditions, then a diff of
//! their outputs, to see non-determinism before a second machine does.
//!
//! What differs between the two builds is a [`VaryPlan`] of [`Variation`]s: each variation this
//! host can run is applied (the second build gets the varied condition; for ASLR the first
//! build is the one changed), and each one it cannot run is kept in the plan as skipped, with
//! the reason. The library never prints: it reports its steps through a callback ([`Step`]) and
//! returns a [`VaryReport`] (the diff report plus the plan), which is the JSON document.
//!
//! One run's directory (a temp dir, removed afterwards, or `--keep DIR`):
//!
//! ```text
//! ROOT/
//! ├── a/                               build 1: a copy of the tree, HOME at a/.repro/home
//! ├── b/a/much/deeper/build/path/      build 2: another copy, through disorderfs while it
//! │                                    builds (its files sit in ROOT/b-src until then)
//! ├── b-home/                          build 2's HOME
//! └── b-tools/bin/                     build 2's PATH starts here: a link to every tool on
//!                                      PATH, and python3 the interpreter itself
//! ```
//!
//! Invariant: when the second build runs as another user, its tree and `HOME` belong to that
//! user only while it runs; before the diff (and whether the build succeeded or not) everything
//! is given back to the user running `repro`, so nothing under ROOT is left owned by another.

mod tree;
mod variation;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use variation::{Skipped, UnknownVariation, Variation, Varied, VaryPlan};

use crate::build::BuildError;
use crate::diff::{DiffOptions, DiffReport};
use tree::{Disorderfs, Lent, copy_tree, link_tools, relink};
use variation::{
    FAKETIME_OFFSET, Host, SECOND_ACCOUNT, SECOND_DOMAINNAME, SECOND_HOSTNAME,
    plan_host_variations, setpriv_args,
};

/// A build environment, in order.
type Env = Vec<(String, String)>;

/// The second build's path, deeper than the first's and named differently at every level.
const SECOND_TREE: &str = "b/a/much/deeper/build/path";

/// What to build twice, and how.
#[derive(Debug, Clone, Copy)]
pub struct VaryRequest<'a> {
    /// The build command.
    pub command: &'a [String],
    /// The declared outputs, relative to the build tree.
    pub outputs: &'a [String],
    /// The build environment, in order (as [`crate::build::env::environment`] gives it).
    pub env: &'a [(String, String)],
    /// The tree to copy and build.
    pub build_dir: &'a Path,
    /// Keep both builds in this directory (created, or empty) instead of a temp dir.
    pub keep: Option<&'a Path>,
}

/// A step of a `--vary` run, as it starts.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// Build `number` of 2 starts in `dir`, under `plan`.
    Build {
        /// 1 or 2.
        number: u8,
        /// Where it runs.
        dir: &'a Path,
        /// What differs between the two builds.
        plan: &'a VaryPlan,
    },
    /// The outputs of the two builds are being compared.
    Diffing {
        /// How many declared outputs.
        outputs: usize,
    },
}

/// The result of a `--vary` run: the diff of the two builds' outputs and what varied. As JSON,
/// the `repro.diff/v1` report with two more members, `variations` and `kept`.
#[derive(Debug, Clone, Serialize)]
pub struct VaryReport {
    /// The differences between the two builds' outputs.
    #[serde(flatten)]
    pub diff: DiffReport,
    /// What varied, and what was skipped and why.
    pub variations: VaryPlan,
    /// Where both builds were kept (`--keep`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<PathBuf>,
}

/// What `--vary` found.
#[derive(Debug)]
pub enum VaryOutcome {
    /// The command failed in one of the builds.
    CommandFailed {
        /// Which build, 1 or 2.
        build: u8,
        /// Where.
        dir: PathBuf,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What differed between the builds.
        plan: VaryPlan,
        /// Where both builds were kept (`--keep`).
        kept: Option<PathBuf>,
    },
    /// Both builds ran; their outputs compared.
    Compared(VaryReport),
}

/// The directory of one run: a temp dir, or the `--keep` directory.
enum Root {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl Root {
    fn open(keep: Option<&Path>, build_dir: &Path) -> Result<Root, BuildError> {
        let Some(keep) = keep else {
            return tempfile::Builder::new()
                .prefix("repro-vary-")
                .tempdir()
                .map(Root::Temp)
                .map_err(BuildError::io(
                    "cannot create a temp dir in",
                    &std::env::temp_dir(),
                ));
        };
        let keep = build_dir.join(keep);
        match std::fs::read_dir(&keep) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(BuildError::Keep {
                        path: keep,
                        why: "it exists and is not empty",
                    });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&keep).map_err(BuildError::io("cannot create", &keep))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                return Err(BuildError::Keep {
                    path: keep,
                    why: "it exists and is not a directory",
                });
            }
            Err(e) => return Err(BuildError::io("cannot read", &keep)(e)),
        }
        let keep = keep
            .canonicalize()
            .map_err(BuildError::io("cannot resolve", &keep))?;
        Ok(Root::Kept(keep))
    }

    fn path(&self) -> &Path {
        match self {
            Root::Temp(t) => t.path(),
            Root::Kept(p) => p,
        }
    }

    fn kept(&self) -> Option<PathBuf> {
        match self {
            Root::Temp(_) => None,
            Root::Kept(p) => Some(p.clone()),
        }
    }
}

/// The interpreter a build's `python3` runs: its real path and `X.Y` version.
struct Interpreter {
    executable: PathBuf,
    version: String,
}

/// Ask the build's `python3` (with the build's environment, in `dir`) where it really is: a
/// pyenv shim or an alternatives link resolves to the interpreter itself.
fn find_interpreter(env: &[(String, String)], dir: &Path) -> Result<Interpreter, String> {
    let path = env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let python = std::env::split_paths(path)
        .map(|d| d.join("python3"))
        .find(|p| variation::is_executable(p))
        .ok_or("no `python3` on the build's PATH")?;
    let out = std::process::Command::new(&python)
        .args([
            "-c",
            "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])",
        ])
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", python.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    match (out.status.success(), lines.next(), lines.next()) {
        (true, Some(exe), Some(version)) if exe.starts_with('/') => Ok(Interpreter {
            executable: PathBuf::from(exe),
            version: version.trim().to_string(),
        }),
        _ => Err(format!(
            "`{} -c 'import sys; print(sys.executable)'` did not name the interpreter ({})",
            python.display(),
            out.status
        )),
    }
}

fn os(s: impl AsRef<std::ffi::OsStr>) -> OsString {
    s.as_ref().to_os_string()
}

/// How one build is started: the `outer` wrappers (they may run a shell, which re-orders the
/// environment), the umask, the environment set in exactly its order by `env -i`, the `inner`
/// wrappers (they only add variables), then the command.
#[derive(Debug, Default)]
struct Launch {
    outer: Vec<OsString>,
    inner: Vec<OsString>,
}

impl Launch {
    fn run(
        &self,
        host: &Host,
        command: &[String],
        dir: &Path,
        env: &[(String, String)],
        umask: &str,
    ) -> Result<std::process::ExitStatus, BuildError> {
        let mut argv: Vec<OsString> = self.outer.clone();
        argv.extend([
            os(&host.sh),
            os("-c"),
            os(format!("umask {umask}; exec \"$@\"")),
            os("repro-build"),
        ]);
        if let Some(env_tool) = &host.env {
            argv.extend([os(env_tool), os("-i")]);
            argv.extend(env.iter().map(|(k, v)| os(format!("{k}={v}"))));
        }
        argv.extend(self.inner.iter().cloned());
        argv.extend(command.iter().map(os));
        std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(dir)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .status()
            .map_err(|source| BuildError::Command {
                command: command.join(" "),
                source,
            })
    }
}

/// Two builds of the request's command in copies of its tree under the conditions of a
/// [`VaryPlan`] (see [`Variation`]), then a diff of its outputs. `progress` hears each step as
/// it starts.
pub fn vary(
    request: &VaryRequest<'_>,
    progress: &dyn Fn(Step<'_>),
) -> Result<VaryOutcome, BuildError> {
    let VaryRequest {
        command,
        outputs,
        env,
        build_dir,
        keep,
    } = *request;
    let root = Root::open(keep, build_dir)?;
    let r = root.path();
    let keep_inside = root.kept().and_then(|k| {
        let base = build_dir.canonicalize().ok()?;
        k.strip_prefix(base).ok().map(Path::to_path_buf)
    });
    let a = r.join("a");
    let b_src = r.join("b-src");
    let b = r.join(SECOND_TREE);
    let b_home = r.join("b-home");
    let tools = r.join("b-tools/bin");
    let home_a = a.join(".repro/home");
    for d in [&a, &b_src] {
        std::fs::create_dir_all(d).map_err(BuildError::io("cannot create", d))?;
        copy_tree(build_dir, d, keep_inside.as_deref())?;
    }
    for d in [&home_a, &b_src.join(".repro/home"), &b_home, &b] {
        std::fs::create_dir_all(d).map_err(BuildError::io("cannot create", d))?;
    }
    let host = Host::discover();
    let env_value = |key: &str| {
        env.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let mut plan = VaryPlan::default();
    plan.vary(
        Variation::BuildPath,
        a.display().to_string(),
        b.display().to_string(),
    );
    plan.vary(Variation::Umask, "022", "002");
    plan.vary(
        Variation::Timezone,
        env_value("TZ").unwrap_or_else(|| "unset".into()),
        "Etc/GMT-14",
    );
    plan.vary(
        Variation::Locale,
        env_value("LC_ALL").unwrap_or_else(|| "unset".into()),
        "C",
    );
    match &host.env {
        Some(_) => plan.vary(Variation::EnvironmentOrder, "as given", "reversed"),
        None => plan.skip(
            Variation::EnvironmentOrder,
            "`env` not found (coreutils), and the shell that sets the umask re-orders the environment",
        ),
    }
    plan.vary(
        Variation::Home,
        home_a.display().to_string(),
        b_home.display().to_string(),
    );
    plan_host_variations(&host, &mut plan);

    // Exec path and interpreter: every tool on PATH linked from another directory, python3 the
    // interpreter itself (not a shim that would find it at its usual path again).
    let path = env_value("PATH").unwrap_or_default();
    let linked = link_tools(&tools, &path)?;
    plan.vary(
        Variation::ExecPath,
        "PATH as given",
        format!(
            "PATH led by {} ({linked} tools linked there)",
            tools.display()
        ),
    );
    match find_interpreter(env, &a) {
        Ok(python) => {
            relink(&tools, "python3", &python.executable)?;
            relink(
                &tools,
                &format!("python{}", python.version),
                &python.executable,
            )?;
            plan.vary(
                Variation::InterpreterPath,
                python.executable.display().to_string(),
                tools.join("python3").display().to_string(),
            );
        }
        Err(why) => plan.skip(Variation::InterpreterPath, why),
    }

    // User and group: the second build's tree and HOME are the other user's while it runs.
    let mut lent = None;
    if plan.varies(Variation::UserGroup)
        && let Some(me) = host.account
    {
        let dirs = vec![b_src.clone(), b.clone(), b_home.clone()];
        let l = Lent::lend(dirs, SECOND_ACCOUNT, me)?;
        match writable_by_second_account(&host, &[&b_src, &b_home]) {
            Ok(()) => lent = Some(l),
            Err(why) => {
                l.give_back()?;
                plan.skip(Variation::UserGroup, why);
            }
        }
    }
    let second_user = lent.is_some();

    // Directory order: the second build runs in a disorderfs view of its tree.
    let mut shuffled = None;
    match &host.disorderfs {
        None => plan.skip(
            Variation::DirectoryOrder,
            "`disorderfs` not found (Debian package disorderfs)",
        ),
        Some(disorderfs) => match Disorderfs::mount(disorderfs, &b_src, &b, second_user) {
            Ok(m) => {
                shuffled = Some(m);
                plan.vary(
                    Variation::DirectoryOrder,
                    "as the file system lists entries",
                    "shuffled (disorderfs)",
                );
            }
            Err(why) => plan.skip(Variation::DirectoryOrder, why),
        },
    }
    if shuffled.is_none() {
        std::fs::remove_dir(&b)
            .and_then(|_| std::fs::rename(&b_src, &b))
            .map_err(BuildError::io("cannot prepare", &b))?;
    }

    let (env_a, env_b) = environments(env, &plan, &home_a, &b_home, &tools);
    let (launch_a, launch_b) = launches(&host, &plan);

    // Build 1, then build 2.
    progress(Step::Build {
        number: 1,
        dir: &a,
        plan: &plan,
    });
    let status = launch_a.run(&host, command, &a, &env_a, "022")?;
    if !status.success() {
        settle(shuffled, &b_src, &b)?;
        if let Some(l) = lent {
            l.give_back()?;
        }
        return Ok(VaryOutcome::CommandFailed {
            build: 1,
            dir: a,
            status,
            plan,
            kept: root.kept(),
        });
    }
    progress(Step::Build {
        number: 2,
        dir: &b,
        plan: &plan,
    });
    let status = launch_b.run(&host, command, &b, &env_b, "002");
    // Whatever happened: the real files back at the second build's path, owned by us again.
    let b = settle(shuffled, &b_src, &b)?;
    if let Some(l) = lent {
        l.give_back()?;
    }
    let status = status?;
    if !status.success() {
        return Ok(VaryOutcome::CommandFailed {
            build: 2,
            dir: b,
            status,
            plan,
            kept: root.kept(),
        });
    }

    progress(Step::Diffing {
        outputs: outputs.len(),
    });
    let options = DiffOptions::default();
    let mut differences = Vec::new();
    for o in outputs {
        crate::diff::compare_paths(&a.join(o), &b.join(o), o, &options, &mut differences)?;
    }
    let report = DiffReport {
        schema: crate::diff::REPORT_SCHEMA,
        a,
        b,
        identical: differences.is_empty(),
        differences,
        notes: Vec::new(),
    };
    Ok(VaryOutcome::Compared(VaryReport {
        diff: report,
        variations: plan,
        kept: root.kept(),
    }))
}

/// The two builds' environments: the first as given (HOME in its tree), the second with the
/// variations of `plan` that are environment variables, in reverse order.
fn environments(
    env: &[(String, String)],
    plan: &VaryPlan,
    home_a: &Path,
    b_home: &Path,
    tools: &Path,
) -> (Env, Env) {
    let env_a: Env = env
        .iter()
        .map(|(k, v)| match k.as_str() {
            "HOME" => (k.clone(), home_a.display().to_string()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    let mut env_b: Env = env
        .iter()
        .map(|(k, v)| match k.as_str() {
            "TZ" => (k.clone(), "Etc/GMT-14".to_string()),
            "LC_ALL" | "LANG" => (k.clone(), "C".to_string()),
            "HOME" => (k.clone(), b_home.display().to_string()),
            "PATH" => (k.clone(), format!("{}:{v}", tools.display())),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    for (k, default) in [
        ("TZ", "Etc/GMT-14".to_string()),
        ("HOME", b_home.display().to_string()),
    ] {
        if !env_b.iter().any(|(x, _)| x == k) {
            env_b.push((k.to_string(), default));
        }
    }
    if plan.varies(Variation::Time) {
        // The clock, not the files: with stat faked too, a file the build dates to
        // SOURCE_DATE_EPOCH would read back 373 days later, and every archive of it differ.
        env_b.push(("NO_FAKE_STAT".into(), "1".into()));
    }
    env_b.reverse();
    (env_a, env_b)
}

/// The wrappers that apply the variations of `plan` a process must be started under.
fn launches(host: &Host, plan: &VaryPlan) -> (Launch, Launch) {
    let mut launch_a = Launch::default();
    let mut launch_b = Launch::default();
    if plan.varies(Variation::DomainHost) {
        let unshare = host.unshare.clone().expect("probed");
        launch_b.outer.extend([
            os(unshare),
            os("--uts"),
            os("--"),
            os(&host.sh),
            os("-c"),
            os(
                "printf '%s\\n' \"$1\" > /proc/sys/kernel/hostname && printf '%s\\n' \"$2\" > /proc/sys/kernel/domainname && shift 2 && exec \"$@\"",
            ),
            os("repro-uts"),
            os(SECOND_HOSTNAME),
            os(SECOND_DOMAINNAME),
        ]);
    }
    if plan.varies(Variation::UserGroup) {
        let (uid, gid) = (
            SECOND_ACCOUNT.uid.to_string(),
            SECOND_ACCOUNT.gid.to_string(),
        );
        launch_b
            .outer
            .push(os(host.setpriv.clone().expect("probed")));
        launch_b
            .outer
            .extend(setpriv_args(&uid, &gid).into_iter().map(os));
    }
    if let Some((setarch, arch)) = &host.setarch {
        if plan.varies(Variation::Aslr) {
            launch_a.outer.extend([os(setarch), os(arch), os("-R")]);
        }
        if plan.varies(Variation::Kernel) {
            launch_b
                .outer
                .extend([os(setarch), os(arch), os("--uname-2.6")]);
        }
    }
    if plan.varies(Variation::NumCpus) {
        let first = variation::allowed_cpus()[0];
        launch_b.outer.extend([
            os(host.taskset.clone().expect("probed")),
            os("-c"),
            os(first.to_string()),
        ]);
    }
    if plan.varies(Variation::Time) {
        launch_b.inner.extend([
            os(host.faketime.clone().expect("probed")),
            os("-f"),
            os(FAKETIME_OFFSET),
        ]);
    }
    (launch_a, launch_b)
}

/// Unmount the disorderfs view, if any, and move the second build's files to its path;
/// returns where they are (still `b_src` when the view would not unmount).
fn settle(shuffled: Option<Disorderfs>, b_src: &Path, b: &Path) -> Result<PathBuf, BuildError> {
    if let Some(mut view) = shuffled {
        if !view.unmount() {
            return Ok(b_src.to_path_buf());
        }
        std::fs::remove_dir(b)
            .and_then(|_| std::fs::rename(b_src, b))
            .map_err(BuildError::io("cannot move back", b_src))?;
    }
    Ok(b.to_path_buf())
}

/// Whether the second build's account can write `dirs` (they may sit under a directory it
/// cannot enter), asked of that account itself.
fn writable_by_second_account(host: &Host, dirs: &[&Path]) -> Result<(), String> {
    let setpriv = host.setpriv.as_ref().ok_or("`setpriv` not found")?;
    let (uid, gid) = (
        SECOND_ACCOUNT.uid.to_string(),
        SECOND_ACCOUNT.gid.to_string(),
    );
    let mut args: Vec<&str> = setpriv_args(&uid, &gid);
    let sh = host.sh.display().to_string();
    args.extend([
        sh.as_str(),
        "-c",
        "for d; do test -w \"$d\" && test -x \"$d\" || exit 1; done",
        "repro-probe",
    ]);
    let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    args.extend(dirs.iter().map(String::as_str));
    variation::probe(setpriv, &args).map(|_| ()).map_err(|_| {
        format!(
            "uid {} cannot write the second build's tree under `{}`",
            SECOND_ACCOUNT.uid,
            dirs.first().map(String::as_str).unwrap_or("")
        )
    })
}
