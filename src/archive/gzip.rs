//! Gzip streams (RFC 1952) read member by member, with every header field, trailer and
//! trailing byte accounted for.
//!
//! `gzip -d`, Python's `gzip` and GNU tar decompress *every* member of a multi-member file;
//! `flate2::read::GzDecoder` (and so cargo, reading a `.crate`) stops after the first. A second
//! member can therefore hide tar headers from one reader and show them to another. This reader
//! decompresses every member, as gzip does, and records the boundaries, each member's header,
//! trailer (CRC-32 and ISIZE, checked) and any bytes after the last member, as [`Anomaly`]s
//! where they are not plain.

use std::io::{self, BufRead, BufReader, Read};

use super::{Anomaly, Budget, Rule, WalkLimits};

/// Longest FNAME or FCOMMENT read from a gzip header (they are NUL-terminated and unbounded).
pub const MAX_HEADER_STRING: usize = 64 * 1024;

/// One gzip member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzipMember {
    /// Offset of its header in the file.
    pub offset: u64,
    /// The 10 fixed header bytes.
    pub fixed: Vec<u8>,
    /// FEXTRA, when present.
    pub extra: Option<Vec<u8>>,
    /// FNAME, when present.
    pub name: Option<Vec<u8>>,
    /// FCOMMENT, when present.
    pub comment: Option<Vec<u8>>,
    /// The trailer's CRC-32.
    pub crc: u32,
    /// The trailer's ISIZE.
    pub isize: u32,
    /// Offset just past its trailer.
    pub end: u64,
}

impl GzipMember {
    /// FLG.
    pub fn flags(&self) -> u8 {
        self.fixed[3]
    }
    /// MTIME.
    pub fn mtime(&self) -> u32 {
        u32::from_le_bytes(self.fixed[4..8].try_into().expect("4 bytes"))
    }
    /// XFL.
    pub fn xfl(&self) -> u8 {
        self.fixed[8]
    }
    /// OS.
    pub fn os(&self) -> u8 {
        self.fixed[9]
    }
}

/// What a gzip stream held besides its content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GzipInfo {
    /// Every member, in order.
    pub members: Vec<GzipMember>,
    /// Offset and length of bytes after the last member, and SHA-256 of them.
    pub trailing: Option<(u64, u64, String)>,
    /// What is not plain.
    pub anomalies: Vec<Anomaly>,
}

/// A `BufRead` that counts the bytes consumed from it.
struct Counted<R> {
    inner: BufReader<R>,
    consumed: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<R: Read> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.consumed += amt as u64;
        self.inner.consume(amt);
    }
}

enum State<R> {
    Header(Counted<R>),
    Body(Box<flate2::bufread::DeflateDecoder<Counted<R>>>),
    Done,
    Poisoned,
}

/// Decompresses every member of a gzip stream (see the module documentation).
pub struct GzipReader<'b, R> {
    state: State<R>,
    info: GzipInfo,
    current: Option<GzipMember>,
    hasher: crc32fast::Hasher,
    produced: u64,
    total: u64,
    limits: WalkLimits,
    budget: &'b Budget,
}

fn invalid(detail: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, detail.into())
}

fn read_byte(r: &mut impl Read) -> io::Result<u8> {
    let mut b = [0u8];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

fn read_string(r: &mut impl Read, what: &str) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        match read_byte(r)? {
            0 => return Ok(out),
            b if out.len() < MAX_HEADER_STRING => out.push(b),
            _ => {
                return Err(invalid(format!(
                    "the gzip {what} is longer than {MAX_HEADER_STRING} bytes"
                )));
            }
        }
    }
}

impl<'b, R: Read> GzipReader<'b, R> {
    /// A reader of the gzip stream `inner`, spending decompressed bytes from `budget` and
    /// checking the compression ratio against `limits`.
    pub fn new(inner: R, limits: &WalkLimits, budget: &'b Budget) -> Self {
        GzipReader {
            state: State::Header(Counted {
                inner: BufReader::with_capacity(64 * 1024, inner),
                consumed: 0,
            }),
            info: GzipInfo::default(),
            current: None,
            hasher: crc32fast::Hasher::new(),
            produced: 0,
            total: 0,
            limits: *limits,
            budget,
        }
    }

