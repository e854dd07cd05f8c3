//! The controls a posture claims, as the frameworks name them, and what a claim implies.
//!
//! - **S2C2F**: the requirements table of the OpenSSF Secure Supply Chain Consumption Framework
//!   (<https://github.com/ossf/s2c2f>, `specification/framework.md`, "Secure Supply Chain
//!   Consumption Framework Requirements"), with each requirement's maturity level. A component
//!   at level N claims every requirement of levels 1..=N; at level 3 only the subset one
//!   project can run on its own machines ([`S2c2fRequirement::local`]): the deny list of
//!   malicious packages (ING-3), the malware scan (SCA-4) and the provenance check of direct
//!   dependencies (AUD-1). The rest of level 3 needs organisation-wide infrastructure.
//! - **SLSA v1.0, Build Level 1** (<https://slsa.dev/spec/v1.0/requirements>): the producer
//!   chooses an appropriate build platform, follows a consistent build process and distributes
//!   provenance; the build platform generates provenance that exists.
//! - **L2-adjacent controls**: what this project does toward Build Level 2 without a hosted
//!   build platform (which L2 requires): provenance signed by the release key, and a second
//!   machine's independent, byte-identical rebuild.
//! - **CISA Secure Software Development Attestation Form** (OMB 1670-0052, March 2024),
//!   section III: the four practices a producer attests to.

use std::collections::BTreeSet;

use serde::Serialize;

/// One S2C2F requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct S2c2fRequirement {
    /// `ING-1`, `SCA-4`, …
    pub id: &'static str,
    /// Maturity level (1–4).
    pub level: u8,
    /// The requirement's title, as the framework words it (shortened where it gives examples).
    pub title: &'static str,
    /// Whether one project can meet it on its own machines (what "the locally-runnable subset"
    /// of level 3 means here).
    pub local: bool,
}

const fn req(id: &'static str, level: u8, title: &'static str, local: bool) -> S2c2fRequirement {
    S2c2fRequirement {
        id,
        level,
        title,
        local,
    }
}

/// Every S2C2F requirement, in the framework's order.
pub const S2C2F: &[S2c2fRequirement] = &[
    req(
        "ING-1",
        1,
        "Use package managers trusted by your organization",
        true,
    ),
    req(
        "ING-2",
        1,
        "Use an OSS binary repository manager solution",
        true,
    ),
    req(
        "ING-3",
        3,
        "Have a deny list capability to block known malicious OSS from being consumed",
        true,
    ),
    req(
        "ING-4",
        3,
        "Mirror a copy of all OSS source code to an internal location",
        false,
    ),
    req("SCA-1", 1, "Scan OSS for known vulnerabilities", true),
    req("SCA-2", 1, "Scan OSS for licenses", true),
    req(
        "SCA-3",
        2,
        "Scan OSS to determine if it is end-of-life",
        true,
    ),
    req("SCA-4", 3, "Scan OSS for malware", true),
    req(
        "SCA-5",
        3,
        "Perform proactive security review of OSS",
        false,
    ),
    req(
        "INV-1",
        1,
        "Maintain an automated inventory of all OSS used in development",
        true,
    ),
    req("INV-2", 2, "Have an OSS incident response plan", true),
    req("UPD-1", 1, "Update vulnerable OSS manually", true),
    req("UPD-2", 2, "Enable automated OSS updates", true),
    req(
        "UPD-3",
        2,
        "Display OSS vulnerabilities as comments in pull requests",
        true,
    ),
    req("AUD-1", 3, "Verify the provenance of your OSS", true),
    req(
        "AUD-2",
        2,
        "Audit that developers are consuming OSS through the approved ingestion method",
        true,
    ),
    req(
        "AUD-3",
        2,
        "Validate integrity of the OSS that you consume into your build",
        true,
    ),
    req(
        "AUD-4",
        4,
        "Validate SBOMs of OSS that you consume into your build",
        false,
    ),
    req(
        "ENF-1",
        2,
        "Securely configure your package source files",
        true,
    ),
    req(
        "ENF-2",
        3,
        "Enforce usage of a curated OSS feed that enhances the trust of your OSS",
        false,
    ),
    req(
        "REB-1",
        4,
        "Rebuild the OSS in a trusted build environment, or validate that it is reproducibly built",
        false,
    ),
    req("REB-2", 4, "Digitally sign the OSS you rebuild", false),
    req("REB-3", 4, "Generate SBOMs for OSS that you rebuild", false),
    req("REB-4", 4, "Digitally sign the SBOMs you produce", false),
    req(
        "FIX-1",
        4,
        "Implement a change in the code to address a zero-day vulnerability, rebuild, deploy, and confidentially contribute the fix upstream",
        false,
    ),
];

