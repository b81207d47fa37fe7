//! One histogram of an interval log decoded with a bounded cost.
//!
//! hdrhistogram's `Deserializer` sizes the histogram's counts array from
//! the header (significant digits, lowest and highest trackable value) and
//! its payload buffer from the header's payload length, both before it
//! reads the payload: a line of ~100 bytes declaring 5 significant digits
//! over 1..2^63 holds ~48 MiB, one declaring a payload of 2^32 - 1 bytes
//! asks for 4 GiB. So the header is read here first (the V2 encoding,
//! HdrHistogram's `EncodableHistogram`: cookie `0x1c849313`, payload
//! length, normalizing index offset, significant digits, lowest
//! discernible value, highest trackable value, integer-to-double ratio,
//! all big-endian, 40 bytes; `0x1c849314` wraps it deflated after a
//! cookie and a compressed length) and a histogram is refused unless it
//! has pace's precision: [`SIGFIG`] significant digits from [`LOWEST`]
//! (what `Histogram::new(2)` writes, the aggregate's interval histograms).
//! At that precision the counts array has at most [`MAX_COUNTS`] entries
//! whatever the highest value (at most 8 bytes each), so the histogram and
//! its payload (at most 9 bytes per entry) are bounded by a fixed amount.

use flate2::read::ZlibDecoder;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use std::io::Read;

/// Significant digits of the histograms pace writes (the aggregate's and
/// the merge's interval histograms, `Histogram::new(2)`).
pub const SIGFIG: u8 = 2;
/// Lowest discernible value of the histograms pace writes, microseconds
/// (`Histogram::new`'s).
pub const LOWEST: u64 = 1;
/// Entries of the counts array at [`SIGFIG`] from [`LOWEST`] up to
/// `u64::MAX` (7,424: 57 buckets of 128 sub-buckets plus the first's
/// lower half, hdrhistogram's layout; the unit test measures it): the most
/// a histogram read here allocates, 58 KiB at 8 bytes per count.
pub const MAX_COUNTS: usize = 7424;
/// The longest payload of such a histogram: every count a 9-byte LEB128.
pub const MAX_PAYLOAD: usize = 9 * MAX_COUNTS;

/// The cookies hdrhistogram's `Deserializer` accepts (the V2 base
/// cookies with the word size 8 in bits 4..8, as every HdrHistogram writes).
const V2_COOKIE: u32 = 0x1c84_9303 | 0x10;
const V2_DEFLATE_COOKIE: u32 = 0x1c84_9304 | 0x10;
const HEADER: usize = 40;

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn be_u64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// The histogram of `raw` (V2 or V2-deflate bytes, base64 decoded).
///
/// Errors (one line, to follow "line N: "): the bytes are cut short or
/// inflate to more than a histogram of pace's precision can hold, the
/// header declares another precision or a payload longer than the bytes
/// hold, or the payload does not decode. Allocates at most the inflated
/// bytes (at most 40 + [`MAX_PAYLOAD`] + 1) and one histogram of
/// [`MAX_COUNTS`] counts.
pub fn histogram(de: &mut Deserializer, raw: &[u8]) -> Result<Histogram<u64>, String> {
    if raw.len() < 8 {
        return Err(format!(
            "its histogram is {} bytes, cut short (a header is {HEADER})",
            raw.len()
        ));
    }
    let inflated;
    let v2: &[u8] = match be_u32(raw, 0) {
        V2_COOKIE => raw,
        V2_DEFLATE_COOKIE => {
            let len = u64::from(be_u32(raw, 4));
            let limit = (HEADER + MAX_PAYLOAD) as u64;
            let mut buf = Vec::new();
            ZlibDecoder::new((&raw[8..]).take(len))
                .take(limit + 1)
                .read_to_end(&mut buf)
                .map_err(|e| format!("its histogram does not inflate: {e}"))?;
            if buf.len() as u64 > limit {
                return Err(format!(
                    "its histogram inflates to more than {limit} bytes, more than a histogram of {SIGFIG} significant digits holds"
                ));
            }
            inflated = buf;
            &inflated
        }
        c => {
            return Err(format!(
                "its histogram is not HdrHistogram's V2 encoding (cookie {c:#010x})"
            ));
        }
    };
    if v2.len() < HEADER {
        return Err(format!(
            "its histogram is {} bytes, cut short (a header is {HEADER})",
            v2.len()
        ));
    }
    if be_u32(v2, 0) != V2_COOKIE {
        return Err(format!(
            "its deflated histogram is not HdrHistogram's V2 encoding (cookie {:#010x})",
            be_u32(v2, 0)
        ));
    }
    let payload = be_u32(v2, 4) as usize;
    let (sigfig, lowest, highest) = (be_u32(v2, 12), be_u64(v2, 16), be_u64(v2, 24));
    if sigfig != u32::from(SIGFIG) || lowest != LOWEST {
        return Err(format!(
            "its histogram has {sigfig} significant digits from {lowest} (up to {highest}); pace writes {SIGFIG} from {LOWEST}: not a histogram of a pace shard"
        ));
    }
    if payload > v2.len() - HEADER {
        return Err(format!(
            "its histogram declares a payload of {payload} bytes but holds {}",
            v2.len() - HEADER
        ));
    }
    de.deserialize(&mut &v2[..])
        .map_err(|e| format!("its histogram does not decode: {e}"))
}
