//! What `--vary` changes between its two builds ([`Variation`]), and the plan of one run: what
//! varies here and what cannot, with the reason ([`VaryPlan`]).
//!
//! The list follows reprotest 0.7's variations that apply to a build command run on one host
//! (its `environment`, `build_path`, `kernel`, `aslr`, `num_cpus`, `time`, `user_group`,
//! `fileordering`, `domain_host`, `home`, `locales`, `exec_path`, `timezone` and `umask`), plus
//! the interpreter's own location, which a pip build writes into every console script's
//! shebang. Each variation needs something of the host (a tool, root, more than one CPU); the
//! probes here find out, cheaply and without side effects, and a variation that cannot run is
//! kept in the plan as skipped with its reason, never dropped.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

use serde::Serialize;

/// One condition the two builds differ in. The names ([`Variation::name`]) are stable: JSON
/// consumers key on them, so renaming one is a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variation {
    /// The build tree's absolute path (a sibling path and a deeper one). Needs nothing.
    BuildPath,
    /// The umask, 022 then 002. Needs nothing.
    Umask,
    /// `TZ`, UTC then Etc/GMT-14. Needs nothing.
    Timezone,
    /// `LC_ALL`/`LANG`, C.UTF-8 then C. Needs nothing.
    Locale,
    /// The order of the environment variables, as given then reversed. Needs nothing.
    EnvironmentOrder,
    /// The order in which directories list their entries: the second build runs in a
    /// `disorderfs` view that shuffles them. Needs `disorderfs` and FUSE.
    DirectoryOrder,
    /// `HOME`: inside the first build's tree, then a directory elsewhere. Needs nothing.
    Home,
    /// The user and group: the second build runs as `nobody:nogroup` (uid and gid 65534) with
    /// `setpriv`. Needs root and `setpriv` (util-linux).
    UserGroup,
    /// The host name and NIS domain name: the second build runs in its own UTS namespace
    /// (`unshare --uts`) with other names. Needs root and `unshare` (util-linux).
    DomainHost,
    /// `PATH`: the second build finds every tool through another directory put first.
    /// Needs nothing.
    ExecPath,
    /// The interpreter's location: in the second build, `python3` is the same interpreter
    /// reached at another path, so `sys.executable` (and every shebang pip writes) differs.
    /// Needs `python3` on `PATH`.
    InterpreterPath,
    /// The kernel version string: the second build sees `2.6.x` (`setarch --uname-2.6`).
    /// Needs `setarch` (util-linux) and a kernel that allows the personality change.
    Kernel,
    /// Address space layout randomization: off in the first build (`setarch -R`), on in the
    /// second. Needs `setarch` and ASLR enabled (`kernel.randomize_va_space` not 0).
    Aslr,
    /// The number of CPUs: the second build is pinned to one CPU (`taskset`), which `nproc`
    /// and other affinity-aware tools report. Needs `taskset` (util-linux) and two CPUs.
    NumCpus,
    /// The clock: the second build runs 373 days ahead (`faketime`), so the year differs.
    /// Needs `faketime` (Debian package `faketime`).
    Time,
}

impl Variation {
    /// Every variation, in the order the plan lists them.
    pub const ALL: [Variation; 15] = [
        Variation::BuildPath,
        Variation::Umask,
        Variation::Timezone,
        Variation::Locale,
        Variation::EnvironmentOrder,
        Variation::DirectoryOrder,
        Variation::Home,
        Variation::UserGroup,
        Variation::DomainHost,
        Variation::ExecPath,
        Variation::InterpreterPath,
        Variation::Kernel,
        Variation::Aslr,
        Variation::NumCpus,
        Variation::Time,
    ];

    /// The stable name (kebab-case).
    pub fn name(self) -> &'static str {
        match self {
            Variation::BuildPath => "build-path",
            Variation::Umask => "umask",
            Variation::Timezone => "timezone",
            Variation::Locale => "locale",
            Variation::EnvironmentOrder => "environment-order",
            Variation::DirectoryOrder => "directory-order",
            Variation::Home => "home",
            Variation::UserGroup => "user-group",
            Variation::DomainHost => "domain-host",
            Variation::ExecPath => "exec-path",
            Variation::InterpreterPath => "interpreter-path",
            Variation::Kernel => "kernel",
            Variation::Aslr => "aslr",
            Variation::NumCpus => "num-cpus",
            Variation::Time => "time",
        }
    }
}

impl fmt::Display for Variation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a [`Variation`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown variation `{0}`: expected one of {names}", names = Variation::ALL.map(|v| v.name()).join(", "))]
pub struct UnknownVariation(pub String);

impl FromStr for Variation {
    type Err = UnknownVariation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Variation::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| UnknownVariation(s.to_string()))
    }
}

