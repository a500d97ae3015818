//! A tree's index packed into one byte string: its ids, its entries' hashes
//! and the references between its entries ([`crate::slice`]).
//!
//! This is what a diff between two commits reads before any object body, so
//! it is laid out to be read fast: one `bytea` value, no per-element
//! headers, hashes as raw bytes. Layout (integers are LEB128 varints):
//!
//! ```text
//! u8 format (1) | n | n × (len, id bytes) | n × 32-byte SHA-256 | m | m × (from, to, u8 link)
//! ```
//!
//! Ids are in strictly ascending byte order (a tree's order); `from` and `to`
//! are positions among them.

use thiserror::Error;

use crate::slice::{self, Link};
use crate::tree::{Hashed, Tree};

const FORMAT: u8 = 1;

/// A packed index that cannot be read.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("a tree's packed index is malformed: {0}")]
pub struct Malformed(pub &'static str);

/// A tree's index, borrowed from its packed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index<'a> {
    /// Entry ids, ascending.
    pub ids: Vec<&'a str>,
    /// Each entry's SHA-256, by position.
    pub hashes: Vec<[u8; 32]>,
    /// `(from, to, link)` between positions.
    pub refs: Vec<(u32, u32, Link)>,
}

impl Index<'_> {
    /// The hash of the entry at `p` as stored elsewhere (lowercase hex).
    pub fn hash_hex(&self, p: usize) -> String {
        hex::encode(self.hashes[p])
    }
}

/// A lowercase hex SHA-256 as raw bytes (`None` if it is not one).
pub fn raw_hash(h: &str) -> Option<[u8; 32]> {
    let mut raw = [0u8; 32];
    hex::decode_to_slice(h, &mut raw).ok().map(|_| raw)
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Pack an index. `hashes` are lowercase hex SHA-256s; `ids` must ascend.
pub fn encode(
    ids: &[&str],
    hashes: &[&str],
    refs: &[(u32, u32, Link)],
) -> Result<Vec<u8>, Malformed> {
    if ids.len() != hashes.len() {
        return Err(Malformed("ids and hashes differ in number"));
    }
    if ids.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Malformed("ids are not in ascending order"));
    }
    let n = ids.len();
    if refs
        .iter()
        .any(|(f, t, _)| *f as usize >= n || *t as usize >= n)
    {
        return Err(Malformed("a reference points past the last entry"));
    }
    let id_bytes: usize = ids.iter().map(|i| i.len() + 1).sum();
    let mut out = Vec::with_capacity(8 + id_bytes + 32 * n + 5 * refs.len());
    out.push(FORMAT);
    put(&mut out, n as u64);
    for id in ids {
        put(&mut out, id.len() as u64);
        out.extend_from_slice(id.as_bytes());
    }
    let mut raw = [0u8; 32];
    for h in hashes {
        hex::decode_to_slice(h, &mut raw).map_err(|_| Malformed("a hash is not 64 hex digits"))?;
        out.extend_from_slice(&raw);
    }
    put(&mut out, refs.len() as u64);
    for (from, to, link) in refs {
        put(&mut out, u64::from(*from));
        put(&mut out, u64::from(*to));
        out.push(link.code() as u8);
    }
    Ok(out)
}

/// The packed index of `tree`, already hashed as `hashed`
/// ([`Tree::hashed`]), with the references between its entries
/// ([`slice::references`]).
pub fn pack(tree: &Tree, hashed: &Hashed<'_>) -> Result<Vec<u8>, Malformed> {
    let ids: Vec<&str> = hashed.entries.iter().map(|e| e.id.as_str()).collect();
    let hashes: Vec<&str> = hashed.entries.iter().map(|e| e.hash.as_str()).collect();
    if ids.len() != tree.entries.len() || !ids.iter().zip(tree.entries.keys()).all(|(a, b)| *a == b)
    {
        return Err(Malformed("the hashed tree is not the tree"));
    }
    encode(&ids, &hashes, &slice::references(tree))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], Malformed> {
        let end = self
            .at
            .checked_add(len)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(Malformed("truncated"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn varint(&mut self) -> Result<u64, Malformed> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Malformed("an integer is too long"))
    }

    fn count(&mut self, min_bytes_each: usize) -> Result<usize, Malformed> {
        let n = usize::try_from(self.varint()?).map_err(|_| Malformed("a count is too large"))?;
        // Each element takes at least `min_bytes_each` bytes: a count the
        // rest cannot hold is corrupt (and must not size an allocation).
        if n.saturating_mul(min_bytes_each) > self.bytes.len() - self.at {
            return Err(Malformed("a count exceeds the data"));
        }
        Ok(n)
    }
}

