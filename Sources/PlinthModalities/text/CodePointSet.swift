/// A set of Unicode code points stored as sorted inclusive runs, with binary-search membership.
///
/// Layout: `runs` is flat, `[lo0, hi0, lo1, hi1, ...]`, ascending and non-overlapping (the form
/// scripts/fixtures/gen_ftfy_tables.py writes into `MojibakeTables`).
struct CodePointSet {
    let runs: [UInt32]

    init(runs: [UInt32]) {
        precondition(runs.count % 2 == 0, "CodePointSet needs [lo, hi] pairs, got \(runs.count) values")
        self.runs = runs
    }

    /// Every code point in the set, in ascending order.
    var members: [UInt32] {
        stride(from: 0, to: runs.count, by: 2).flatMap { runs[$0]...runs[$0 + 1] }
    }

    func contains(_ s: Unicode.Scalar) -> Bool { contains(s.value) }

    func contains(_ v: UInt32) -> Bool {
        var lo = 0, hi = runs.count / 2  // search over runs [lo, hi)
        while lo < hi {
            let mid = (lo + hi) / 2
            if v < runs[2 * mid] {
                hi = mid
            } else if v > runs[2 * mid + 1] {
                lo = mid + 1
            } else {
                return true
            }
        }
        return false
    }
}
