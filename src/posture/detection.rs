//! The continuous-detection claim checked against the repository: the scheduled scan-only
//! workflow `posture.toml` (or SECURITY.md) names must be a regular file inside the repository
//! that GitHub Actions runs on a schedule with a read-only token, that updates the advisory
//! data (`repro db update`) and audits with the report encrypted for the security team
//! (`repro audit … --encrypt-to … --max-db-age …`), and that never shows the findings: no
//! `--show`, no decryption (`age -d`) and no printing (`cat` …) of the report in the job.
//!
//! The commands are read from each step's `run` text with a small shell-word reader (quotes,
//! line continuations, `;`, `&&`, `||`, `|`, `$(`): enough for a workflow's plain command
//! lines, not a shell. What it cannot read as a command is not credited: a claim without
//! evidence is a finding.

use std::path::{Component, Path};

use yaml_rust2::{Yaml, YamlLoader};

use super::config::workflow_path_problem;

/// Largest workflow file read: a few kilobytes in practice.
pub const MAX_WORKFLOW_BYTES: u64 = 1024 * 1024;

/// What is wrong with a claimed workflow: the 1-based line to blame, when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line of the workflow file.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// Commands that print a file's bytes (to the public log, when the job runs them).
const PRINTERS: &[&str] = &[
    "cat", "head", "tail", "less", "more", "xxd", "od", "hexdump", "base64", "strings", "tee",
    "nl", "tac",
];

/// Check the workflow `rel` of `repo`. `Err` when the file cannot be read for another reason
/// than its absence (the check cannot run: exit 2); every way the claim lacks evidence is a
/// [`Problem`].
pub fn check_workflow(repo: &Path, rel: &str) -> Result<Vec<Problem>, String> {
    let problem = |line, message: String| Problem { line, message };
    if let Some(why) = workflow_path_problem(rel) {
        return Ok(vec![problem(
            None,
            format!("the workflow path `{rel}` {why}"),
        )]);
    }
    // Every component, the file included, must be a real directory or file: a symbolic link
    // could point outside the repository, or at a file the forge does not run.
    let mut at = repo.to_path_buf();
    let parts: Vec<Component<'_>> = Path::new(rel).components().collect();
    for (i, c) in parts.iter().enumerate() {
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Ok(vec![problem(
                    None,
                    format!(
                        "`{}` is a symbolic link: the claimed workflow must be a regular file \
                         inside the repository",
                        at.display()
                    ),
                )]);
            }
            Ok(m) if i + 1 == parts.len() && !m.is_file() => {
                return Ok(vec![problem(
                    None,
                    format!("`{}` is not a regular file", at.display()),
                )]);
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(vec![problem(
                    None,
                    format!(
                        "the claimed workflow `{rel}` does not exist in `{}`: a claim without \
                         evidence",
                        repo.display()
                    ),
                )]);
            }
            Err(e) => return Err(format!("{}: cannot read: {e}", at.display())),
        }
    }
    let text = crate::fsio::read_to_string_capped(&at, MAX_WORKFLOW_BYTES)
        .map_err(|e| format!("{}: cannot read: {e}", at.display()))?;
    Ok(check_text(&text))
}

/// The 1-based line of the first occurrence of `needle` in `text`, comment lines skipped.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines()
        .position(|l| !l.trim_start().starts_with('#') && l.contains(needle))
        .map(|i| i + 1)
}

/// Whether a `permissions` value grants nothing but read. `top` requires `contents: read`
/// (the checkout needs it, and it says the token is scoped on purpose).
fn permission_problem(p: &Yaml, top: bool) -> Option<String> {
    match p {
        Yaml::String(s) if s == "read-all" => None,
        Yaml::String(s) => Some(format!(
            "`permissions: {s}`: the job's token must be read-only (`contents: read`)"
        )),
        Yaml::Hash(h) => {
            for (k, v) in h {
                let key = k.as_str().unwrap_or("?");
                match v.as_str() {
                    Some("read" | "none") => {}
                    Some(other) => {
                        return Some(format!(
                            "`permissions` grants `{key}: {other}`: nothing may be written by \
                             the job's token"
                        ));
                    }
                    None => return Some(format!("`permissions.{key}` is not `read` or `none`")),
                }
            }
            if top && p["contents"].as_str() != Some("read") {
                return Some("`permissions` lacks `contents: read`".into());
            }
            None
        }
        _ => Some("`permissions` is neither a mapping nor `read-all`".into()),
    }
}

