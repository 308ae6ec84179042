//! A cheap look at what an untrusted change chunk *declares* before Automerge parses it.
//!
//! Automerge stores a change's operations in run-length-encoded columns. A run is a count and one
//! value, so a few bytes can declare 2^40 operations (the parser loops for days) or 2^31
//! predecessors of one operation (the parser pushes them into one vector until allocation fails,
//! which aborts the process; `catch_unwind` cannot help). This module walks the chunk's header and
//! every column's runs without materialising a single declared item: the cost is one pass over
//! the bytes, and nothing is allocated. The caller then compares the totals with bounds tied to
//! the chunk's length (see [`Bounds`]).
//!
//! The layout (Automerge's binary format, change chunk):
//!
//! ```text
//! magic(4) checksum(4) type(1)=1 | length uLEB | deps: count uLEB, 32 bytes each
//! | actor: len uLEB, bytes | seq uLEB | start_op uLEB (not 0) | time sLEB
//! | message: len uLEB, UTF-8 | other actors: count uLEB, each len uLEB + bytes
//! | columns: count uLEB, each (spec uLEB u32, data length uLEB) | column data | extra bytes
//! ```
//!
//! A column spec is `id << 4 | deflate << 3 | type`. Types and their encodings:
//! group, actor, integer, value metadata: RLE of uLEB values; delta: RLE of sLEB values;
//! string: RLE of (uLEB length, bytes); boolean: alternating run lengths (uLEB), starting with
//! false; value: raw bytes, read only through the value metadata. An RLE column is a sequence of
//! runs: sLEB count > 0 then one value repeated count times; count < 0 then -count literal values;
//! count = 0 then a uLEB number of nulls.

use std::cmp::Ordering;

use crate::change::{ChangeProblem, HEADER_LEN};

/// Column types (the low three bits of a column spec; 1, actor, is RLE of uLEB like integer).
const GROUP: u32 = 0;
const INTEGER: u32 = 2;
const DELTA: u32 = 3;
const BOOLEAN: u32 = 4;
const STRING: u32 = 5;
const VALUE_META: u32 = 6;
const VALUE: u32 = 7;
const DEFLATE: u32 = 0b1000;
/// Column metadata kept on the stack while the column data is found; a change with more columns
/// (Automerge writes about fifteen) has its metadata read twice instead.
const COLUMNS_KEPT: usize = 32;

/// The column ids whose totals we bound: every change op has one action, and the predecessor
/// group says how many predecessors each op lists.
const ACTION_ID: u32 = 4;
const PRED_ID: u32 = 7;

/// What a change chunk declares, added up without decoding any item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Declared {
    /// Operations: the length of the action column, which drives Automerge's op loop.
    pub ops: u64,
    /// Predecessor references, summed over all ops (the predecessor group column).
    pub preds: u64,
    /// Value bytes, summed over all ops (the value metadata column).
    pub value_bytes: u64,
    /// The most entries (ops, nulls, booleans, predecessor ids) any one column declares.
    pub largest_column: u64,
}

/// The limits a change of a given length must respect.
///
/// Porchlight's writers never make a change with more ops than bytes: every op carries a key
/// string or a value of at least one byte (see the `honest_changes_stay_within_bounds` test,
/// which prints the ratios for every record kind; the worst is well under 1 op per byte). Automerge's
/// run-length encoding lets honest changes pack a little denser (a run of deletions costs a few
/// bytes), so we allow 8 ops per byte plus a small constant for tiny changes, and never more
/// than 100,000 ops in one change: that caps the parser's work at a few milliseconds whatever
/// the byte limit. Predecessors get the same bound (an honest op has at most a handful, usually
/// one or none). Value bytes live in the chunk itself, so an honest change can never declare more
/// value bytes than it is long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub max_ops: u64,
    pub max_preds: u64,
    pub max_value_bytes: u64,
}

/// The hard cap on declared ops (and predecessors) for any change, whatever its length.
pub const MAX_OPS: u64 = 100_000;

impl Bounds {
    pub fn for_len(len: usize) -> Self {
        let len = len as u64;
        let per_len = len.saturating_mul(8).saturating_add(256).min(MAX_OPS);
        Self {
            max_ops: per_len,
            max_preds: per_len,
            max_value_bytes: len,
        }
    }

