//! `repro`: supply-chain integrity for Python and Rust releases.
//!
//! The library holds every concept of the tool (see `DESIGN.md` of the project): lockfiles are
//! parsed into one model ([`lockfile`]), checked for hermeticity ([`check`]), and reported through
//! the command line layer ([`cli`]). Data flows one way: parse → model → check → report → render.
//! Lower modules return values; only `cli::printer` writes to the terminal.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod archive;
pub mod attest;
pub mod audit;
pub mod build;
pub mod check;
pub mod cli;
pub mod date;
pub mod diff;
pub mod digest;
pub mod fetch;
pub mod fsio;
pub mod hazard;
pub mod lockfile;
pub mod manifest;
pub mod metadata;
pub mod model;
pub mod osv;
pub mod pack;
pub mod posture;
pub mod provenance;
pub mod redact;
pub mod registry;
pub mod resolve;
pub mod sbom;
pub mod sign;
pub mod store;
pub mod vex;
pub mod workspace;
