use std::time::{Duration, Instant};

use super::*;
use crate::check_change;
use crate::forge::{
    self, Parts, bomb_ops, bomb_preds, bomb_string, forged_preds, run_u, spec, uleb,
};

const MAX: usize = 1 << 20;

#[test]
fn honest_changes_stay_within_bounds() {
    for (name, bytes) in forge::honest_changes() {
        let d = declared(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The walk must agree with Automerge's own reading of the change.
        let parsed = automerge::Change::try_from(bytes.as_slice()).unwrap();
        let expanded = parsed.decode();
        let preds: usize = expanded.operations.iter().map(|o| o.pred.len()).sum();
        assert_eq!(d.ops, parsed.len() as u64, "{name}: ops");
        assert_eq!(d.preds, preds as u64, "{name}: preds");
        let b = Bounds::for_len(bytes.len());
        // Honest changes use a small part of what the bounds allow.
        assert!(d.ops * 4 <= b.max_ops, "{name}: {d:?} vs {b:?}");
        assert!(d.preds * 4 <= b.max_preds, "{name}: {d:?} vs {b:?}");
        assert!(d.value_bytes < b.max_value_bytes, "{name}: {d:?} vs {b:?}");
        println!(
            "{name:20} {:6} bytes {:4} ops {:4} preds {:6} value bytes  ops/byte {:.3}",
            bytes.len(),
            d.ops,
            d.preds,
            d.value_bytes,
            d.ops as f64 / bytes.len() as f64
        );
        check_change(&bytes, None, MAX).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn small_forged_changes_parse_so_the_bombs_reach_the_parser() {
    // The same encodings with small counts are valid changes: only the counts make them bombs.
    let few_preds = forged_preds(3, 4);
    assert_eq!(declared(&few_preds).unwrap().preds, 3);
    check_change(&few_preds, None, MAX).unwrap();
    let few_ops = bomb_ops(3);
    assert_eq!(declared(&few_ops).unwrap().ops, 3);
    assert_eq!(
        automerge::Change::try_from(few_ops.as_slice())
            .unwrap()
            .len(),
        3
    );
    check_change(&few_ops, None, MAX).unwrap();
}

fn refused_quickly(bytes: &[u8]) -> ChangeProblem {
    let start = Instant::now();
    let problem = check_change(bytes, None, MAX).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1), "{problem}");
    problem
}

#[test]
fn a_change_declaring_2_pow_31_preds_is_rejected_not_panicking() {
    let bomb = bomb_preds(1 << 31);
    assert_eq!(bomb.len(), 74);
    assert_eq!(
        refused_quickly(&bomb),
        ChangeProblem::TooManyPreds {
            declared: 1 << 31,
            max: 8 * 74 + 256
        }
    );
}

#[test]
fn a_change_declaring_2_pow_40_ops_is_rejected_not_panicking() {
    let bomb = bomb_ops(1 << 40);
    assert_eq!(bomb.len(), 79);
    assert_eq!(
        refused_quickly(&bomb),
        ChangeProblem::TooManyEntries {
            declared: 1 << 40,
            max: 8 * 79 + 256
        },
        "the key column comes first and already declares too many entries"
    );
}

#[test]
fn a_change_declaring_too_many_ops_in_its_action_column_is_rejected_not_panicking() {
    let chunk = Parts {
        columns: vec![(spec::ACTION, run_u(1 << 40, 1))],
        ..Parts::default()
    }
    .chunk();
    assert!(matches!(
        refused_quickly(&chunk),
        ChangeProblem::TooManyOps {
            declared: 1_099_511_627_776,
            ..
        }
    ));
}

#[test]
fn an_op_listing_itself_as_predecessor_is_rejected_not_panicking() {
    // Automerge 0.12 applies this change, then panics whenever it re-encodes the document.
    assert_eq!(
        refused_quickly(&bomb_preds(3)),
        ChangeProblem::PredNotBefore { op: 1, pred: 1 }
    );
    assert_eq!(
        refused_quickly(&forged_preds(3, 3)),
        ChangeProblem::PredNotBefore { op: 3, pred: 3 }
    );
    assert!(check_change(&forged_preds(3, 4), None, MAX).is_ok());
}

#[test]
fn the_op_cap_holds_for_the_longest_changes() {
    let b = Bounds::for_len(256 * 1024);
    assert_eq!(b.max_ops, MAX_OPS);
    assert_eq!(Bounds::for_len(10).max_ops, 336);
}

#[test]
fn a_string_longer_than_its_column_is_rejected_not_panicking() {
    assert_eq!(
        refused_quickly(&bomb_string(999_999_999)),
        ChangeProblem::Malformed("a string longer than its column")
    );
}

#[test]
fn declared_value_bytes_beyond_the_chunk_are_rejected_not_panicking() {
    // One string value claiming a megabyte (length << 4 | type 6 = string).
    let chunk = Parts {
        columns: vec![
            (spec::ACTION, run_u(1, 1)),
            (spec::VAL_META, run_u(1, (1 << 20 << 4) | 6)),
        ],
        ..Parts::default()
    }
    .chunk();
    assert!(matches!(
        refused_quickly(&chunk),
        ChangeProblem::TooManyValueBytes {
            declared: 1_048_576,
            ..
        }
    ));
}

/// A valid empty change, then the body edited by `edit`.
fn edited(edit: impl Fn(&mut Parts)) -> Vec<u8> {
    let mut parts = Parts::default();
    edit(&mut parts);
    parts.chunk()
}

#[test]
fn malformed_headers_are_rejected_not_panicking() {
    let overlong = {
        // The chunk length written as two bytes where one would do.
        let body = Parts::default().body();
        let mut chunk = forge::chunk_from_body(&body);
        let len = chunk[9];
        chunk.splice(9..10, [len | 0x80, 0]);
        chunk
    };
    assert_eq!(
        refused_quickly(&overlong),
        ChangeProblem::Malformed("a number in an overlong encoding")
    );

    let mut long = Parts::default().chunk();
    long.push(0);
    assert_eq!(
        refused_quickly(&long),
        ChangeProblem::Malformed("the chunk length does not match the bytes that follow")
    );

    let zero_start = edited(|p| p.start_op = 0);
    assert_eq!(
        refused_quickly(&zero_start),
        ChangeProblem::Malformed("the start op is 0")
    );

    let many_deps = {
        let mut body = Vec::new();
        uleb(&mut body, u64::MAX);
        forge::chunk_from_body(&body)
    };
    assert_eq!(
        refused_quickly(&many_deps),
        ChangeProblem::Malformed("dependency hashes")
    );

    let huge_number = forge::chunk_from_body(&[0xff; 12]);
    assert_eq!(
        refused_quickly(&huge_number),
        ChangeProblem::Malformed("a number over 64 bits")
    );
}

#[test]
fn malformed_columns_are_rejected_not_panicking() {
    let compressed = edited(|p| p.columns = vec![(spec::ACTION | 0b1000, run_u(1, 1))]);
    assert_eq!(
        refused_quickly(&compressed),
        ChangeProblem::Malformed("a compressed column")
    );

    // Column metadata claiming more data than the chunk holds.
    let mut body = Parts::default().body();
    body.pop(); // the column count (0)
    body.extend([1, spec::ACTION as u8, 0x7f]);
    assert_eq!(
        refused_quickly(&forge::chunk_from_body(&body)),
        ChangeProblem::Malformed("the columns are longer than the chunk")
    );

    let literal = edited(|p| p.columns = vec![(spec::ACTION, vec![0x40 | 0x3c, 1])]);
    assert_eq!(
        refused_quickly(&literal),
        ChangeProblem::Malformed("a literal run longer than its column")
    );

    let cut_run = edited(|p| p.columns = vec![(spec::ACTION, vec![0x85])]);
    assert_eq!(
        refused_quickly(&cut_run),
        ChangeProblem::Malformed("a number runs past the end")
    );
}

#[test]
fn every_edit_of_an_honest_change_is_handled_not_panicking() {
    // The walk must stay within its slice whatever the bytes say; the checksum is recomputed so
    // each edit reaches the walk (and, if it passes, the parser).
    for (_, bytes) in forge::honest_changes().into_iter().take(6) {
        let len_bytes = bytes[9..].iter().take_while(|b| **b >= 0x80).count() + 1;
        let body = &bytes[9 + len_bytes..];
        for i in 0..body.len() {
            for v in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                let mut b = body.to_vec();
                b[i] = v;
                let chunk = forge::chunk_from_body(&b);
                let _ = check_change(&chunk, None, MAX);
            }
        }
    }
}

#[test]
fn numbers_the_pre_check_steps_over_are_still_refused() {
    // The pre-check only finds where an integer value or the time ends; a value written in
    // eleven bytes (more than 64 bits) must still be refused, by Automerge's parser.
    let mut literal = vec![0x7f]; // a literal run of one value
    literal.extend([0xff; 10]);
    literal.push(0x01);
    let long_action = edited(|p| p.columns = vec![(spec::ACTION, literal.clone())]);
    assert!(matches!(
        refused_quickly(&long_action),
        ChangeProblem::Unparseable(_)
    ));

    // The time, the same way: its bytes are spliced in after the seq and start op.
    let body = Parts::default().body();
    let at = 1 + 1 + 16 + 1 + 1; // deps count, actor length, actor, seq, start op
    assert_eq!(body[at], 0, "the default time is one byte");
    let mut long_time = body[..at].to_vec();
    long_time.extend([0xff; 10]);
    long_time.push(0x01);
    long_time.extend(&body[at + 1..]);
    assert!(matches!(
        refused_quickly(&forge::chunk_from_body(&long_time)),
        ChangeProblem::Unparseable(_)
    ));
}