    /// Refuses declared totals outside these bounds.
    pub fn check(&self, d: &Declared) -> Result<(), ChangeProblem> {
        if d.ops > self.max_ops {
            return Err(ChangeProblem::TooManyOps {
                declared: d.ops,
                max: self.max_ops,
            });
        }
        if d.preds > self.max_preds {
            return Err(ChangeProblem::TooManyPreds {
                declared: d.preds,
                max: self.max_preds,
            });
        }
        if d.value_bytes > self.max_value_bytes {
            return Err(ChangeProblem::TooManyValueBytes {
                declared: d.value_bytes,
                max: self.max_value_bytes,
            });
        }
        Ok(())
    }
}

/// Walks a change chunk (the whole chunk, header included; the caller has already checked the
/// magic bytes and that the type is "change") and adds up what it declares. Stops early, with
/// the matching [`ChangeProblem`], as soon as a total passes the bounds for the chunk's length,
/// so even the walk's own time is bounded by the bytes it reads.
pub fn declared(chunk: &[u8]) -> Result<Declared, ChangeProblem> {
    let bounds = Bounds::for_len(chunk.len());
    let mut r = Reader::new(
        chunk
            .get(HEADER_LEN..)
            .ok_or(malformed("truncated header"))?,
    );
    let body_len = r.uleb()?;
    if body_len != r.remaining() as u64 {
        return Err(malformed(
            "the chunk length does not match the bytes that follow",
        ));
    }
    let deps = r.uleb()?;
    r.skip_n(deps, 32, "dependency hashes")?;
    r.bytes_with_len("actor id")?;
    // The seq and the time are Automerge's to judge; only where they end matters here.
    r.skip_numbers(1)?; // seq
    let start_op = r.uleb()?;
    if start_op == 0 {
        return Err(malformed("the start op is 0"));
    }
    r.skip_numbers(1)?; // time
    r.bytes_with_len("message")?;
    let others = r.uleb()?;
    if others > r.remaining() as u64 {
        return Err(malformed("more other actors than bytes"));
    }
    for _ in 0..others {
        r.bytes_with_len("other actor id")?;
    }

    let count = r.uleb()?;
    // Each column's metadata takes at least two bytes.
    if count > r.remaining() as u64 / 2 {
        return Err(malformed("more columns than bytes"));
    }
    // The metadata is kept on the stack (Automerge writes about fifteen columns), or read again
    // when there are more: a change is checked on every push, and an allocation per change
    // shows there.
    let mut kept = [(0u32, 0u64); COLUMNS_KEPT];
    let mut reread = (count > COLUMNS_KEPT as u64).then_some(r);
    let mut total: u64 = 0;
    for i in 0..count {
        let (spec, len) = column_meta(&mut r)?;
        if spec & DEFLATE != 0 {
            return Err(malformed("a compressed column"));
        }
        total = total.saturating_add(len);
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| kept.get_mut(i)) {
            *slot = (spec, len);
        }
    }
    if total > r.remaining() as u64 {
        return Err(malformed("the columns are longer than the chunk"));
    }

    let mut out = Declared::default();
    let (mut pred_group, mut pred_ctr): (&[u8], &[u8]) = (&[], &[]);
    let mut kept = kept.into_iter();
    for _ in 0..count {
        let (spec, len) = match &mut reread {
            Some(metas) => column_meta(metas)?,
            None => kept.next().unwrap_or_default(),
        };
        // Cannot fail: the lengths were summed and compared with what is left above.
        let data = r.take(len as usize, "column data")?;
        let kind = (spec >> 4, spec & 0b111);
        let tally = walk(kind.1, data, bounds.max_ops).map_err(|e| match (kind, e) {
            // The action column's entries are the ops: say so.
            ((ACTION_ID, INTEGER), ChangeProblem::TooManyEntries { declared, max }) => {
                ChangeProblem::TooManyOps { declared, max }
            }
            (_, e) => e,
        })?;
        out.largest_column = out.largest_column.max(tally.items);
        match kind {
            (ACTION_ID, INTEGER) => out.ops = out.ops.saturating_add(tally.items),
            (PRED_ID, GROUP) => {
                out.preds = out.preds.saturating_add(tally.weight);
                pred_group = data;
            }
            (PRED_ID, DELTA) => pred_ctr = data,
            (_, VALUE_META) => out.value_bytes = out.value_bytes.saturating_add(tally.weight),
            _ => {}
        }
        bounds.check(&out)?;
    }
    // Whatever follows the columns is Automerge's "extra bytes", kept verbatim and never decoded.
    check_pred_order(start_op, pred_group, pred_ctr)?;
    Ok(out)
}