/// Check a workflow's text.
pub fn check_text(text: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut push = |line: Option<usize>, message: String| out.push(Problem { line, message });
    let docs = match YamlLoader::load_from_str(text) {
        Ok(d) => d,
        Err(e) => {
            push(
                Some(e.marker().line()),
                format!("not a YAML workflow: {}", e.info()),
            );
            return out;
        }
    };
    let Some(doc @ Yaml::Hash(_)) = docs.first() else {
        push(None, "not a workflow: no mapping at the top".into());
        return out;
    };

    // Scheduled.
    let scheduled = doc["on"]["schedule"]
        .as_vec()
        .is_some_and(|v| !v.is_empty() && v.iter().all(|s| s["cron"].as_str().is_some()));
    if !scheduled {
        push(
            line_of(text, "on:"),
            "not scheduled: no `on.schedule` with a `cron` entry, so nothing runs the scan \
             between releases"
                .into(),
        );
    }

    // Read-only token, at the top and in every job.
    match &doc["permissions"] {
        Yaml::BadValue => push(
            None,
            "no top-level `permissions`: the token gets the repository's default, which may \
             write; give `permissions: contents: read`"
                .into(),
        ),
        p => {
            if let Some(m) = permission_problem(p, true) {
                push(line_of(text, "permissions"), m);
            }
        }
    }
    let jobs = doc["jobs"].as_hash();
    if jobs.is_none_or(|j| j.is_empty()) {
        push(line_of(text, "jobs"), "no `jobs`".into());
    }
    let mut runs: Vec<&str> = Vec::new();
    for (name, job) in jobs.into_iter().flatten() {
        let name = name.as_str().unwrap_or("?");
        if !matches!(job["permissions"], Yaml::BadValue)
            && let Some(m) = permission_problem(&job["permissions"], false)
        {
            push(None, format!("job `{name}`: {m}"));
        }
        for step in job["steps"].as_vec().into_iter().flatten() {
            if let Some(r) = step["run"].as_str() {
                runs.push(r);
            }
        }
    }

    // The commands.
    let commands: Vec<Vec<String>> = runs.iter().flat_map(|r| commands(r)).collect();
    let repro_sub = |c: &[String]| -> Option<(usize, Vec<String>)> {
        let i = c
            .iter()
            .position(|w| w == "repro" || w.ends_with("/repro"))?;
        let words: Vec<String> = c[i + 1..]
            .iter()
            .filter(|w| !w.starts_with('-'))
            .take(2)
            .cloned()
            .collect();
        Some((i, words))
    };
    let mut updates = false;
    let mut audits = 0;
    let mut reports: Vec<String> = Vec::new();
    for c in &commands {
        let Some((i, words)) = repro_sub(c) else {
            continue;
        };
        let args = &c[i + 1..];
        let has = |flag: &str| {
            args.iter()
                .position(|a| a == flag || a.starts_with(&format!("{flag}=")))
        };
        let value = |flag: &str| -> Option<String> {
            let k = has(flag)?;
            match args[k].split_once('=') {
                Some((_, v)) => Some(v.to_string()),
                None => args.get(k + 1).cloned(),
            }
        };
        if has("--show").is_some() {
            push(
                line_of(text, "--show"),
                format!(
                    "`{}` runs with `--show`: the findings would be printed in the public job \
                     log",
                    c[i..].join(" ")
                ),
            );
        }
        if words.first().map(String::as_str) == Some("db")
            && words.get(1).map(String::as_str) == Some("update")
        {
            updates = true;
        }
        if words.first().map(String::as_str) == Some("audit") {
            audits += 1;
            let line = line_of(text, "repro audit").or_else(|| line_of(text, "audit"));
            if value("--encrypt-to").is_none_or(|v| v.is_empty() || v.starts_with('-')) {
                push(
                    line,
                    "`repro audit` without `--encrypt-to`: the report is not encrypted for the \
                     security team, so it cannot leave the runner privately"
                        .into(),
                );
            }
            if value("--max-db-age").is_none_or(|v| v.starts_with('-')) {
                push(
                    line,
                    "`repro audit` without `--max-db-age`: a scan on stale advisory data would \
                     pass quietly"
                        .into(),
                );
            }
            if let Some(r) = value("--report") {
                reports.push(r);
            }
        }
    }
    if !updates {
        push(
            None,
            "no step runs `repro db update`: the scan would read whatever advisory data is at \
             hand, not today's"
                .into(),
        );
    }
    if audits == 0 {
        push(None, "no step runs `repro audit`".into());
    }

    // The report never printed.
    let report_name = |w: &str| {
        let w = w.trim_start_matches('<');
        w.contains("audit-report")
            || reports
                .iter()
                .any(|r| !r.is_empty() && (w == r || w.ends_with(&format!("/{r}"))))
    };
    for c in &commands {
        for (k, w) in c.iter().enumerate() {
            let base = w.rsplit('/').next().unwrap_or(w);
            let rest = &c[k + 1..];
            if matches!(base, "age" | "rage")
                && rest.iter().any(|a| {
                    a == "--decrypt"
                        || (a.starts_with('-') && !a.starts_with("--") && a.contains('d'))
                })
            {
                push(
                    line_of(text, &format!("{base} ")),
                    format!(
                        "`{}` decrypts in the job: the report is for the security team only",
                        c[k..].join(" ")
                    ),
                );
                break;
            }
            if PRINTERS.contains(&base) && rest.iter().any(|a| report_name(a)) {
                push(
                    line_of(text, &format!("{base} ")),
                    format!(
                        "`{}` prints the report into the public job log",
                        c[k..].join(" ")
                    ),
                );
                break;
            }
        }
    }
    out
}