impl Serialize for Variation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A variation that runs: what each build gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Varied {
    /// Which variation.
    pub name: Variation,
    /// What the first build gets.
    pub first: String,
    /// What the second build gets.
    pub second: String,
}

/// A variation that cannot run here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Which variation.
    pub name: Variation,
    /// Why, and what it would need.
    pub reason: String,
}

/// What one `--vary` run varies, and what it skips and why: every [`Variation`] is in exactly
/// one of the two lists, in [`Variation::ALL`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VaryPlan {
    /// The variations that run.
    pub varied: Vec<Varied>,
    /// The variations that cannot run here.
    pub skipped: Vec<Skipped>,
}

impl VaryPlan {
    /// Whether `v` runs.
    pub fn varies(&self, v: Variation) -> bool {
        self.varied.iter().any(|x| x.name == v)
    }

    /// What `v` gives the two builds, when it runs.
    pub fn get(&self, v: Variation) -> Option<&Varied> {
        self.varied.iter().find(|x| x.name == v)
    }

    pub(crate) fn vary(
        &mut self,
        name: Variation,
        first: impl Into<String>,
        second: impl Into<String>,
    ) {
        self.varied.push(Varied {
            name,
            first: first.into(),
            second: second.into(),
        });
        self.sort();
    }

    pub(crate) fn skip(&mut self, name: Variation, reason: impl Into<String>) {
        self.varied.retain(|v| v.name != name);
        self.skipped.push(Skipped {
            name,
            reason: reason.into(),
        });
        self.sort();
    }

    fn sort(&mut self) {
        let rank = |v: Variation| Variation::ALL.iter().position(|x| *x == v);
        self.varied.sort_by_key(|v| rank(v.name));
        self.skipped.sort_by_key(|v| rank(v.name));
    }
}

/// The account the second build runs as under [`Variation::UserGroup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Account {
    pub uid: u32,
    pub gid: u32,
}

/// uid and gid 65534: `nobody` and `nogroup` (or `nobody`) on Debian and most distributions,
/// an account that owns no files of the host.
pub(crate) const SECOND_ACCOUNT: Account = Account {
    uid: 65534,
    gid: 65534,
};

/// The host name and NIS domain name of the second build's UTS namespace.
pub(crate) const SECOND_HOSTNAME: &str = "repro-second-host";
pub(crate) const SECOND_DOMAINNAME: &str = "repro-second-domain.invalid";

/// How far ahead the second build's clock runs: more than a leap year, so the year always
/// differs (reprotest uses the same `+373 days`).
pub(crate) const FAKETIME_OFFSET: &str = "+373d";

/// What the host offers the variations that need more than an environment variable: the
/// tools by absolute path (found on the `PATH` of `repro` itself, not the build's), and facts.
#[derive(Debug, Clone)]
pub(crate) struct Host {
    /// The effective uid and gid of this process.
    pub account: Option<Account>,
    pub unshare: Option<PathBuf>,
    pub setpriv: Option<PathBuf>,
    /// `setarch` and the architecture name it is given (`uname -m`).
    pub setarch: Option<(PathBuf, String)>,
    pub taskset: Option<PathBuf>,
    pub faketime: Option<PathBuf>,
    pub disorderfs: Option<PathBuf>,
    /// The shell that sets the umask.
    pub sh: PathBuf,
    /// `env`, which hands the build its environment in order (a shell would re-order it).
    pub env: Option<PathBuf>,
}

/// Find `name` on `repro`'s own `PATH`.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

/// A regular file (after links) with an execute bit.
pub(crate) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The effective uid and gid of this process: the owner of `/proc/self`.
fn current_account() -> Option<Account> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").ok().map(|m| Account {
        uid: m.uid(),
        gid: m.gid(),
    })
}

/// Run a probe; `Ok(stdout)` when it exits 0, else `Err(why)` from its stderr.
pub(crate) fn probe(program: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", program.display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let err = err.trim().lines().last().unwrap_or("").trim().to_string();
        Err(format!(
            "`{} {}` failed ({}){}",
            program.file_name().unwrap_or_default().to_string_lossy(),
            args.join(" "),
            out.status,
            if err.is_empty() {
                String::new()
            } else {
                format!(": {err}")
            }
        ))
    }
}