    /// What the stream held besides its content (complete once the reader returned 0).
    pub fn info(&self) -> &GzipInfo {
        &self.info
    }

    /// The anomalies so far.
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.info.anomalies
    }

    /// Consume the reader, returning what the stream held.
    pub fn into_info(self) -> GzipInfo {
        self.info
    }

    fn header(&mut self, mut src: Counted<R>) -> io::Result<()> {
        let offset = src.consumed;
        let mut fixed = vec![0u8; 10];
        src.read_exact(&mut fixed).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                invalid("truncated gzip header")
            } else {
                e
            }
        })?;
        if fixed[..2] != [0x1f, 0x8b] {
            return Err(invalid("not a gzip stream"));
        }
        if fixed[2] != 8 {
            return Err(invalid(format!(
                "gzip compression method {} (only deflate, 8, exists)",
                fixed[2]
            )));
        }
        let flg = fixed[3];
        if flg & 0xe0 != 0 {
            self.info.anomalies.push(Anomaly::new(
                Rule::GzipHeader,
                None,
                format!("reserved gzip flag bits set ({flg:#04x}): gzip refuses the file"),
            ));
        }
        let mut header_bytes = fixed.clone();
        let extra = if flg & 0x04 != 0 {
            let mut len = [0u8; 2];
            src.read_exact(&mut len)?;
            let mut data = vec![0u8; u16::from_le_bytes(len) as usize];
            src.read_exact(&mut data)?;
            header_bytes.extend_from_slice(&len);
            header_bytes.extend_from_slice(&data);
            Some(data)
        } else {
            None
        };
        let name = if flg & 0x08 != 0 {
            let s = read_string(&mut src, "file name")?;
            header_bytes.extend_from_slice(&s);
            header_bytes.push(0);
            Some(s)
        } else {
            None
        };
        let comment = if flg & 0x10 != 0 {
            let s = read_string(&mut src, "comment")?;
            header_bytes.extend_from_slice(&s);
            header_bytes.push(0);
            Some(s)
        } else {
            None
        };
        if flg & 0x02 != 0 {
            let mut crc16 = [0u8; 2];
            src.read_exact(&mut crc16)?;
            let want = (crc32fast::hash(&header_bytes) & 0xffff) as u16;
            if u16::from_le_bytes(crc16) != want {
                self.info.anomalies.push(Anomaly::new(
                    Rule::GzipHeader,
                    None,
                    "the gzip header CRC does not match the header: gzip refuses the file".into(),
                ));
            }
        }
        if !self.info.members.is_empty() {
            self.info.anomalies.push(Anomaly::new(
                Rule::GzipMembers,
                None,
                format!(
                    "a second gzip member starts at byte {offset}: gzip and Python read it, \
                     readers that stop after the first member (cargo, flate2's GzDecoder) do not"
                ),
            ));
        }
        self.current = Some(GzipMember {
            offset,
            fixed,
            extra,
            name,
            comment,
            crc: 0,
            isize: 0,
            end: 0,
        });
        self.hasher = crc32fast::Hasher::new();
        self.produced = 0;
        self.state = State::Body(Box::new(flate2::bufread::DeflateDecoder::new(src)));
        Ok(())
    }

    /// The deflate stream of the current member ended: read and check its trailer, then see
    /// what follows.
    fn trailer(&mut self, mut src: Counted<R>) -> io::Result<()> {
        let mut t = [0u8; 8];
        src.read_exact(&mut t).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                invalid("truncated: the gzip stream ends before its trailer")
            } else {
                e
            }
        })?;
        let mut member = self.current.take().expect("a member is open");
        member.crc = u32::from_le_bytes(t[..4].try_into().expect("4 bytes"));
        member.isize = u32::from_le_bytes(t[4..].try_into().expect("4 bytes"));
        member.end = src.consumed;
        let crc = std::mem::take(&mut self.hasher).finalize();
        if crc != member.crc || member.isize != self.produced as u32 {
            self.info.anomalies.push(Anomaly::new(
                Rule::GzipTrailer,
                None,
                format!(
                    "the gzip trailer says CRC-32 {:08x} and {} bytes, the content has {crc:08x} \
                     and {} (mod 2^32): every gzip reader refuses the file",
                    member.crc, member.isize, self.produced as u32
                ),
            ));
        }
        self.info.members.push(member);
        let next = src.fill_buf()?;
        if next.is_empty() {
            self.state = State::Done;
        } else if next.starts_with(&[0x1f, 0x8b]) {
            self.state = State::Header(src);
        } else {
            let offset = src.consumed;
            let mut hasher = crate::digest::StreamHasher::new(&[]);
            let mut nonzero = false;
            loop {
                let buf = src.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                nonzero |= buf.iter().any(|&b| b != 0);
                hasher.update(buf);
                let n = buf.len();
                src.consume(n);
            }
            let len = src.consumed - offset;
            self.info.anomalies.push(Anomaly::new(
                Rule::TrailingData,
                None,
                format!(
                    "{len} {} after the gzip stream: gzip warns and Python {} them, other readers stop",
                    if nonzero { "bytes" } else { "zero bytes" },
                    if nonzero { "refuses" } else { "skips" }
                ),
            ));
            self.info.trailing = Some((offset, len, hasher.finish().sha256));
            self.state = State::Done;
        }
        Ok(())
    }
}