/// The simple commands of a `run` text: words, split at `;`, `&`, `|`, newlines and `$(`/`)`
/// and backquotes, with quotes removed and `\`-newline joined. Comments are dropped.
fn commands(run: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut cmd: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = run.chars().peekable();
    let mut quote: Option<char> = None;
    fn end_word(cmd: &mut Vec<String>, word: &mut String, in_word: &mut bool) {
        if *in_word {
            cmd.push(std::mem::take(word));
            *in_word = false;
        }
    }
    fn end_cmd(out: &mut Vec<Vec<String>>, cmd: &mut Vec<String>) {
        if !cmd.is_empty() {
            out.push(std::mem::take(cmd));
        }
    }
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == '\\' && q == '"' {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            } else {
                word.push(c);
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                in_word = true;
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(n) => {
                    word.push(n);
                    in_word = true;
                }
            },
            '#' if !in_word => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                end_word(&mut cmd, &mut word, &mut in_word);
                end_cmd(&mut out, &mut cmd);
            }
            '$' if chars.peek() == Some(&'(') => {
                chars.next();
                end_word(&mut cmd, &mut word, &mut in_word);
                end_cmd(&mut out, &mut cmd);
            }
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' => {
                end_word(&mut cmd, &mut word, &mut in_word);
                end_cmd(&mut out, &mut cmd);
            }
            c if c.is_whitespace() => end_word(&mut cmd, &mut word, &mut in_word),
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    end_word(&mut cmd, &mut word, &mut in_word);
    end_cmd(&mut out, &mut cmd);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example workflow the README tells every repository to copy.
    fn example() -> String {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github/scan-only.yml"),
        )
        .unwrap()
    }

    fn messages(text: &str) -> Vec<String> {
        check_text(text).into_iter().map(|p| p.message).collect()
    }

    fn one(text: &str, want: &str) {
        let m = messages(text);
        assert!(m.iter().any(|m| m.contains(want)), "{want}: {m:?}");
    }

    #[test]
    fn problems_name_the_line_of_code_not_a_comment() {
        let good = example();
        let bad = good.replace("--encrypt-to \"$RECIPIENT\" ", "");
        let p = check_text(&bad);
        let line = p[0].line.unwrap();
        assert!(
            bad.lines()
                .nth(line - 1)
                .unwrap()
                .contains("run: repro audit"),
            "{p:?}"
        );
    }

    #[test]
    fn the_example_workflow_passes() {
        assert_eq!(messages(&example()), Vec::<String>::new());
    }

    #[test]
    fn each_missing_safeguard_is_a_problem() {
        let good = example();
        one(
            &good.replace("permissions:\n  contents: read", "permissions: write-all"),
            "write-all",
        );
        one(
            &good.replace(
                "permissions:\n  contents: read",
                "permissions:\n  contents: write",
            ),
            "contents: write",
        );
        one(
            &good.replace("permissions:\n  contents: read\n", ""),
            "no top-level `permissions`",
        );
        one(
            &good.replace(
                "    runs-on:",
                "    permissions:\n      issues: write\n    runs-on:",
            ),
            "job `scan`",
        );
        one(
            &good.replace("  schedule:\n    - cron: \"17 5 * * *\"\n", ""),
            "not scheduled",
        );
        one(
            &good.replace("--report audit-report.age", "--show"),
            "--show",
        );
        one(
            &good.replace("--encrypt-to \"$RECIPIENT\" ", ""),
            "without `--encrypt-to`",
        );
        one(
            &good.replace("--max-db-age 36h ", ""),
            "without `--max-db-age`",
        );
        one(
            &good.replace("run: repro db update osv-db", "run: ls osv-db"),
            "repro db update",
        );
        let printed = format!(
            "{good}\n      - name: Show\n        run: |\n          cat audit-report.age | base64\n"
        );
        one(&printed, "prints the report");
        let decrypted = format!(
            "{good}\n      - name: Show\n        run: age -d -i key.txt audit-report.age\n"
        );
        one(&decrypted, "decrypts in the job");
        one("not: [a workflow", "not a YAML workflow");
    }

    #[test]
    fn shell_words_are_read_as_commands() {
        let c = commands(
            "repro audit . \\\n  --encrypt-to \"$R\" --report 'a b'; echo $(cat x) && y | z # c\nq",
        );
        assert_eq!(
            c,
            [
                vec![
                    "repro",
                    "audit",
                    ".",
                    "--encrypt-to",
                    "$R",
                    "--report",
                    "a b"
                ],
                vec!["echo"],
                vec!["cat", "x"],
                vec!["y"],
                vec!["z"],
                vec!["q"],
            ]
        );
    }

    #[test]
    fn missing_symlinked_or_outside_workflows_are_problems() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".github/workflows")).unwrap();
        let first = |rel: &str| check_workflow(&repo, rel).unwrap()[0].message.clone();
        assert!(first("scan.yml").contains("does not exist"));
        assert!(first("../scan.yml").contains("inside the repository"));
        std::fs::write(dir.path().join("outside.yml"), example()).unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("outside.yml"),
            repo.join(".github/workflows/scan.yml"),
        )
        .unwrap();
        assert!(first(".github/workflows/scan.yml").contains("symbolic link"));
        std::os::unix::fs::symlink(repo.join(".github"), repo.join("gh")).unwrap();
        std::fs::write(repo.join(".github/workflows/real.yml"), example()).unwrap();
        assert!(first("gh/workflows/real.yml").contains("symbolic link"));
        assert!(first(".github/workflows").contains("not a regular file"));
        assert_eq!(
            check_workflow(&repo, ".github/workflows/real.yml").unwrap(),
            []
        );
    }
}