impl Host {
    /// Look at this host: which tools exist, and who we are.
    pub fn discover() -> Host {
        let setarch = which("setarch").map(|p| {
            let arch = which("uname")
                .and_then(|u| probe(&u, &["-m"]).ok())
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| std::env::consts::ARCH.to_string());
            (p, arch)
        });
        Host {
            account: current_account(),
            unshare: which("unshare"),
            setpriv: which("setpriv"),
            setarch,
            taskset: which("taskset"),
            faketime: which("faketime"),
            disorderfs: which("disorderfs"),
            sh: which("sh").unwrap_or_else(|| "/bin/sh".into()),
            env: which("env"),
        }
    }

    fn is_root(&self) -> bool {
        self.account.is_some_and(|a| a.uid == 0)
    }

    fn who(&self) -> String {
        match self.account {
            Some(a) => format!("running as uid {}", a.uid),
            None => "the current uid is unknown (no /proc/self)".to_string(),
        }
    }
}

/// The name of uid `uid` in `/etc/passwd`, or of gid `gid` in `/etc/group`.
pub(crate) fn account_name(db: &str, id: u32) -> Option<String> {
    let text = std::fs::read_to_string(db).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _password = f.next()?;
        (f.next()? == id.to_string()).then(|| name.to_string())
    })
}

/// `user (uid N), group (gid M)`, with names where the account databases have them.
pub(crate) fn describe_account(a: Account) -> String {
    let user = account_name("/etc/passwd", a.uid).unwrap_or_else(|| "uid".into());
    let group = account_name("/etc/group", a.gid).unwrap_or_else(|| "gid".into());
    format!("{user} (uid {}), {group} (gid {})", a.uid, a.gid)
}

/// The CPUs this process may run on (`Cpus_allowed_list` of `/proc/self/status`).
pub(crate) fn allowed_cpus() -> Vec<u32> {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return Vec::new();
    };
    let Some(list) = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
    else {
        return Vec::new();
    };
    let mut cpus = Vec::new();
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(lo), Ok(hi)) = (lo.trim().parse::<u32>(), hi.trim().parse::<u32>()) {
            cpus.extend(lo..=hi.min(lo.saturating_add(4096)));
        }
    }
    cpus
}

/// The variations that need a tool or a privilege, decided by probing `host`: each is either
/// added to `plan` as varied or recorded as skipped with the reason.
pub(crate) fn plan_host_variations(host: &Host, plan: &mut VaryPlan) {
    // User and group.
    match (&host.setpriv, host.is_root()) {
        (_, false) => plan.skip(
            Variation::UserGroup,
            format!(
                "needs root to run the second build as another user ({})",
                host.who()
            ),
        ),
        (None, true) => plan.skip(
            Variation::UserGroup,
            "`setpriv` not found (Debian package util-linux)",
        ),
        (Some(setpriv), true) => {
            let (uid, gid) = (
                SECOND_ACCOUNT.uid.to_string(),
                SECOND_ACCOUNT.gid.to_string(),
            );
            let mut args = setpriv_args(&uid, &gid);
            args.push("true");
            match probe(setpriv, &args) {
                Ok(_) => plan.vary(
                    Variation::UserGroup,
                    describe_account(host.account.expect("root")),
                    format!(
                        "{} (keeping CAP_DAC_READ_SEARCH to read the tools of the first)",
                        describe_account(SECOND_ACCOUNT)
                    ),
                ),
                Err(why) => plan.skip(Variation::UserGroup, why),
            }
        }
    }
    // Host and domain name.
    match (&host.unshare, host.is_root()) {
        (_, false) => plan.skip(
            Variation::DomainHost,
            format!(
                "needs root to give the second build its own UTS namespace (`unshare --uts`) ({})",
                host.who()
            ),
        ),
        (None, true) => plan.skip(
            Variation::DomainHost,
            "`unshare` not found (Debian package util-linux)",
        ),
        (Some(unshare), true) => match probe(unshare, &["--uts", "true"]) {
            Ok(_) => plan.vary(
                Variation::DomainHost,
                format!(
                    "host {}, domain {}",
                    read_trimmed("/proc/sys/kernel/hostname"),
                    read_trimmed("/proc/sys/kernel/domainname")
                ),
                format!("host {SECOND_HOSTNAME}, domain {SECOND_DOMAINNAME}"),
            ),
            Err(why) => plan.skip(Variation::DomainHost, why),
        },
    }
    // Kernel version string and ASLR.
    match &host.setarch {
        None => {
            for v in [Variation::Kernel, Variation::Aslr] {
                plan.skip(v, "`setarch` not found (Debian package util-linux)");
            }
        }
        Some((setarch, arch)) => {
            match probe(setarch, &[arch, "--uname-2.6", "uname", "-r"]) {
                Ok(r) => plan.vary(
                    Variation::Kernel,
                    read_trimmed("/proc/sys/kernel/osrelease"),
                    format!("{r} (setarch --uname-2.6)"),
                ),
                Err(why) => plan.skip(Variation::Kernel, why),
            }
            let randomize = read_trimmed("/proc/sys/kernel/randomize_va_space");
            if randomize == "0" {
                plan.skip(
                    Variation::Aslr,
                    "ASLR is off on this host (kernel.randomize_va_space = 0), so both builds would run without it",
                );
            } else {
                match probe(setarch, &[arch, "-R", "true"]) {
                    Ok(_) => plan.vary(Variation::Aslr, "off (setarch -R)", "on"),
                    Err(why) => plan.skip(Variation::Aslr, why),
                }
            }
        }
    }
    // Number of CPUs.
    let cpus = allowed_cpus();
    match (&host.taskset, cpus.as_slice()) {
        (None, _) => plan.skip(
            Variation::NumCpus,
            "`taskset` not found (Debian package util-linux)",
        ),
        (Some(_), [] | [_]) => plan.skip(
            Variation::NumCpus,
            format!(
                "this process may run on {} CPU, so both builds would see one",
                cpus.len().max(1)
            ),
        ),
        (Some(taskset), [first, ..]) => match probe(taskset, &["-c", &first.to_string(), "true"]) {
            Ok(_) => plan.vary(
                Variation::NumCpus,
                format!("{} CPUs", cpus.len()),
                format!("1 CPU (taskset -c {first})"),
            ),
            Err(why) => plan.skip(Variation::NumCpus, why),
        },
    }
    // The clock.
    match &host.faketime {
        None => plan.skip(
            Variation::Time,
            "`faketime` not found (Debian package faketime)",
        ),
        Some(faketime) => match faketime_works(faketime) {
            Ok(()) => plan.vary(
                Variation::Time,
                "the real clock",
                format!("373 days ahead (faketime -f {FAKETIME_OFFSET})"),
            ),
            Err(why) => plan.skip(Variation::Time, why),
        },
    }
}

