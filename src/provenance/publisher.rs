//! Trusted Publishers: who may publish a project on PyPI (a GitHub workflow, a GitLab CI file, a
//! Google Cloud service account, a CircleCI pipeline), and the match of a publisher against the
//! Fulcio certificate of an attestation.
//!
//! The match is `pypi-attestations`' (its `_GitHubTrustedPublisherPolicy` and kin): the OIDC
//! issuer is the provider's; the Source Repository URI is the publisher's repository; the Build
//! Config URI is the publisher's workflow file at the commit or the ref the certificate names
//! (a publisher knows its workflow, not the tag a release ran on). repro adds two checks:
//! an e-mail identity is never a GitHub, GitLab or CircleCI publisher, and a Google publisher
//! must be a service account (`*.gserviceaccount.com`), since a person's Google account signs
//! with the same issuer. An environment the index names is compared with the certificate's
//! Deployment Environment (`.1.23`) when the certificate carries one; older certificates do
//! not, and the result says the environment went unchecked.

use serde::{Deserialize, Serialize};

use super::certificate::{Claim, FulcioCertificate, Identity};

/// The OIDC issuer of GitHub Actions.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The OIDC issuer of GitLab.com CI.
pub const GITLAB_ISSUER: &str = "https://gitlab.com";
/// Google's OIDC issuer.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// CircleCI's OIDC issuer.
pub const CIRCLECI_ISSUER: &str = "https://oidc.circleci.com";

/// A Trusted Publisher, as a provenance object names it and a pin file records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum Publisher {
    /// A GitHub Actions workflow.
    GitHub {
        /// `owner/repository`.
        repository: String,
        /// The workflow's file name under `.github/workflows/`.
        workflow: String,
        /// The deployment environment the publisher requires, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
    },
    /// A GitLab CI/CD pipeline.
    GitLab {
        /// `namespace/project` (with subgroups).
        repository: String,
        /// The CI configuration file (usually `.gitlab-ci.yml`).
        workflow_filepath: String,
        /// The environment the publisher requires, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
    },
    /// A Google Cloud service account.
    Google {
        /// The service account's e-mail address.
        email: String,
    },
    /// A CircleCI pipeline.
    #[serde(rename = "CircleCI")]
    CircleCi {
        /// The project id (a UUID).
        project_id: String,
        /// The pipeline definition id (a UUID).
        pipeline_definition_id: String,
        /// The repository that triggered it (`github.com/org/repo`), when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vcs_origin: Option<String>,
        /// The ref that triggered it, when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vcs_ref: Option<String>,
    },
}

impl std::fmt::Display for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            Publisher::GitHub {
                repository,
                workflow,
                environment,
            } => format!(
                "GitHub {repository}, workflow {workflow}{}",
                environment
                    .as_ref()
                    .map(|e| format!(", environment {e}"))
                    .unwrap_or_default()
            ),
            Publisher::GitLab {
                repository,
                workflow_filepath,
                environment,
            } => format!(
                "GitLab {repository}, CI file {workflow_filepath}{}",
                environment
                    .as_ref()
                    .map(|e| format!(", environment {e}"))
                    .unwrap_or_default()
            ),
            Publisher::Google { email } => format!("Google service account {email}"),
            Publisher::CircleCi {
                project_id,
                pipeline_definition_id,
                ..
            } => format!("CircleCI project {project_id}, pipeline {pipeline_definition_id}"),
        };
        // Values come from an index: no control characters or escapes reach a terminal.
        f.write_str(&crate::redact::plain_text(&text))
    }
}

/// Why a certificate does not match a publisher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The certificate names an e-mail identity where a CI workload must sign.
    EmailIdentity(String),
    /// The certificate names another signer than the publisher.
    Publisher(String),
}

impl Publisher {
    /// The repository's web address, for a GitHub or GitLab publisher (and a CircleCI one that
    /// names its origin).
    pub fn repository_url(&self) -> Option<String> {
        match self {
            Publisher::GitHub { repository, .. } => {
                Some(format!("https://github.com/{repository}"))
            }
            Publisher::GitLab { repository, .. } => {
                Some(format!("https://gitlab.com/{repository}"))
            }
            Publisher::CircleCi {
                vcs_origin: Some(o),
                ..
            } => Some(format!("https://{o}")),
            _ => None,
        }
    }

