//! ELF objects (`.so` extension modules, executables) named by where they differ: the section
//! (or header) holding the first differing byte, and every section whose bytes differ, with
//! the GNU build-id of each side when its note differs.
//!
//! Read with `object`'s ELF reader over bytes already in memory; a file it cannot parse is
//! simply not described (the hex window still shows the bytes).

use object::read::elf::{ElfFile, FileHeader};
use object::{Endianness, Object, ObjectSection};

/// Most differing parts named.
const MAX_PARTS: usize = 12;

/// One named byte range of an ELF file.
struct Part {
    name: String,
    range: std::ops::Range<usize>,
}

/// The named parts of an ELF file and its build id.
struct Layout {
    parts: Vec<Part>,
    build_id: Option<Vec<u8>>,
}

fn layout_of<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<Layout> {
    let file = ElfFile::<Elf>::parse(data).ok()?;
    let (h, e) = (file.elf_header(), file.endian());
    let span = |start: u64, len: u64| -> Option<std::ops::Range<usize>> {
        let end = start.checked_add(len)?;
        (end <= data.len() as u64 && len > 0).then_some(start as usize..end as usize)
    };
    let mut parts = Vec::new();
    let mut push = |name: &str, r: Option<std::ops::Range<usize>>| {
        if let Some(range) = r {
            parts.push(Part {
                name: name.to_string(),
                range,
            });
        }
    };
    push("ELF header", span(0, h.e_ehsize(e).into()));
    push(
        "program headers",
        span(
            h.e_phoff(e).into(),
            u64::from(h.e_phnum(e)) * u64::from(h.e_phentsize(e)),
        ),
    );
    push(
        "section headers",
        span(
            h.e_shoff(e).into(),
            file.elf_section_table().len() as u64 * u64::from(h.e_shentsize(e)),
        ),
    );
    for s in file.sections() {
        let name = s.name().unwrap_or("(unnamed)").to_string();
        if let Some((start, len)) = s.file_range() {
            push(&name, span(start, len));
        }
    }
    let build_id = file.build_id().ok().flatten().map(<[u8]>::to_vec);
    Some(Layout { parts, build_id })
}

fn layout(data: &[u8]) -> Option<Layout> {
    if !data.starts_with(b"\x7fELF") {
        return None;
    }
    match data.get(4) {
        Some(1) => layout_of::<object::elf::FileHeader32<Endianness>>(data),
        Some(2) => layout_of::<object::elf::FileHeader64<Endianness>>(data),
        _ => None,
    }
}

/// Where two ELF files differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfComparison {
    /// The part of A holding the first differing byte.
    pub first: String,
    /// The parts whose bytes differ (a section, a header table), the build-id note with both
    /// ids; at most [`MAX_PARTS`].
    pub parts: Vec<String>,
    /// How many parts differ in all.
    pub total: usize,
}

impl ElfComparison {
    /// A few words for the summary line.
    pub fn summary(&self) -> String {
        let names: Vec<&str> = self
            .parts
            .iter()
            .take(3)
            .map(|p| p.split(" (").next().unwrap_or(p))
            .collect();
        let more = if self.total > names.len() {
            format!(" and {} more", self.total - names.len())
        } else {
            String::new()
        };
        if names.is_empty() {
            format!("ELF: first difference in {}", self.first)
        } else {
            format!("ELF: differs in {}{more}", names.join(", "))
        }
    }

    /// The lines shown before the hex window.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("ELF: first difference in {}", self.first)];
        if !self.parts.is_empty() {
            out.push(format!("ELF parts that differ: {}", self.parts.join(", ")));
            if self.total > self.parts.len() {
                out.push(format!("  … and {} more", self.total - self.parts.len()));
            }
        }
        out
    }
}

/// Compare two ELF files whose first differing byte is `first`; `None` unless both parse.
pub fn compare(a: &[u8], b: &[u8], first: usize) -> Option<ElfComparison> {
    let (la, lb) = (layout(a)?, layout(b)?);
    let where_first = la
        .parts
        .iter()
        .filter(|p| p.range.contains(&first))
        .min_by_key(|p| p.range.len())
        .map_or_else(
            || format!("no section (byte {first})"),
            |p| format!("{} (byte {first})", p.name),
        );
    let mut parts = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in la.parts.iter().chain(&lb.parts) {
        if !seen.insert(p.name.as_str()) {
            continue;
        }
        let find = |l: &Layout, d: &[u8]| -> Option<Vec<u8>> {
            l.parts
                .iter()
                .find(|q| q.name == p.name)
                .map(|q| d[q.range.clone()].to_vec())
        };
        let (x, y) = (find(&la, a), find(&lb, b));
        if x == y {
            continue;
        }
        let mut text = p.name.clone();
        if x.is_none() || y.is_none() {
            text.push_str(if x.is_none() {
                " (in B only)"
            } else {
                " (in A only)"
            });
        } else if p.name == ".note.gnu.build-id" {
            let id = |i: &Option<Vec<u8>>| i.as_deref().map_or("none".to_string(), hex::encode);
            text.push_str(&format!(
                " (GNU build-id {} in A, {} in B)",
                id(&la.build_id),
                id(&lb.build_id)
            ));
        }
        parts.push(text);
    }
    let total = parts.len();
    parts.truncate(MAX_PARTS);
    Some(ElfComparison {
        first: where_first,
        parts,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_elf_is_not_described() {
        assert_eq!(compare(b"\x7fELF", b"\x7fELG", 3), None);
        assert_eq!(compare(b"plain", b"plain!", 5), None);
    }
}