/// The `setpriv` arguments that run the rest of the command line as `uid:gid` with no
/// supplementary groups, keeping CAP_DAC_READ_SEARCH. That capability reads and searches
/// everything but writes nothing: the second build can run the first user's tools (an
/// interpreter under a mode-0700 home), while its writes go where another user's would, into
/// the tree and `HOME` handed to it.
pub(crate) fn setpriv_args<'a>(uid: &'a str, gid: &'a str) -> Vec<&'a str> {
    vec![
        "--reuid",
        uid,
        "--regid",
        gid,
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
        "--",
    ]
}

/// `faketime` runs and moves the clock (the wrapper can exist without its library).
fn faketime_works(faketime: &Path) -> Result<(), String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let date = which("date").ok_or("`date` not found, to check that faketime works")?;
    let out = probe(
        faketime,
        &[
            "-f",
            FAKETIME_OFFSET,
            date.to_str().unwrap_or("date"),
            "+%s",
        ],
    )?;
    let faked: u64 = out
        .parse()
        .map_err(|_| format!("faketime printed `{out}`, not a time"))?;
    if faked > now + 300 * 86_400 {
        Ok(())
    } else {
        Err(format!(
            "faketime did not move the clock (`date +%s` gave {faked}, now is {now})"
        ))
    }
}

/// A one-line file of `/proc`, or `unknown`.
pub(crate) fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for v in Variation::ALL {
            assert_eq!(v.name().parse::<Variation>(), Ok(v));
            assert_eq!(v.to_string(), v.name());
            assert!(seen.insert(v.name()), "duplicate name {v}");
        }
        let err = "nproc".parse::<Variation>().unwrap_err().to_string();
        assert!(
            err.starts_with("unknown variation `nproc`: expected one of build-path"),
            "{err}"
        );
    }

    #[test]
    fn a_skip_replaces_a_varied_entry_and_the_order_is_stable() {
        let mut plan = VaryPlan::default();
        plan.vary(Variation::Time, "a", "b");
        plan.vary(Variation::Umask, "022", "002");
        plan.skip(Variation::Time, "no faketime");
        plan.skip(Variation::BuildPath, "why not");
        assert_eq!(
            plan.varied.iter().map(|v| v.name).collect::<Vec<_>>(),
            [Variation::Umask]
        );
        assert_eq!(
            plan.skipped.iter().map(|v| v.name).collect::<Vec<_>>(),
            [Variation::BuildPath, Variation::Time]
        );
        assert_eq!(
            serde_json::to_value(&plan.skipped[1]).unwrap(),
            serde_json::json!({"name": "time", "reason": "no faketime"})
        );
    }

    #[test]
    fn account_names_come_from_the_databases() {
        // uid 0 is root wherever /etc/passwd exists.
        if Path::new("/etc/passwd").exists() {
            assert_eq!(account_name("/etc/passwd", 0).as_deref(), Some("root"));
        }
        assert_eq!(account_name("/nonexistent/passwd", 0), None);
    }
}
