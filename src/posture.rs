//! Posture: the SECURITY.md structure every repository of the project shares, and the evidence
//! that each control a repository claims was verified, not asserted.
//!
//! [`commands`] holds the commands a consumer of a release runs; `repro release` renders
//! VERIFY.md from them.

pub mod commands;