    /// Whether the certificate was issued to this publisher. `Ok` carries notes on what could
    /// not be checked (an environment the certificate does not record).
    pub fn authorize(&self, cert: &FulcioCertificate) -> Result<Vec<String>, Mismatch> {
        let issuer = cert.issuer().unwrap_or("");
        if let (Some(Identity::Email(email)), false) =
            (&cert.identity, matches!(self, Publisher::Google { .. }))
        {
            return Err(Mismatch::EmailIdentity(format!(
                "the certificate names the e-mail identity `{email}` (issuer `{issuer}`): a person \
                 signed it, not a Trusted Publisher; the index names {self}"
            )));
        }
        let mismatch =
            |what: String| Mismatch::Publisher(format!("{what}; the index names {self}"));
        let expect_issuer = |want: &str| -> Result<(), Mismatch> {
            if issuer == want {
                Ok(())
            } else {
                Err(Mismatch::Publisher(format!(
                    "the certificate's OIDC issuer is `{issuer}`, not `{want}`; the index names {self}"
                )))
            }
        };
        let claim = |c: Claim| cert.claim(c).unwrap_or("");
        let mut notes = Vec::new();
        match self {
            Publisher::GitHub {
                repository,
                workflow,
                environment,
            } => {
                expect_issuer(GITHUB_ISSUER)?;
                let repo = format!("https://github.com/{repository}");
                if claim(Claim::SourceRepositoryUri) != repo {
                    return Err(mismatch(format!(
                        "the certificate's Source Repository URI is `{}`, not `{repo}`",
                        claim(Claim::SourceRepositoryUri)
                    )));
                }
                build_config(cert, &format!("{repo}/.github/workflows/{workflow}"))
                    .map_err(mismatch)?;
                check_environment(cert, environment.as_deref(), &mut notes).map_err(mismatch)?;
            }
            Publisher::GitLab {
                repository,
                workflow_filepath,
                environment,
            } => {
                expect_issuer(GITLAB_ISSUER)?;
                let repo = format!("https://gitlab.com/{repository}");
                if claim(Claim::SourceRepositoryUri) != repo {
                    return Err(mismatch(format!(
                        "the certificate's Source Repository URI is `{}`, not `{repo}`",
                        claim(Claim::SourceRepositoryUri)
                    )));
                }
                build_config(cert, &format!("{repo}//{workflow_filepath}")).map_err(mismatch)?;
                check_environment(cert, environment.as_deref(), &mut notes).map_err(mismatch)?;
            }
            Publisher::Google { email } => {
                expect_issuer(GOOGLE_ISSUER)?;
                match &cert.identity {
                    Some(Identity::Email(e)) if e == email => {}
                    other => {
                        return Err(mismatch(format!(
                            "the certificate's identity is `{}`, not `{email}`",
                            other.as_ref().map(ToString::to_string).unwrap_or_default()
                        )));
                    }
                }
                if !email.ends_with(".gserviceaccount.com") {
                    return Err(Mismatch::EmailIdentity(format!(
                        "`{email}` is not a Google Cloud service account (`*.gserviceaccount.com`): \
                         a person's Google account is not a Trusted Publisher"
                    )));
                }
            }
            Publisher::CircleCi {
                project_id,
                pipeline_definition_id,
                vcs_origin,
                vcs_ref,
            } => {
                expect_issuer(CIRCLECI_ISSUER)?;
                let signer = format!(
                    "https://circleci.com/api/v2/projects/{project_id}/pipeline-definitions/{pipeline_definition_id}"
                );
                if claim(Claim::BuildSignerUri) != signer {
                    return Err(mismatch(format!(
                        "the certificate's Build Signer URI is `{}`, not `{signer}`",
                        claim(Claim::BuildSignerUri)
                    )));
                }
                if let Some(origin) = vcs_origin
                    && claim(Claim::SourceRepositoryUri) != origin
                {
                    return Err(mismatch(format!(
                        "the certificate's Source Repository URI is `{}`, not `{origin}`",
                        claim(Claim::SourceRepositoryUri)
                    )));
                }
                if let Some(r) = vcs_ref
                    && claim(Claim::SourceRepositoryRef) != r
                {
                    return Err(mismatch(format!(
                        "the certificate's Source Repository Ref is `{}`, not `{r}`",
                        claim(Claim::SourceRepositoryRef)
                    )));
                }
            }
        }
        Ok(notes)
    }
}

