//! Content differences: a unified diff for text, a hex window for binaries, and the first
//! differing byte of two files found streaming.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use crate::diff::{DiffOptions, Difference, Kind};

/// Text members larger than this are not line-diffed (the summary says so).
const MAX_TEXT_BYTES: usize = 8 * 1024 * 1024;

/// Whether bytes look like text: UTF-8 with no NUL in the first 8 KiB.
pub fn is_text(b: &[u8]) -> bool {
    let head = &b[..b.len().min(8192)];
    !head.contains(&0) && std::str::from_utf8(b).is_ok()
}

/// A unified diff of two texts, at most `max_lines` lines, computed with a deadline so that a
/// pathological pair cannot take quadratic time.
pub fn text_diff(a: &str, b: &str, max_lines: usize) -> String {
    let diff = similar::TextDiff::configure()
        .timeout(Duration::from_secs(2))
        .diff_lines(a, b);
    let unified = diff
        .unified_diff()
        .context_radius(3)
        .header("a", "b")
        .to_string();
    let mut out = String::new();
    for (i, line) in unified.lines().enumerate() {
        if i >= max_lines {
            let _ = writeln!(
                out,
                "… ({} more lines; raise --max-lines to see them)",
                unified.lines().count() - i
            );
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A hex window around the first differing byte.
pub fn hex_window(a: &[u8], b: &[u8]) -> String {
    let first = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let start = first.saturating_sub(16) & !15;
    let end_a = (start + 48).min(a.len());
    let end_b = (start + 48).min(b.len());
    hex_rows(
        &a[start.min(a.len())..end_a],
        &b[start.min(b.len())..end_b],
        start as u64,
        first as u64,
        (a.len() as u64, b.len() as u64),
    )
}

/// Bytes per row of a hex window.
const ROW: usize = 16;

/// One side's row: offset, side, 16 hex cells (a gap after the eighth), then the bytes as
/// ASCII between bars (`.` for what is not printable); `(end)` past the side's last byte.
fn hex_row(at: u64, side: char, data: &[u8]) -> String {
    if data.is_empty() {
        return format!("{at:08x}  {side}  (end)");
    }
    let mut hex = String::with_capacity(50);
    for i in 0..ROW {
        if i > 0 {
            hex.push_str(if i == ROW / 2 { "  " } else { " " });
        }
        match data.get(i) {
            Some(b) => {
                let _ = write!(hex, "{b:02x}");
            }
            None => hex.push_str("  "),
        }
    }
    let ascii: String = data.iter().map(|&b| ascii(b)).collect();
    format!("{at:08x}  {side}  {hex}  |{ascii:<ROW$}|")
}

/// A byte as the ASCII column shows it.
pub(crate) fn ascii(b: u8) -> char {
    if (0x20..0x7f).contains(&b) {
        b as char
    } else {
        '.'
    }
}

/// The line under a pair of rows that marks the bytes that differ (`^^` under the hex, `^`
/// under the ASCII); `None` when the rows agree.
fn mark_row(x: &[u8], y: &[u8]) -> Option<String> {
    let differs: Vec<bool> = (0..ROW).map(|i| x.get(i) != y.get(i)).collect();
    if !differs.iter().any(|d| *d) || (x.is_empty() && y.is_empty()) {
        return None;
    }
    let mut line = " ".repeat(13);
    for (i, d) in differs.iter().enumerate() {
        if i > 0 {
            line.push_str(if i == ROW / 2 { "  " } else { " " });
        }
        line.push_str(if *d { "^^" } else { "  " });
    }
    line.push_str("   ");
    line.extend(differs.iter().map(|d| if *d { '^' } else { ' ' }));
    Some(line.trim_end().to_string())
}

/// Rows of hex for windows of A and B that start at byte `start` of each: A's row, B's row,
/// and a line marking the bytes that differ.
fn hex_rows(wa: &[u8], wb: &[u8], start: u64, first: u64, (la, lb): (u64, u64)) -> String {
    let mut out =
        format!("first difference at byte {first} = {first:#x} (A {la} bytes, B {lb} bytes)\n");
    let slice = |d: &'_ [u8], off: usize| -> Vec<u8> {
        d.get(off..(off + ROW).min(d.len()))
            .unwrap_or_default()
            .to_vec()
    };
    for off in (0..48).step_by(ROW) {
        if off >= wa.len() && off >= wb.len() {
            break;
        }
        let at = start + off as u64;
        let (x, y) = (slice(wa, off), slice(wb, off));
        let _ = writeln!(out, "{}", hex_row(at, 'A', &x));
        let _ = writeln!(out, "{}", hex_row(at, 'B', &y));
        if let Some(mark) = mark_row(&x, &y) {
            let _ = writeln!(out, "{mark}");
        }
    }
    out
}

/// A hex window of two files around byte `first`, read with positioned reads.
fn file_hex_window(
    fa: &std::fs::File,
    fb: &std::fs::File,
    first: u64,
    lens: (u64, u64),
) -> std::io::Result<String> {
    use std::os::unix::fs::FileExt;
    let start = first.saturating_sub(16) & !15;
    let read = |f: &std::fs::File, len: u64| -> std::io::Result<Vec<u8>> {
        let n = len.saturating_sub(start).min(48) as usize;
        let mut buf = vec![0u8; n];
        f.read_exact_at(&mut buf, start)?;
        Ok(buf)
    };
    Ok(hex_rows(
        &read(fa, lens.0)?,
        &read(fb, lens.1)?,
        start,
        first,
        lens,
    ))
}

/// The difference between two contents: a unified diff for text (after comparing JSON and
/// TOML as data), a hex window for binaries (after naming the ELF sections that differ); host
/// paths one side holds and the other does not are named first.
pub fn content_difference(loc: &str, a: &[u8], b: &[u8], options: &DiffOptions) -> Difference {
    let mut summary = format!(
        "content differs ({} → {} bytes, sha256 {} → {})",
        a.len(),
        b.len(),
        &crate::digest::sha256(a).hex()[..12],
        &crate::digest::sha256(b).hex()[..12]
    );
    let mut lines: Vec<String> = Vec::new();
    let body = if is_text(a) && is_text(b) {
        if a.len().max(b.len()) > MAX_TEXT_BYTES {
            format!(
                "text larger than {MAX_TEXT_BYTES} bytes: line diff skipped\n{}",
                hex_window(a, b)
            )
        } else {
            let (ta, tb) = (
                std::str::from_utf8(a).unwrap_or_default(),
                std::str::from_utf8(b).unwrap_or_default(),
            );
            if let Some(data) = crate::diff::data::compare(loc, ta, tb) {
                let _ = write!(summary, "; {}", data.summary());
                lines.extend(data.lines());
            }
            text_diff(ta, tb, options.max_lines)
        }
    } else {
        let first = a
            .iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        if let Some(elf) = crate::diff::elf::compare(a, b, first) {
            let _ = write!(summary, "; {}", elf.summary());
            lines.extend(elf.lines());
        }
        hex_window(a, b)
    };
    let mut detail = String::new();
    for line in crate::diff::hostpath::describe(a, b)
        .into_iter()
        .chain(lines)
    {
        detail.push_str(&line);
        detail.push('\n');
    }
    detail.push_str(&body);
    Difference::new(loc, Kind::Content, summary).with_detail(Some(detail))
}

/// Whether two readers yield the same bytes (streaming, stops at the first difference).
/// `size_hint` bounds the buffers: whole files use cache-sized chunks, while a small archive
/// member should not pay for zeroing buffers far larger than itself (2,000 members of a wheel
/// made that the largest cost of a diff).
pub(crate) fn streams_equal(
    mut a: impl Read,
    mut b: impl Read,
    size_hint: u64,
) -> std::io::Result<bool> {
    let chunk = (size_hint.clamp(1, 256 * 1024)) as usize;
    let (mut ba, mut bb) = (vec![0u8; chunk], vec![0u8; chunk]);
    loop {
        let n = read_full(&mut a, &mut ba)?;
        let m = read_full(&mut b, &mut bb)?;
        if n != m || ba[..n] != bb[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// The first offset in `start..end` where two files differ (positioned reads, so two threads
/// can scan different ranges of the same open files).
fn first_in_range(
    a: &std::fs::File,
    b: &std::fs::File,
    start: u64,
    end: u64,
) -> std::io::Result<Option<u64>> {
    use std::os::unix::fs::FileExt;
    const CHUNK: u64 = 256 * 1024;
    let (mut ba, mut bb) = (vec![0u8; CHUNK as usize], vec![0u8; CHUNK as usize]);
    let mut at = start;
    while at < end {
        let n = (end - at).min(CHUNK) as usize;
        a.read_exact_at(&mut ba[..n], at)?;
        b.read_exact_at(&mut bb[..n], at)?;
        if let Some(i) = ba[..n].iter().zip(&bb[..n]).position(|(x, y)| x != y) {
            return Ok(Some(at + i as u64));
        }
        at += n as u64;
    }
    Ok(None)
}

/// The first byte at which two regular files differ (`None` when their bytes are equal),
/// streaming with fixed buffers: memory does not grow with the files. The same inode is
/// trivially equal; large files of equal length are scanned as two halves in parallel.
pub(crate) fn first_difference(a: &Path, b: &Path) -> std::io::Result<Option<u64>> {
    use std::os::unix::fs::MetadataExt;
    let fa = crate::fsio::open_regular(a)?;
    let fb = crate::fsio::open_regular(b)?;
    let (ma, mb) = (fa.metadata()?, fb.metadata()?);
    if ma.dev() == mb.dev() && ma.ino() == mb.ino() {
        return Ok(None);
    }
    let (la, lb) = (ma.len(), mb.len());
    let common = la.min(lb);
    const SPLIT_ABOVE: u64 = 4 << 20;
    let found = if la == lb && la >= SPLIT_ABOVE {
        let mid = la / 2;
        let (first, second) = rayon::join(
            || first_in_range(&fa, &fb, 0, mid),
            || first_in_range(&fa, &fb, mid, la),
        );
        first?.or(second?)
    } else {
        first_in_range(&fa, &fb, 0, common)?
    };
    Ok(found.or((la != lb).then_some(common)))
}

/// The difference between two plain files (not archives): a text diff or hex window when both
/// are small enough to hold, else a hex window read around the first differing byte.
pub(crate) fn file_difference(
    loc: &str,
    a: &Path,
    b: &Path,
    options: &DiffOptions,
) -> std::io::Result<Difference> {
    let fa = crate::fsio::open_regular(a)?;
    let fb = crate::fsio::open_regular(b)?;
    let (la, lb) = (fa.metadata()?.len(), fb.metadata()?.len());
    // ELF objects are read whole up to the member cap, so the section of a difference is named.
    let cap = if la.max(lb) <= options.max_member_bytes && is_elf(&fa)? && is_elf(&fb)? {
        options.max_member_bytes
    } else {
        MAX_TEXT_BYTES as u64
    };
    if la.max(lb) <= cap {
        let mut da = Vec::with_capacity(la as usize);
        let mut db = Vec::with_capacity(lb as usize);
        (&fa).take(cap).read_to_end(&mut da)?;
        (&fb).take(cap).read_to_end(&mut db)?;
        return Ok(content_difference(loc, &da, &db, options));
    }
    let first = first_difference(a, b)?.unwrap_or(la.min(lb));
    Ok(Difference::new(
        loc,
        Kind::Content,
        format!("content differs ({la} → {lb} bytes; first difference at byte {first})"),
    )
    .with_detail(Some(file_hex_window(&fa, &fb, first, (la, lb))?)))
}

/// Whether a file starts with the ELF magic (a positioned read: the file's offset is kept).
fn is_elf(f: &std::fs::File) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let mut magic = [0u8; 4];
    Ok(f.read_at(&mut magic, 0)? == 4 && &magic == b"\x7fELF")
}

/// The difference between two archives whose bytes differ where their members, headers and
/// fields do not: named by the first differing byte.
pub(crate) fn unexplained(
    loc: &str,
    a: &Path,
    b: &Path,
    first: u64,
) -> std::io::Result<Difference> {
    let fa = crate::fsio::open_regular(a)?;
    let fb = crate::fsio::open_regular(b)?;
    let lens = (fa.metadata()?.len(), fb.metadata()?.len());
    Ok(Difference::new(
        loc,
        Kind::Bytes,
        format!(
            "bytes differ from byte {first} on ({} → {} bytes), where no member, header or \
             field explains it",
            lens.0, lens.1
        ),
    )
    .with_detail(Some(file_hex_window(&fa, &fb, first, lens)?)))
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A bounded preview of an added or removed member.
pub fn preview(data: &[u8], max_lines: usize) -> String {
    if is_text(data) {
        let text = std::str::from_utf8(data).unwrap_or_default();
        let mut out: String = text
            .lines()
            .take(max_lines.min(40))
            .map(|l| format!("  {l}\n"))
            .collect();
        let n = text.lines().count();
        if n > max_lines.min(40) {
            let _ = writeln!(out, "  … ({} more lines)", n - max_lines.min(40));
        }
        out
    } else {
        format!(
            "  binary, {} bytes, sha256 {}\n",
            data.len(),
            crate::digest::sha256(data).hex()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_diff_is_unified_and_capped() {
        let a = "one\ntwo\nthree\n";
        let b = "one\nTWO\nthree\n";
        let d = text_diff(a, b, 100);
        assert!(d.contains("-two\n+TWO"), "{d}");
        let big_a: String = (0..1000).map(|i| format!("{i}\n")).collect();
        let big_b: String = (0..1000).map(|i| format!("{}\n", i * 7)).collect();
        let d = text_diff(&big_a, &big_b, 10);
        assert!(d.lines().count() == 11 && d.contains("more lines"), "{d}");
    }

    #[test]
    fn hex_window_points_at_the_first_difference() {
        let a = vec![0u8; 64];
        let mut b = a.clone();
        b[40] = 0xff;
        let w = hex_window(&a, &b);
        assert!(w.starts_with("first difference at byte 40"), "{w}");
        assert!(w.contains("ff"), "{w}");
    }

    /// Each row shows its bytes as ASCII, and the line under a pair of rows marks the bytes
    /// that differ, in the hex and in the ASCII column.
    #[test]
    fn hex_window_has_an_ascii_column_and_marks_the_differing_bytes() {
        let a = b"header\0\0/tmp/pip-build-abc/pkg/mod.py\0tail".to_vec();
        let mut b = a.clone();
        let at = a.windows(3).position(|w| w == b"abc").unwrap();
        b[at..at + 3].copy_from_slice(b"xyz");
        let w = hex_window(&a, &b);
        let lines: Vec<&str> = w.lines().collect();
        assert_eq!(
            lines,
            vec![
                "first difference at byte 23 = 0x17 (A 42 bytes, B 42 bytes)",
                "00000000  A  68 65 61 64 65 72 00 00  2f 74 6d 70 2f 70 69 70  |header../tmp/pip|",
                "00000000  B  68 65 61 64 65 72 00 00  2f 74 6d 70 2f 70 69 70  |header../tmp/pip|",
                "00000010  A  2d 62 75 69 6c 64 2d 61  62 63 2f 70 6b 67 2f 6d  |-build-abc/pkg/m|",
                "00000010  B  2d 62 75 69 6c 64 2d 78  79 7a 2f 70 6b 67 2f 6d  |-build-xyz/pkg/m|",
                "                                  ^^  ^^ ^^                            ^^^",
                "00000020  A  6f 64 2e 70 79 00 74 61  69 6c                    |od.py.tail      |",
                "00000020  B  6f 64 2e 70 79 00 74 61  69 6c                    |od.py.tail      |",
            ]
        );
        // A side that ends early shows `(end)` and its missing bytes are marked.
        let w = hex_window(&a[..20], &a);
        assert!(w.contains("00000010  A  2d 62 75 69"), "{w}");
        assert!(w.contains("^^ ^^ ^^ ^^"), "{w}");
    }

    #[test]
    fn host_paths_and_data_are_named_before_the_diff() {
        let a = br#"{"path": "/home/alice/src", "v": 1}"#;
        let b = br#"{"v": 1, "path": "/home/runner/src"}"#;
        let d = content_difference("info.json", a, b, &DiffOptions::default());
        assert!(
            d.summary.ends_with("; JSON value differs at $.path"),
            "{}",
            d.summary
        );
        let detail = d.detail.unwrap();
        let lines: Vec<&str> = detail.lines().take(4).collect();
        assert_eq!(
            lines,
            vec![
                "host paths in A only: /home/alice/src",
                "host paths in B only: /home/runner/src",
                "JSON value differs at:",
                r#"  $.path: "/home/alice/src" in A, "/home/runner/src" in B"#,
            ]
        );
    }
}
