//! Trove licence classifiers (`License :: OSI Approved :: MIT License`) and their SPDX
//! identifiers: one table, [`LICENSE_CLASSIFIERS`].
//!
//! A classifier maps only when it names one licence and one version (or the licence has only
//! one): `GNU General Public License v2 or later (GPLv2+)` is `GPL-2.0-or-later`, `… v2
//! (GPLv2)` is `GPL-2.0-only`. A classifier that leaves the version open (`Apache Software
//! License`, `BSD License`, `GNU General Public License (GPL)`, `Artistic License`) or names no
//! licence (`Freeware`, `Public Domain`, `Other/Proprietary License`) has no row: it stays a
//! name, never a guessed id. The list is that of `trove-classifiers` 2026.9.21.13 (89 licence
//! classifiers, every one covered by the tests below).
//!
//! Spec: <https://pypi.org/classifiers/>, <https://spdx.org/licenses/>.

/// (classifier without its leading `License :: `, SPDX identifier). Rows are grouped by
/// family; each family has a test.
pub const LICENSE_CLASSIFIERS: &[(&str, &str)] = &[
    // GNU: the version and whether later versions are allowed decide the id.
    (
        "OSI Approved :: GNU General Public License v2 (GPLv2)",
        "GPL-2.0-only",
    ),
    (
        "OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
        "GPL-2.0-or-later",
    ),
    (
        "OSI Approved :: GNU General Public License v3 (GPLv3)",
        "GPL-3.0-only",
    ),
    (
        "OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
        "GPL-3.0-or-later",
    ),
    (
        "OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)",
        "LGPL-2.0-only",
    ),
    (
        "OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)",
        "LGPL-2.0-or-later",
    ),
    (
        "OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
        "LGPL-3.0-only",
    ),
    (
        "OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)",
        "LGPL-3.0-or-later",
    ),
    (
        "OSI Approved :: GNU Affero General Public License v3",
        "AGPL-3.0-only",
    ),
    (
        "OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",
        "AGPL-3.0-or-later",
    ),
    // Versioned copyleft and weak-copyleft licences.
    (
        "OSI Approved :: Mozilla Public License 1.0 (MPL)",
        "MPL-1.0",
    ),
    (
        "OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)",
        "MPL-1.1",
    ),
    (
        "OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)",
        "MPL-2.0",
    ),
    (
        "OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)",
        "EPL-1.0",
    ),
    (
        "OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)",
        "EPL-2.0",
    ),
    (
        "OSI Approved :: European Union Public Licence 1.0 (EUPL 1.0)",
        "EUPL-1.0",
    ),
    (
        "OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)",
        "EUPL-1.1",
    ),
    (
        "OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)",
        "EUPL-1.2",
    ),
    (
        "OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)",
        "CDDL-1.0",
    ),
    (
        "OSI Approved :: Open Software License 3.0 (OSL-3.0)",
        "OSL-3.0",
    ),
    // CeCILL.
    (
        "CeCILL-B Free Software License Agreement (CECILL-B)",
        "CECILL-B",
    ),
    (
        "CeCILL-C Free Software License Agreement (CECILL-C)",
        "CECILL-C",
    ),
    (
        "OSI Approved :: CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)",
        "CECILL-2.1",
    ),
    // Permissive licences named precisely.
    ("OSI Approved :: MIT License", "MIT"),
    (
        "OSI Approved :: MIT No Attribution License (MIT-0)",
        "MIT-0",
    ),
    ("OSI Approved :: CMU License (MIT-CMU)", "MIT-CMU"),
    ("OSI Approved :: ISC License (ISCL)", "ISC"),
    ("OSI Approved :: Zero-Clause BSD (0BSD)", "0BSD"),
    ("OSI Approved :: zlib/libpng License", "Zlib"),
    (
        "OSI Approved :: Boost Software License 1.0 (BSL-1.0)",
        "BSL-1.0",
    ),
    (
        "OSI Approved :: Blue Oak Model License (BlueOak-1.0.0)",
        "BlueOak-1.0.0",
    ),
    (
        "OSI Approved :: Educational Community License, Version 2.0 (ECL-2.0)",
        "ECL-2.0",
    ),
    (
        "OSI Approved :: Mulan Permissive Software License v2 (MulanPSL-2.0)",
        "MulanPSL-2.0",
    ),
    (
        "OSI Approved :: Historical Permission Notice and Disclaimer (HPND)",
        "HPND",
    ),
    ("OSI Approved :: PostgreSQL License", "PostgreSQL"),
    (
        "OSI Approved :: University of Illinois/NCSA Open Source License",
        "NCSA",
    ),
    (
        "OSI Approved :: Universal Permissive License (UPL)",
        "UPL-1.0",
    ),
    ("OSI Approved :: The Unlicense (Unlicense)", "Unlicense"),
    ("OSI Approved :: X.Net License", "Xnet"),
    ("OSI Approved :: Attribution Assurance License", "AAL"),
    ("OSI Approved :: Intel Open Source License", "Intel"),
    ("OSI Approved :: MirOS License (MirOS)", "MirOS"),
    ("OSI Approved :: Sleepycat License", "Sleepycat"),
    // Python's licences.
    (
        "OSI Approved :: Python Software Foundation License",
        "PSF-2.0",
    ),
    (
        "OSI Approved :: Python License (CNRI Python License)",
        "CNRI-Python",
    ),
    // Licences with a single version, named without it.
    ("OSI Approved :: Common Public License", "CPL-1.0"),
    ("OSI Approved :: IBM Public License", "IPL-1.0"),
    ("OSI Approved :: Sun Public License", "SPL-1.0"),
    ("OSI Approved :: Qt Public License (QPL)", "QPL-1.0"),
    ("OSI Approved :: Ricoh Source Code Public License", "RSCPL"),
    ("OSI Approved :: Motosoto License", "Motosoto"),
    ("OSI Approved :: Nethack General Public License", "NGPL"),
    ("OSI Approved :: Nokia Open Source License", "Nokia"),
    ("Nokia Open Source License (NOKOS)", "Nokia"),
    ("OSI Approved :: Open Group Test Suite License", "OGTSL"),
    ("OSI Approved :: Vovida Software License 1.0", "VSL-1.0"),
    (
        "OSI Approved :: NASA Open Source Agreement v1.3 (NASA-1.3)",
        "NASA-1.3",
    ),
    ("Aladdin Free Public License (AFPL)", "Aladdin"),
    // Fonts and content.
    (
        "OSI Approved :: SIL Open Font License 1.1 (OFL-1.1)",
        "OFL-1.1",
    ),
    (
        "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication",
        "CC0-1.0",
    ),
];