/// One column's metadata: its spec and the length of its data.
#[allow(clippy::inline_always)] // measured: see `Reader::uleb`
#[inline(always)]
fn column_meta(r: &mut Reader<'_>) -> Result<(u32, u64), ChangeProblem> {
    let spec = u32::try_from(r.uleb()?).map_err(|_| malformed("a column spec over 32 bits"))?;
    Ok((spec, r.uleb()?))
}

/// Op counters are Lamport clocks: whatever an op overwrites or deletes was seen before the op
/// was made, so every predecessor has a smaller counter than the op. Automerge 0.12 accepts a
/// change that breaks this (an op listing itself, say) and then panics whenever it re-encodes the
/// document, so such a change would take down whoever applied it (found by the `check_change`
/// fuzz target). The walk is bounded: the counts were checked above.
fn check_pred_order(start_op: u64, group: &[u8], ctr: &[u8]) -> Result<(), ChangeProblem> {
    let mut counts = Runs::new(group, false);
    let mut deltas = Runs::new(ctr, true);
    let mut counter: i64 = 0;
    let mut op = start_op;
    while let Some(n) = counts.next_item()? {
        for _ in 0..n.max(0) {
            // A missing or null counter is Automerge's to refuse.
            let Some(delta) = deltas.next_item()? else {
                return Ok(());
            };
            counter = counter.saturating_add(delta);
            if let Ok(pred) = u64::try_from(counter)
                && pred >= op
            {
                return Err(ChangeProblem::PredNotBefore { op, pred });
            }
        }
        op = op.saturating_add(1);
        if n == 0 {
            // The ops after it in a run of ops without predecessors (most of a new record's).
            op = op.saturating_add(counts.take_zero_run());
        }
    }
    Ok(())
}

/// The items of an RLE column of integers, one at a time (`None` for a null).
struct Runs<'a> {
    r: Reader<'a>,
    signed: bool,
    left: u64,
    literal: bool,
    value: Option<i64>,
}

impl<'a> Runs<'a> {
    fn new(data: &'a [u8], signed: bool) -> Self {
        Self {
            r: Reader::new(data),
            signed,
            left: 0,
            literal: false,
            value: None,
        }
    }

    fn read(&mut self) -> Result<i64, ChangeProblem> {
        if self.signed {
            self.r.sleb()
        } else {
            // Counts beyond i64 were refused by the bounds already.
            Ok(i64::try_from(self.r.uleb()?).unwrap_or(i64::MAX))
        }
    }

    /// When the items ahead are the rest of a run of one repeated 0 (or of nulls), takes them all
    /// at once and says how many; otherwise takes nothing.
    fn take_zero_run(&mut self) -> u64 {
        if self.literal || self.value.unwrap_or(0) != 0 {
            return 0;
        }
        std::mem::take(&mut self.left)
    }

    /// The next item (a null reads as 0: Automerge refuses nulls here anyway), `None` at the end.
    fn next_item(&mut self) -> Result<Option<i64>, ChangeProblem> {
        while self.left == 0 {
            if self.r.is_empty() {
                return Ok(None);
            }
            let count = self.r.sleb()?;
            self.left = count.unsigned_abs();
            self.literal = count < 0;
            self.value = match count {
                0 => {
                    self.left = self.r.uleb()?;
                    None
                }
                c if c > 0 => Some(self.read()?),
                _ => None,
            };
        }
        self.left -= 1;
        if self.literal {
            Ok(Some(self.read()?))
        } else {
            Ok(Some(self.value.unwrap_or(0)))
        }
    }
}

/// A column's entry count and, for group and value metadata columns, its summed weight
/// (predecessors per op, value bytes per op).
#[derive(Default)]
struct Tally {
    items: u64,
    weight: u64,
}

