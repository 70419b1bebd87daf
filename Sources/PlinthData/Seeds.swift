import PlinthTensor

/// Seed derivation and seeded splits.
enum Seeds {
    /// One 64-bit seed from several values (a seed, an epoch, an item index, a
    /// stream tag), by chained SplitMix64 finalizers: independent streams for
    /// each combination, the same for the same inputs.
    static func mix(_ parts: UInt64...) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for p in parts {
            var z = (h ^ p) &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            h = z ^ (z >> 31)
        }
        return h
    }

    /// Splits for `count` items in a fixed order: a permutation seeded by
    /// `seed` sends the first `test` items it lists to test, the next `val`
    /// to val and the rest to train.
    static func splits(count: Int, val: Int, test: Int, seed: UInt64) -> [Split] {
        precondition(val >= 0 && test >= 0 && val + test <= count, "Seeds.splits: \(val) + \(test) of \(count) items")
        var out = [Split](repeating: .train, count: count)
        for (rank, item) in RandomGenerator(seed: seed).permutation(count).enumerated() where rank < test + val {
            out[item] = rank < test ? .test : .val
        }
        return out
    }

    /// 80/10/10 train/val/test splits (val and test get `count / 10` each).
    static func tenPercent(count: Int, seed: UInt64) -> [Split] {
        splits(count: count, val: count / 10, test: count / 10, seed: seed)
    }
}