/// The SPDX identifier of a licence classifier (`License :: …`, with or without the prefix),
/// if it names one licence precisely.
pub fn spdx_for_classifier(classifier: &str) -> Option<&'static str> {
    let c = classifier.trim();
    let c = c.strip_prefix("License ::").map(str::trim).unwrap_or(c);
    LICENSE_CLASSIFIERS
        .iter()
        .find(|(name, _)| *name == c)
        .map(|(_, id)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(c: &str) -> Option<&'static str> {
        spdx_for_classifier(&format!("License :: {c}"))
    }

    /// Every id of the table is a current SPDX licence identifier, exactly as written.
    #[test]
    fn every_id_is_a_valid_spdx_identifier() {
        for (c, id) in LICENSE_CLASSIFIERS {
            let lic = spdx::license_id(id).unwrap_or_else(|| panic!("{c}: `{id}` is not SPDX"));
            assert!(!lic.is_deprecated(), "{c}: `{id}` is deprecated");
        }
    }

    #[test]
    fn gnu_licences_keep_version_and_or_later() {
        let gpl = "OSI Approved :: GNU General Public License";
        assert_eq!(id(&format!("{gpl} v2 (GPLv2)")), Some("GPL-2.0-only"));
        // Unidecode's classifier: it was once reported as GPL-2.0-only.
        assert_eq!(
            id(&format!("{gpl} v2 or later (GPLv2+)")),
            Some("GPL-2.0-or-later")
        );
        assert_eq!(id(&format!("{gpl} v3 (GPLv3)")), Some("GPL-3.0-only"));
        assert_eq!(
            id(&format!("{gpl} v3 or later (GPLv3+)")),
            Some("GPL-3.0-or-later")
        );
        let lgpl = "OSI Approved :: GNU Lesser General Public License";
        assert_eq!(id(&format!("{lgpl} v2 (LGPLv2)")), Some("LGPL-2.0-only"));
        assert_eq!(
            id(&format!("{lgpl} v2 or later (LGPLv2+)")),
            Some("LGPL-2.0-or-later")
        );
        assert_eq!(id(&format!("{lgpl} v3 (LGPLv3)")), Some("LGPL-3.0-only"));
        assert_eq!(
            id(&format!("{lgpl} v3 or later (LGPLv3+)")),
            Some("LGPL-3.0-or-later")
        );
        let agpl = "OSI Approved :: GNU Affero General Public License";
        assert_eq!(id(&format!("{agpl} v3")), Some("AGPL-3.0-only"));
        assert_eq!(
            id(&format!("{agpl} v3 or later (AGPLv3+)")),
            Some("AGPL-3.0-or-later")
        );
        // No version: no id.
        assert_eq!(id(&format!("{gpl} (GPL)")), None);
        assert_eq!(
            id("OSI Approved :: GNU Library or Lesser General Public License (LGPL)"),
            None
        );
        assert_eq!(
            id("OSI Approved :: GNU Free Documentation License (FDL)"),
            None
        );
    }

    #[test]
    fn versioned_copyleft_licences() {
        for (c, want) in [
            ("Mozilla Public License 1.0 (MPL)", "MPL-1.0"),
            ("Mozilla Public License 1.1 (MPL 1.1)", "MPL-1.1"),
            ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
            ("Eclipse Public License 1.0 (EPL-1.0)", "EPL-1.0"),
            ("Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
            ("European Union Public Licence 1.0 (EUPL 1.0)", "EUPL-1.0"),
            ("European Union Public Licence 1.1 (EUPL 1.1)", "EUPL-1.1"),
            ("European Union Public Licence 1.2 (EUPL 1.2)", "EUPL-1.2"),
            (
                "Common Development and Distribution License 1.0 (CDDL-1.0)",
                "CDDL-1.0",
            ),
            ("Open Software License 3.0 (OSL-3.0)", "OSL-3.0"),
        ] {
            assert_eq!(id(&format!("OSI Approved :: {c}")), Some(want), "{c}");
        }
    }

    #[test]
    fn cecill_licences() {
        assert_eq!(
            id("CeCILL-B Free Software License Agreement (CECILL-B)"),
            Some("CECILL-B")
        );
        assert_eq!(
            id("CeCILL-C Free Software License Agreement (CECILL-C)"),
            Some("CECILL-C")
        );
        assert_eq!(
            id("OSI Approved :: CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)"),
            Some("CECILL-2.1")
        );
    }

    #[test]
    fn permissive_licences() {
        for (c, want) in [
            ("MIT License", "MIT"),
            ("MIT No Attribution License (MIT-0)", "MIT-0"),
            ("CMU License (MIT-CMU)", "MIT-CMU"),
            ("ISC License (ISCL)", "ISC"),
            ("Zero-Clause BSD (0BSD)", "0BSD"),
            ("zlib/libpng License", "Zlib"),
            ("Boost Software License 1.0 (BSL-1.0)", "BSL-1.0"),
            ("Blue Oak Model License (BlueOak-1.0.0)", "BlueOak-1.0.0"),
            ("The Unlicense (Unlicense)", "Unlicense"),
            ("Universal Permissive License (UPL)", "UPL-1.0"),
            ("PostgreSQL License", "PostgreSQL"),
            ("University of Illinois/NCSA Open Source License", "NCSA"),
        ] {
            assert_eq!(id(&format!("OSI Approved :: {c}")), Some(want), "{c}");
        }
        // The version (or clause count) is open: no id.
        for c in [
            "Apache Software License",
            "BSD License",
            "Academic Free License (AFL)",
            "Artistic License",
            "Zope Public License",
            "W3C License",
        ] {
            assert_eq!(id(&format!("OSI Approved :: {c}")), None, "{c}");
        }
    }

    #[test]
    fn python_licences() {
        assert_eq!(
            id("OSI Approved :: Python Software Foundation License"),
            Some("PSF-2.0")
        );
        assert_eq!(
            id("OSI Approved :: Python License (CNRI Python License)"),
            Some("CNRI-Python")
        );
    }

    #[test]
    fn single_version_licences() {
        assert_eq!(id("OSI Approved :: Common Public License"), Some("CPL-1.0"));
        assert_eq!(id("OSI Approved :: IBM Public License"), Some("IPL-1.0"));
        assert_eq!(id("Nokia Open Source License (NOKOS)"), Some("Nokia"));
        assert_eq!(
            id("OSI Approved :: Nokia Open Source License"),
            Some("Nokia")
        );
        assert_eq!(id("Aladdin Free Public License (AFPL)"), Some("Aladdin"));
    }

    #[test]
    fn fonts_and_content() {
        assert_eq!(
            id("OSI Approved :: SIL Open Font License 1.1 (OFL-1.1)"),
            Some("OFL-1.1")
        );
        assert_eq!(
            id("CC0 1.0 Universal (CC0 1.0) Public Domain Dedication"),
            Some("CC0-1.0")
        );
    }

    #[test]
    fn classifiers_that_name_no_licence_stay_names() {
        for c in [
            "OSI Approved",
            "Public Domain",
            "Other/Proprietary License",
            "Freeware",
            "Freely Distributable",
            "DFSG approved",
            "Free For Educational Use",
            "Free For Home Use",
            "Free To Use But Restricted",
            "Free for non-commercial use",
            "Repoze Public License",
            "GUST Font License 1.0",
            "Netscape Public License (NPL)",
            "Eiffel Forum License (EFL)",
        ] {
            assert_eq!(id(c), None, "{c}");
        }
    }

    /// Every licence classifier of the trove list is either in the table or known to stay a
    /// name: a new classifier fails this test until it is placed.
    #[test]
    fn the_whole_trove_list_is_placed() {
        let unmapped = [
            "DFSG approved",
            "Eiffel Forum License (EFL)",
            "Free For Educational Use",
            "Free For Home Use",
            "Free To Use But Restricted",
            "Free for non-commercial use",
            "Freely Distributable",
            "Freeware",
            "GUST Font License 1.0",
            "GUST Font License 2006-09-30",
            "Netscape Public License (NPL)",
            "OSI Approved",
            "OSI Approved :: Academic Free License (AFL)",
            "OSI Approved :: Apache Software License",
            "OSI Approved :: Apple Public Source License",
            "OSI Approved :: Artistic License",
            "OSI Approved :: BSD License",
            "OSI Approved :: Eiffel Forum License",
            "OSI Approved :: GNU Free Documentation License (FDL)",
            "OSI Approved :: GNU General Public License (GPL)",
            "OSI Approved :: GNU Library or Lesser General Public License (LGPL)",
            "OSI Approved :: Jabber Open Source License",
            "OSI Approved :: MITRE Collaborative Virtual Workspace License (CVW)",
            "OSI Approved :: Sun Industry Standards Source License (SISSL)",
            "OSI Approved :: W3C License",
            "OSI Approved :: Zope Public License",
            "Other/Proprietary License",
            "Public Domain",
            "Repoze Public License",
        ];
        for c in unmapped {
            assert_eq!(id(c), None, "{c}");
        }
        assert_eq!(LICENSE_CLASSIFIERS.len() + unmapped.len(), 89);
    }
}