impl<R: Read> Read for GzipReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.state, State::Poisoned) {
                State::Done => {
                    self.state = State::Done;
                    return Ok(0);
                }
                State::Poisoned => return Err(invalid("the gzip stream failed earlier")),
                State::Header(src) => self.header(src)?,
                State::Body(mut d) => {
                    let n = d
                        .read(buf)
                        .map_err(|e| invalid(format!("corrupt or truncated deflate data: {e}")))?;
                    if n == 0 {
                        self.trailer(d.into_inner())?;
                        continue;
                    }
                    let consumed = d.get_ref().consumed;
                    self.state = State::Body(d);
                    self.produced += n as u64;
                    self.total += n as u64;
                    self.hasher.update(&buf[..n]);
                    super::check_ratio(self.total, consumed, &self.limits)?;
                    self.budget.spend(n as u64)?;
                    return Ok(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(bytes: &[u8]) -> (io::Result<Vec<u8>>, GzipInfo) {
        let budget = Budget::new(1 << 30);
        let mut r = GzipReader::new(bytes, &WalkLimits::default(), &budget);
        let mut out = Vec::new();
        let res = r.read_to_end(&mut out).map(|_| out);
        (res, r.into_info())
    }

    #[test]
    fn reads_every_member_and_names_the_second() {
        let mut two = gz(b"hello ");
        two.extend(gz(b"world"));
        let (out, info) = read_all(&two);
        assert_eq!(out.unwrap(), b"hello world");
        assert_eq!(info.members.len(), 2);
        assert!(info.anomalies.iter().any(|a| a.rule == Rule::GzipMembers));
    }

    #[test]
    fn a_wrong_trailer_is_an_anomaly_not_an_error() {
        let mut one = gz(b"hello");
        let n = one.len();
        one[n - 1] ^= 1; // ISIZE
        let (out, info) = read_all(&one);
        assert_eq!(out.unwrap(), b"hello");
        assert_eq!(info.anomalies[0].rule, Rule::GzipTrailer);
    }

    #[test]
    fn trailing_bytes_are_recorded() {
        let mut one = gz(b"hello");
        one.extend([0, 0, 0, 7]);
        let (out, info) = read_all(&one);
        assert_eq!(out.unwrap(), b"hello");
        assert_eq!(info.anomalies[0].rule, Rule::TrailingData);
        assert_eq!(info.trailing.as_ref().unwrap().1, 4);
    }

    #[test]
    fn a_truncated_stream_is_an_error() {
        let one = gz(&[7u8; 5000]);
        let (out, _) = read_all(&one[..one.len() - 6]);
        assert!(out.is_err());
    }
}