/// The Build Config URI must be `expected@<commit>` or `expected@<ref>`, with the commit and ref
/// the certificate itself records (at least one of them).
fn build_config(cert: &FulcioCertificate, expected: &str) -> Result<(), String> {
    let actual = cert.claim(Claim::BuildConfigUri).unwrap_or("");
    let suffixes: Vec<&str> = [Claim::SourceRepositoryDigest, Claim::SourceRepositoryRef]
        .into_iter()
        .filter_map(|c| cert.claim(c))
        .collect();
    if suffixes.is_empty() {
        return Err(
            "the certificate records neither the Source Repository Digest nor its Ref".into(),
        );
    }
    if suffixes.iter().any(|s| actual == format!("{expected}@{s}")) {
        Ok(())
    } else {
        Err(format!(
            "the certificate's Build Config URI is `{actual}`, not `{expected}` at its commit or ref"
        ))
    }
}

/// An environment the publisher requires must be the certificate's Deployment Environment when
/// the certificate records one; otherwise the result notes that it went unchecked.
fn check_environment(
    cert: &FulcioCertificate,
    wanted: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let Some(wanted) = wanted else {
        return Ok(());
    };
    match cert.claim(Claim::DeploymentEnvironment) {
        Some(actual) if actual == wanted => Ok(()),
        Some(actual) => Err(format!(
            "the certificate's Deployment Environment is `{actual}`, not `{wanted}`"
        )),
        None => {
            notes.push(format!(
                "environment `{wanted}` is named by the index; the certificate predates the \
                 Deployment Environment extension, so it was not checked"
            ));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(name: &str) -> FulcioCertificate {
        FulcioCertificate::parse(&crate::provenance::certificate::pem(name)).unwrap()
    }

    fn github(repository: &str, workflow: &str, environment: Option<&str>) -> Publisher {
        Publisher::GitHub {
            repository: repository.into(),
            workflow: workflow.into(),
            environment: environment.map(Into::into),
        }
    }

    #[test]
    fn github_publishers_match_repository_workflow_and_environment() {
        let c = cert("fulcio_github_actions_environment_cert.pem");
        assert_eq!(
            github("pavelzw/skill-forge", "package.yml", None).authorize(&c),
            Ok(vec![])
        );
        assert_eq!(
            github("pavelzw/skill-forge", "package.yml", Some("upload")).authorize(&c),
            Ok(vec![])
        );
        let err = github("pavelzw/skill-forge", "package.yml", Some("pypi"))
            .authorize(&c)
            .unwrap_err();
        assert!(
            matches!(&err, Mismatch::Publisher(m) if m.contains("Deployment Environment is `upload`, not `pypi`")),
            "{err:?}"
        );
        let err = github("pavelzw/skill-forge", "release.yml", None)
            .authorize(&c)
            .unwrap_err();
        assert!(
            matches!(&err, Mismatch::Publisher(m) if m.contains("Build Config URI")),
            "{err:?}"
        );
        let err = github("evil/skill-forge", "package.yml", None)
            .authorize(&c)
            .unwrap_err();
        assert!(
            matches!(&err, Mismatch::Publisher(m) if m.contains("Source Repository URI")),
            "{err:?}"
        );
    }

    /// Without a Source Repository Ref, the commit alone identifies the run.
    #[test]
    fn github_publishers_match_by_commit_without_a_ref() {
        let c = cert("no-source-repository-ref-extension.pem");
        let notes = github("SWIFTSIM/swiftgalaxy", "python-publish.yml", Some("pypi"))
            .authorize(&c)
            .unwrap();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("was not checked"), "{notes:?}");
    }

    #[test]
    fn google_publishers_are_service_accounts() {
        let c = cert("200170367.pem");
        let sa = "919436158236-compute@developer.gserviceaccount.com";
        assert_eq!(
            Publisher::Google { email: sa.into() }.authorize(&c),
            Ok(vec![])
        );
        let err = Publisher::Google {
            email: "someone@example.com".into(),
        }
        .authorize(&c)
        .unwrap_err();
        assert!(matches!(err, Mismatch::Publisher(_)));
        // An e-mail identity never passes as a repository's workflow.
        let err = github("o/r", "release.yml", None)
            .authorize(&c)
            .unwrap_err();
        assert!(
            matches!(&err, Mismatch::EmailIdentity(m) if m.contains(sa)),
            "{err:?}"
        );
    }

    #[test]
    fn pins_round_trip_through_toml() {
        let p = github("o/r", "release.yml", Some("pypi"));
        #[derive(Serialize, Deserialize)]
        struct W {
            publisher: Publisher,
        }
        let text = toml::to_string(&W {
            publisher: p.clone(),
        })
        .unwrap();
        assert_eq!(toml::from_str::<W>(&text).unwrap().publisher, p);
        assert_eq!(
            p.to_string(),
            "GitHub o/r, workflow release.yml, environment pypi"
        );
    }
}
