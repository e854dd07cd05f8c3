//! Content differences: a unified diff for text, a hex window for binaries.

use std::fmt::Write as _;
use std::io::Read;
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
    let row = |data: &[u8], off: usize| -> String {
        let end = (off + 16).min(data.len());
        if off >= data.len() {
            return String::from("(end)");
        }
        data[off..end]
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = format!(
        "first difference at byte {first} (A {} bytes, B {} bytes)\n",
        a.len(),
        b.len()
    );
    for off in (start..start + 48).step_by(16) {
        if off >= a.len() && off >= b.len() {
            break;
        }
        let _ = writeln!(out, "{off:08x}  A: {}", row(a, off));
        let _ = writeln!(out, "{off:08x}  B: {}", row(b, off));
    }
    out
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

/// Whether the byte ranges `start..end` of two files are equal (positioned reads, so two
/// threads can compare different ranges of the same open files).
pub(crate) fn ranges_equal(
    a: &std::fs::File,
    b: &std::fs::File,
    start: u64,
    end: u64,
) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    const CHUNK: u64 = 256 * 1024;
    let (mut ba, mut bb) = (vec![0u8; CHUNK as usize], vec![0u8; CHUNK as usize]);
    let mut at = start;
    while at < end {
        let n = (end - at).min(CHUNK) as usize;
        a.read_exact_at(&mut ba[..n], at)?;
        b.read_exact_at(&mut bb[..n], at)?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
        at += n as u64;
    }
    Ok(true)
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