/// The requirement with this id.
pub fn s2c2f(id: &str) -> Option<&'static S2c2fRequirement> {
    S2C2F.iter().find(|r| r.id == id)
}

/// The S2C2F requirements a continuous-detection job (posture.toml's `[continuous-detection]`)
/// helps evidence: a scheduled `repro audit` of the locks scans them for known vulnerabilities
/// (SCA-1) and, with the OSSF malicious-packages data `repro db update` fetches, for known
/// malicious packages (SCA-4, as the `audit` row of `repro posture evidence` counts it). `posture
/// check` verifies the job's configuration only; that scans ran is the `audit` row's evidence.
/// Not UPD-1 (the updates are manual work the findings prompt) nor INV-2 (the response plan is
/// the SLA, not the job).
pub const CONTINUOUS_DETECTION: &[&str] = &["SCA-1", "SCA-4"];

/// Of [`CONTINUOUS_DETECTION`], the requirements the posture claims (some component's level
/// includes them, and no out-of-scope entry takes them out).
pub fn continuous_detection_claimed(posture: &super::Posture) -> Vec<&'static str> {
    let max = posture
        .components
        .iter()
        .map(|c| c.s2c2f_level)
        .max()
        .unwrap_or(0);
    CONTINUOUS_DETECTION
        .iter()
        .copied()
        .filter(|id| s2c2f_claimed_by(max).any(|r| r.id == *id))
        .filter(|id| !posture.out_of_scope.iter().any(|o| o.controls.contains(id)))
        .collect()
}

/// The requirements a component at `level` claims: every one of levels 1..=level, at level 3
/// only the locally-runnable ones; level 4 is never claimed.
pub fn s2c2f_claimed_by(level: u8) -> impl Iterator<Item = &'static S2c2fRequirement> {
    S2C2F
        .iter()
        .filter(move |r| r.level <= level.min(3) && (r.level < 3 || r.local))
}

/// Level-3 requirements outside the locally-runnable subset.
pub fn s2c2f_level3_not_local() -> impl Iterator<Item = &'static S2c2fRequirement> {
    S2C2F.iter().filter(|r| r.level == 3 && !r.local)
}

/// The SLSA v1.0 Build Level 1 requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SlsaRequirement {
    /// Producer: choose an appropriate build platform.
    BuildPlatform,
    /// Producer: follow a consistent build process.
    BuildProcess,
    /// Producer: distribute provenance.
    DistributeProvenance,
    /// Build platform: provenance exists.
    ProvenanceExists,
}

impl SlsaRequirement {
    /// Every Build Level 1 requirement.
    pub const ALL: [SlsaRequirement; 4] = [
        SlsaRequirement::BuildPlatform,
        SlsaRequirement::BuildProcess,
        SlsaRequirement::DistributeProvenance,
        SlsaRequirement::ProvenanceExists,
    ];

    /// Stable id.
    pub fn id(self) -> &'static str {
        match self {
            SlsaRequirement::BuildPlatform => "build-platform",
            SlsaRequirement::BuildProcess => "build-process",
            SlsaRequirement::DistributeProvenance => "distribute-provenance",
            SlsaRequirement::ProvenanceExists => "provenance-exists",
        }
    }

    /// The requirement as the specification names it.
    pub fn title(self) -> &'static str {
        match self {
            SlsaRequirement::BuildPlatform => "Producer: choose an appropriate build platform",
            SlsaRequirement::BuildProcess => "Producer: follow a consistent build process",
            SlsaRequirement::DistributeProvenance => "Producer: distribute provenance",
            SlsaRequirement::ProvenanceExists => "Build platform: provenance exists",
        }
    }
}

/// A control toward SLSA Build Level 2 that does not need a hosted build platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum L2Adjacent {
    /// The provenance is signed (DSSE) with the release key.
    SignedProvenance,
    /// A second machine rebuilt the release byte for byte and signed a PASSED summary.
    IndependentRebuild,
}

impl L2Adjacent {
    /// Every L2-adjacent control.
    pub const ALL: [L2Adjacent; 2] = [L2Adjacent::SignedProvenance, L2Adjacent::IndependentRebuild];

