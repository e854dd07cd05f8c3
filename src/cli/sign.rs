//! `repro key generate`, `repro sign` and `repro verify`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::cli::{ExitStatus, Printer};
use crate::cli::{passphrase, warn_exposed_key};
use crate::sign;
use crate::sign::files::{sign_attestation, sign_file, write_file};

/// `repro key …`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Write an ECDSA P-256 key pair: PREFIX.pub (PKIX PEM) and PREFIX.key (encrypted with a
    /// passphrase from $REPRO_PASSWORD or the terminal, in cosign's format; mode 0600)
    Generate {
        /// Path prefix of the two files
        #[arg(long, value_name = "PREFIX", default_value = "repro")]
        out: PathBuf,
    },
}

/// Arguments of `repro sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// Private key (cosign's encrypted PEM, or an unencrypted PKCS#8/SEC1 PEM)
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// Files to sign: each gets FILE.sigstore.json (bundle v0.3) and FILE.sig (base64 DER)
    #[arg(required_unless_present = "attestation")]
    pub files: Vec<PathBuf>,
    /// Sign an in-toto statement as a DSSE envelope instead (STATEMENT.sigstore.json)
    #[arg(long, value_name = "STATEMENT", conflicts_with = "files")]
    pub attestation: Option<PathBuf>,
    /// Write the signatures here instead of beside each file
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Arguments of `repro verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The artefact (or `sha256:HEX` for a keyless bundle checked by digest)
    pub file: String,
    /// Sigstore bundle [default: FILE.sigstore.json]
    #[arg(long, value_name = "BUNDLE")]
    pub bundle: Option<PathBuf>,
    /// A raw signature (base64 or DER) to check instead of a bundle; needs --key
    #[arg(long, value_name = "SIG", conflicts_with = "bundle", requires = "key")]
    pub signature: Option<PathBuf>,
    /// Public key (PKIX PEM) for key-based signatures
    #[arg(long, value_name = "PUB", conflicts_with_all = ["certificate_identity", "certificate_oidc_issuer"])]
    pub key: Option<PathBuf>,
    /// Keyless: the exact identity (SAN: email or URI) the certificate must name
    #[arg(long, value_name = "ID", requires = "certificate_oidc_issuer")]
    pub certificate_identity: Option<String>,
    /// Keyless: the OIDC issuer the certificate must name
    #[arg(long, value_name = "ISS", requires = "certificate_identity")]
    pub certificate_oidc_issuer: Option<String>,
    /// Trusted root (trusted_root.json) instead of the shipped public-good one
    #[arg(long, value_name = "FILE", conflicts_with = "staging")]
    pub trusted_root: Option<PathBuf>,
    /// Use the shipped staging trusted root
    #[arg(long)]
    pub staging: bool,
    /// For a DSSE bundle: the predicate the statement must carry
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub predicate: Option<crate::attest::PredicateKind>,
}

/// Create `path` with mode 0600 and write `bytes`, refusing to replace an existing file.
fn create_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Run `repro key`.
pub fn run_key(cmd: KeyCommand, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let KeyCommand::Generate { out } = cmd;
    let key_path = PathBuf::from(format!("{}.key", out.display()));
    let pub_path = PathBuf::from(format!("{}.pub", out.display()));
    for p in [&key_path, &pub_path] {
        if p.exists() {
            printer.error(&format!("{}: exists; not overwritten", p.display()), None);
            return Ok(ExitStatus::Error);
        }
    }
    let result = (|| -> Result<(), String> {
        let pass = passphrase("Passphrase for the new key: ", true).map_err(|e| e.to_string())?;
        let key = sign::generate_key().map_err(|e| e.to_string())?;
        let pem = sign::encrypt_private(&key, &pass).map_err(|e| e.to_string())?;
        create_private(&key_path, pem.as_bytes())
            .map_err(|e| format!("{}: {e}", key_path.display()))?;
        // The public key is public: 0644.
        write_file(&pub_path, sign::public_pem(key.verifying_key()).as_bytes())
    })();
    match result {
        Ok(()) => {
            if printer.json {
                printer.json(&serde_json::json!({
                    "schema": "repro.key-generate/v1",
                    "private_key": key_path,
                    "public_key": pub_path,
                }))?;
            } else {
                printer.summary(&format!(
                    "wrote {} (encrypted, mode 0600) and {}\n",
                    key_path.display(),
                    pub_path.display()
                ))?;
            }
            Ok(ExitStatus::Success)
        }
        Err(e) => {
            printer.error(&e, None);
            Ok(ExitStatus::Error)
        }
    }
}

/// Run `repro sign`.
pub fn run_sign(args: SignArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    warn_exposed_key(&args.key, printer);
    let key = match sign::load_private(&args.key, || passphrase("Passphrase: ", false)) {
        Ok(k) => k,
        Err(e) => {
            printer.error(&e.to_string(), None);
            return Ok(ExitStatus::Error);
        }
    };
    let mut written = Vec::new();
    let result = (|| -> Result<(), String> {
        if let Some(statement) = &args.attestation {
            written.push(sign_attestation(&key, statement, args.out_dir.as_deref())?);
            return Ok(());
        }
        for file in &args.files {
            written.extend(sign_file(&key, file, args.out_dir.as_deref())?);
        }
        Ok(())
    })();
    if let Err(e) = result {
        printer.error(&e, None);
        return Ok(ExitStatus::Error);
    }
    if printer.json {
        printer.json(&serde_json::json!({"schema": "repro.sign/v1", "written": written}))?;
    } else {
        let mut out = String::new();
        for w in &written {
            out.push_str(&format!("wrote {}\n", w.display()));
        }
        printer.out(&out)?;
    }
    Ok(ExitStatus::Success)
}

/// Run `repro verify`.
pub fn run_verify(args: VerifyArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let request = sign::verify::VerifyRequest {
        file: args.file.clone(),
        bundle: args.bundle,
        signature: args.signature,
        key: args.key,
        certificate_identity: args.certificate_identity,
        certificate_oidc_issuer: args.certificate_oidc_issuer,
        trusted_root: args.trusted_root,
        staging: args.staging,
        predicate: args.predicate,
    };
    match sign::verify::verify(&request) {
        Ok(detail) => {
            if printer.json {
                printer.json(&serde_json::json!({"schema": "repro.verify/v1", "verified": true, "file": args.file, "detail": detail}))?;
            } else {
                printer.out(&format!("verified: {} ({})\n", args.file, detail.summary()))?;
            }
            Ok(ExitStatus::Success)
        }
        Err(sign::verify::Failure::Invalid(reason)) => {
            if printer.json {
                printer.json(&serde_json::json!({"schema": "repro.verify/v1", "verified": false, "file": args.file, "reason": reason}))?;
            } else {
                printer.out(&format!("NOT verified: {}: {reason}\n", args.file))?;
            }
            Ok(ExitStatus::Failure)
        }
        Err(sign::verify::Failure::Error(e)) => {
            printer.error(&e, None);
            Ok(ExitStatus::Error)
        }
    }
}