/// Read a packed index, checking its structure.
pub fn decode(bytes: &[u8]) -> Result<Index<'_>, Malformed> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(1)?[0] != FORMAT {
        return Err(Malformed("unknown format"));
    }
    let n = r.count(1 + 32)?;
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let len = usize::try_from(r.varint()?).map_err(|_| Malformed("an id is too long"))?;
        let id = std::str::from_utf8(r.take(len)?).map_err(|_| Malformed("an id is not UTF-8"))?;
        if ids.last().is_some_and(|prev: &&str| *prev >= id) {
            return Err(Malformed("ids are not in ascending order"));
        }
        ids.push(id);
    }
    let mut hashes = Vec::with_capacity(n);
    for _ in 0..n {
        let mut h = [0u8; 32];
        h.copy_from_slice(r.take(32)?);
        hashes.push(h);
    }
    let m = r.count(3)?;
    let mut refs = Vec::with_capacity(m);
    let position = |v: u64| -> Result<u32, Malformed> {
        u32::try_from(v)
            .ok()
            .filter(|p| (*p as usize) < n)
            .ok_or(Malformed("a reference points past the last entry"))
    };
    for _ in 0..m {
        let from = position(r.varint()?)?;
        let to = position(r.varint()?)?;
        let link = Link::from_code(i32::from(r.take(1)?[0])).ok_or(Malformed("unknown link"))?;
        refs.push((from, to, link));
    }
    if r.at != bytes.len() {
        return Err(Malformed("trailing bytes"));
    }
    Ok(Index { ids, hashes, refs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex_of(b: u8) -> String {
        hex::encode([b; 32])
    }

    #[test]
    fn round_trip_and_layout() {
        let ids = ["a", "b", "é"];
        let hashes: Vec<String> = (1..=3).map(hex_of).collect();
        let hashes: Vec<&str> = hashes.iter().map(String::as_str).collect();
        let refs = [
            (0, 1, Link::Depends),
            (2, 0, Link::Belongs),
            (1, 1, Link::Always),
        ];
        let bytes = encode(&ids, &hashes, &refs).unwrap();
        assert_eq!(bytes[..4], [1, 3, 1, b'a']);
        let ix = decode(&bytes).unwrap();
        assert_eq!(ix.ids, ids);
        assert_eq!(ix.hash_hex(2), hex_of(3));
        assert_eq!(ix.refs, refs);
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        let h = hex_of(7);
        assert!(encode(&["b", "a"], &[&h, &h], &[]).is_err());
        assert!(encode(&["a"], &["xyz"], &[]).is_err());
        assert!(encode(&["a"], &[&h], &[(0, 1, Link::Depends)]).is_err());
        let good = encode(&["a", "b"], &[&h, &h], &[(0, 1, Link::Depends)]).unwrap();
        // Every truncation, and a trailing byte, is an error, not a panic.
        for end in 0..good.len() {
            assert!(decode(&good[..end]).is_err(), "{end}");
        }
        let mut long = good.clone();
        long.push(0);
        assert!(decode(&long).is_err());
        // A huge count does not allocate.
        assert!(decode(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(
            ids in proptest::collection::btree_set("[a-z0-9:é]{0,12}", 0..40),
            seed in any::<u8>(),
            raw_refs in proptest::collection::vec((any::<u32>(), any::<u32>(), 0..3i32), 0..80),
        ) {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let hashes: Vec<String> = (0..ids.len()).map(|i| hex_of(seed.wrapping_add(i as u8))).collect();
            let hashes: Vec<&str> = hashes.iter().map(String::as_str).collect();
            let n = ids.len() as u32;
            let refs: Vec<(u32, u32, Link)> = if n == 0 { Vec::new() } else {
                raw_refs.iter().map(|(f, t, l)| (f % n, t % n, Link::from_code(*l).unwrap())).collect()
            };
            let bytes = encode(&ids, &hashes, &refs).unwrap();
            let ix = decode(&bytes).unwrap();
            prop_assert_eq!(&ix.ids, &ids);
            prop_assert_eq!(&ix.refs, &refs);
            for (p, h) in hashes.iter().enumerate() {
                prop_assert_eq!(&ix.hash_hex(p), h);
            }
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
        }
    }
}