    /// Stable id, as `posture.toml` names it.
    pub fn id(self) -> &'static str {
        match self {
            L2Adjacent::SignedProvenance => "signed-provenance",
            L2Adjacent::IndependentRebuild => "independent-rebuild",
        }
    }

    /// What it is, and how it relates to Build Level 2.
    pub fn title(self) -> &'static str {
        match self {
            L2Adjacent::SignedProvenance => {
                "Signed provenance: the SLSA provenance is a DSSE envelope signed with the release \
                 key (L2 asks for provenance a hosted build platform authenticates)"
            }
            L2Adjacent::IndependentRebuild => {
                "Independent rebuild: a second machine rebuilds each release byte for byte and \
                 signs a PASSED verification summary (L2 asks for a hosted build platform; an \
                 independent rebuild checks the build instead of trusting where it ran)"
            }
        }
    }

    /// Parse a `posture.toml` name.
    pub fn from_id(id: &str) -> Option<L2Adjacent> {
        L2Adjacent::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// A practice of the CISA Secure Software Development Attestation Form, section III.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CisaPractice {
    /// 1–4, as the form numbers them.
    pub number: u8,
    /// The practice, shortened.
    pub title: &'static str,
}

/// The four practices of the form.
pub const CISA: [CisaPractice; 4] = [
    CisaPractice {
        number: 1,
        title: "The software is developed and built in secure environments",
    },
    CisaPractice {
        number: 2,
        title: "The producer makes a good-faith effort to maintain trusted source code supply \
                chains (automated tools for internal code and third-party components)",
    },
    CisaPractice {
        number: 3,
        title: "The producer maintains provenance for internal code and third-party components",
    },
    CisaPractice {
        number: 4,
        title: "The producer employs automated tools that check for security vulnerabilities \
                (ongoing and before each release; a policy to address them; a vulnerability \
                disclosure program)",
    },
];

/// A control, in any of the frameworks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "framework", content = "id", rename_all = "kebab-case")]
pub enum Control {
    /// An S2C2F requirement id.
    S2c2f(&'static str),
    /// A SLSA Build Level 1 requirement.
    Slsa(SlsaRequirement),
    /// An L2-adjacent control.
    L2Adjacent(L2Adjacent),
}

impl Control {
    /// The framework's name.
    pub fn framework(self) -> &'static str {
        match self {
            Control::S2c2f(_) => "S2C2F",
            Control::Slsa(_) => "SLSA v1.0 Build L1",
            Control::L2Adjacent(_) => "SLSA L2-adjacent",
        }
    }

    /// The control's id.
    pub fn id(self) -> &'static str {
        match self {
            Control::S2c2f(id) => id,
            Control::Slsa(r) => r.id(),
            Control::L2Adjacent(c) => c.id(),
        }
    }

    /// The control's title.
    pub fn title(self) -> &'static str {
        match self {
            Control::S2c2f(id) => s2c2f(id).map_or("", |r| r.title),
            Control::Slsa(r) => r.title(),
            Control::L2Adjacent(c) => c.title(),
        }
    }

    /// Every control the tables know, in a stable order.
    pub fn all() -> Vec<Control> {
        S2C2F
            .iter()
            .map(|r| Control::S2c2f(r.id))
            .chain(SlsaRequirement::ALL.into_iter().map(Control::Slsa))
            .chain(L2Adjacent::ALL.into_iter().map(Control::L2Adjacent))
            .collect()
    }
}

/// The controls `component` claims under `posture`: its S2C2F level's requirements less those
/// declared out of scope, the SLSA Build Level 1 requirements when the posture claims level 1,
/// and the L2-adjacent controls it lists.
pub fn claimed(
    posture: &super::Posture,
    component: &super::config::Component,
) -> BTreeSet<Control> {
    let out: BTreeSet<&str> = posture
        .out_of_scope
        .iter()
        .flat_map(|o| o.controls.iter().copied())
        .collect();
    let mut set: BTreeSet<Control> = s2c2f_claimed_by(component.s2c2f_level)
        .filter(|r| !out.contains(r.id))
        .map(|r| Control::S2c2f(r.id))
        .collect();
    if posture.slsa.build_level >= 1 {
        set.extend(SlsaRequirement::ALL.into_iter().map(Control::Slsa));
    }
    set.extend(
        posture
            .slsa
            .l2_adjacent
            .iter()
            .copied()
            .map(Control::L2Adjacent),
    );
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_framework_table() {
        let ids = |level| s2c2f_claimed_by(level).map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(1),
            ["ING-1", "ING-2", "SCA-1", "SCA-2", "INV-1", "UPD-1"]
        );
        assert_eq!(ids(2).len(), 13);
        // Level 3: only the locally-runnable subset is added.
        let l3: Vec<_> = ids(3)
            .into_iter()
            .filter(|id| !ids(2).contains(id))
            .collect();
        assert_eq!(l3, ["ING-3", "SCA-4", "AUD-1"]);
        let not_local: Vec<_> = s2c2f_level3_not_local().map(|r| r.id).collect();
        assert_eq!(not_local, ["ING-4", "SCA-5", "ENF-2"]);
        assert_eq!(S2C2F.len(), 25);
    }
}
