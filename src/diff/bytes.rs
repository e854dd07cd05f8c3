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

/// Rows of hex for windows of A and B that start at byte `start` of each.
fn hex_rows(wa: &[u8], wb: &[u8], start: u64, first: u64, (la, lb): (u64, u64)) -> String {
    let row = |data: &[u8], off: usize| -> String {
        if off >= data.len() {
            return String::from("(end)");
        }
        data[off..(off + 16).min(data.len())]
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = format!("first difference at byte {first} (A {la} bytes, B {lb} bytes)\n");
    for off in (0..48).step_by(16) {
        if off >= wa.len() && off >= wb.len() {
            break;
        }
        let at = start + off as u64;
        let _ = writeln!(out, "{at:08x}  A: {}", row(wa, off));
        let _ = writeln!(out, "{at:08x}  B: {}", row(wb, off));
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

/// The difference between two contents.
pub fn content_difference(loc: &str, a: &[u8], b: &[u8], options: &DiffOptions) -> Difference {
    let summary = format!(
        "content differs ({} → {} bytes, sha256 {} → {})",
        a.len(),
        b.len(),
        &crate::digest::sha256(a).hex()[..12],
        &crate::digest::sha256(b).hex()[..12]
    );
    let detail = if is_text(a) && is_text(b) {
        if a.len().max(b.len()) > MAX_TEXT_BYTES {
            format!(
                "text larger than {MAX_TEXT_BYTES} bytes: line diff skipped\n{}",
                hex_window(a, b)
            )
        } else {
            text_diff(
                std::str::from_utf8(a).unwrap_or_default(),
                std::str::from_utf8(b).unwrap_or_default(),
                options.max_lines,
            )
        }
    } else {
        hex_window(a, b)
    };
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
    if la.max(lb) <= MAX_TEXT_BYTES as u64 {
        let mut da = Vec::with_capacity(la as usize);
        let mut db = Vec::with_capacity(lb as usize);
        (&fa).take(MAX_TEXT_BYTES as u64).read_to_end(&mut da)?;
        (&fb).take(MAX_TEXT_BYTES as u64).read_to_end(&mut db)?;
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
}