impl Tally {
    fn add(&mut self, items: u64, weight_each: u64, cap: u64) -> Result<(), ChangeProblem> {
        self.items = self.items.saturating_add(items);
        self.weight = self
            .weight
            .saturating_add(items.saturating_mul(weight_each));
        self.within(cap)
    }

    /// `items` literal entries whose weights add up to `weight`.
    fn add_literals(&mut self, items: u64, weight: u64, cap: u64) -> Result<(), ChangeProblem> {
        self.items = self.items.saturating_add(items);
        self.weight = self.weight.saturating_add(weight);
        self.within(cap)
    }

    fn within(&self, cap: u64) -> Result<(), ChangeProblem> {
        if self.items > cap {
            return Err(ChangeProblem::TooManyEntries {
                declared: self.items,
                max: cap,
            });
        }
        Ok(())
    }
}

fn walk(col_type: u32, data: &[u8], cap: u64) -> Result<Tally, ChangeProblem> {
    // One loop per column type, so that the per-value choice is made when compiling.
    match col_type {
        // Raw value bytes: read only as far as the metadata says, by slicing.
        VALUE => Ok(Tally::default()),
        BOOLEAN => {
            let mut r = Reader::new(data);
            let mut tally = Tally::default();
            while !r.is_empty() {
                let run = r.uleb()?;
                tally.add(run, 0, cap)?;
            }
            Ok(tally)
        }
        GROUP => walk_runs::<GROUP>(data, cap),
        VALUE_META => walk_runs::<VALUE_META>(data, cap),
        DELTA => walk_runs::<DELTA>(data, cap),
        STRING => walk_runs::<STRING>(data, cap),
        // Actor and integer: uLEB values.
        _ => walk_runs::<INTEGER>(data, cap),
    }
}

/// An RLE column of type `T`: runs of one repeated value, literal runs and null runs.
fn walk_runs<const T: u32>(data: &[u8], cap: u64) -> Result<Tally, ChangeProblem> {
    let mut r = Reader::new(data);
    let mut tally = Tally::default();
    while !r.is_empty() {
        let count = r.sleb()?;
        match count.cmp(&0) {
            Ordering::Greater => {
                let weight = r.value::<T>()?;
                tally.add(count.unsigned_abs(), weight, cap)?;
            }
            Ordering::Less => {
                let n = count.unsigned_abs();
                // Every literal value takes at least one byte.
                if n > r.remaining() as u64 {
                    return Err(malformed("a literal run longer than its column"));
                }
                let weight = r.literals::<T>(n)?;
                tally.add_literals(n, weight, cap)?;
            }
            Ordering::Equal => {
                let nulls = r.uleb()?;
                tally.add(nulls, 0, cap)?;
            }
        }
    }
    Ok(tally)
}

fn malformed(why: &'static str) -> ChangeProblem {
    ChangeProblem::Malformed(why)
}

/// A cursor over untrusted bytes. Every read checks the length first.
#[derive(Clone, Copy)]
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn remaining(&self) -> usize {
        self.bytes.len()
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ChangeProblem> {
        if n > self.bytes.len() {
            return Err(ChangeProblem::Malformed(what));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn skip_n(&mut self, count: u64, size: u64, what: &'static str) -> Result<(), ChangeProblem> {
        let n = count.saturating_mul(size);
        let n = usize::try_from(n).map_err(|_| malformed(what))?;
        self.take(n, what).map(|_| ())
    }

    fn bytes_with_len(&mut self, what: &'static str) -> Result<&'a [u8], ChangeProblem> {
        let len = self.uleb()?;
        let len = usize::try_from(len).map_err(|_| malformed(what))?;
        self.take(len, what)
    }

    fn byte(&mut self) -> Result<u8, ChangeProblem> {
        let (&b, rest) = self
            .bytes
            .split_first()
            .ok_or(malformed("a number runs past the end"))?;
        self.bytes = rest;
        Ok(b)
    }

    /// Unsigned LEB128 of at most 64 bits, in its shortest form (as Automerge writes it).
    // Always inlined, like `sleb`, `value` and `column_meta`: left to the compiler they were
    // calls, and the pre-check took 4.4 µs for the bench's 17 changes instead of 2.9 µs (P10).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn uleb(&mut self) -> Result<u64, ChangeProblem> {
        // Most numbers in a change (counts, lengths, small values) fit in one byte, and most of
        // the rest (column specs, column lengths) in two.
        match *self.bytes {
            [b, ..] if b < 0x80 => {
                self.bytes = &self.bytes[1..];
                Ok(u64::from(b))
            }
            // A second byte of 0 would be an overlong encoding: the long path refuses it.
            [b0, b1, ..] if b1 < 0x80 && b1 != 0 => {
                self.bytes = &self.bytes[2..];
                Ok(u64::from(b0 & 0x7f) | u64::from(b1) << 7)
            }
            _ => self.uleb_long(),
        }
    }

    fn uleb_long(&mut self) -> Result<u64, ChangeProblem> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err(malformed("a number over 64 bits"));
            }
            value |= bits << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(malformed("a number in an overlong encoding"));
                }
                return Ok(value);
            }
        }
        Err(malformed("a number over 64 bits"))
    }

    /// Signed LEB128 of at most 64 bits, in its shortest form.
    #[allow(clippy::inline_always)] // measured: see `uleb`
    #[inline(always)]
    fn sleb(&mut self) -> Result<i64, ChangeProblem> {
        match self.bytes.split_first() {
            Some((&b, rest)) if b < 0x80 => {
                self.bytes = rest;
                // Bit 6 of a last byte is the sign.
                Ok(i64::from(b) - if b & 0x40 != 0 { 0x80 } else { 0 })
            }
            _ => self.sleb_long(),
        }
    }

    fn sleb_long(&mut self) -> Result<i64, ChangeProblem> {
        let mut value: i64 = 0;
        let mut prev: u8 = 0;
        for i in 0..10 {
            let b = self.byte()?;
            if i == 9 && b != 0 && b != 0x7f {
                return Err(malformed("a number over 64 bits"));
            }
            value |= i64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                // A last byte that only repeats the previous byte's sign bit is wasted.
                if i > 0 && ((b == 0 && prev & 0x40 == 0) || (b == 0x7f && prev & 0x40 != 0)) {
                    return Err(malformed("a number in an overlong encoding"));
                }
                let shift = 7 * (i + 1);
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
            prev = b;
        }
        Err(malformed("a number over 64 bits"))
    }

    /// Skips one RLE value of `col_type` and returns its weight: the count itself for a group
    /// column, the value's byte length for value metadata, 0 otherwise.
    #[allow(clippy::inline_always)] // measured: see `uleb`
    #[inline(always)]
    fn value<const T: u32>(&mut self) -> Result<u64, ChangeProblem> {
        match T {
            GROUP => self.uleb(),
            VALUE_META => Ok(self.uleb()? >> 4),
            DELTA => self.sleb().map(|_| 0),
            // Automerge decodes a string by allocating its declared length first (up to 1 GB),
            // so a string must fit in what is left of its column.
            STRING => self
                .bytes_with_len("a string longer than its column")
                .map(|_| 0),
            _ => self.uleb().map(|_| 0),
        }
    }

    /// Skips `n` literal values of `col_type` (the caller checked that `n` is at most the bytes
    /// left) and returns their summed weight, as [`Reader::value`] would one at a time.
    fn literals<const T: u32>(&mut self, n: u64) -> Result<u64, ChangeProblem> {
        match T {
            GROUP | VALUE_META | STRING => {
                let mut weight: u64 = 0;
                for _ in 0..n {
                    weight = weight.saturating_add(self.value::<T>()?);
                }
                Ok(weight)
            }
            // Actor, integer and delta values carry no weight: only their extent matters, and a
            // number ends at its first byte below 0x80. Their encoding is Automerge's to judge
            // when it parses them.
            _ => self.skip_numbers(n).map(|()| 0),
        }
    }

    /// Moves past `n` (at least one) LEB128 numbers without decoding them.
    fn skip_numbers(&mut self, n: u64) -> Result<(), ChangeProblem> {
        let mut left = n;
        for (i, &b) in self.bytes.iter().enumerate() {
            if b < 0x80 {
                left -= 1;
                if left == 0 {
                    self.bytes = &self.bytes[i + 1..];
                    return Ok(());
                }
            }
        }
        Err(malformed("a number runs past the end"))
    }
}

#[cfg(test)]
mod tests;
