/// ftfy 6.3.1's mojibake heuristic: `ftfy.badness.is_bad(text)`, i.e. whether `BADNESS_RE`
/// matches anywhere in the text.
///
/// `BADNESS_RE` is a verbose regular expression with 37 alternatives, each a short sequence of
/// character classes over the few hundred characters that UTF-8 mojibake is made of (C1 controls,
/// "bad" symbols such as ¦ ¤ ¨ ¬, accented capitals, box drawing, currency, ...): an accented
/// lowercase letter followed by a currency sign, "Ã" followed by a no-break space, Windows-1251
/// "вЂ", and so on. `MojibakeTables` holds the alternatives as lists of `Atom`s and the classes as
/// code point runs, both parsed out of the installed ftfy by scripts/fixtures/gen_ftfy_tables.py,
/// so nothing here is transcribed by hand. `\s` and `\w` are CPython 3.11's (`str.isspace()`, and
/// `str.isalnum()` or "_", on Unicode 14 data).
///
/// Matching is Python `re.search` semantics: an alternative matches at position i if its atoms
/// match consecutive code points from i; `\s?` is tried with and then without a space.
/// ftfy's `badness()` (the match count) is not needed: 6.3.1's fixers only call `is_bad`.
enum MojibakeBadness {
    /// One element of a `BADNESS_RE` alternative.
    enum Atom {
        /// A code point in `MojibakeTables.badnessSets[i]` (a class or a literal).
        case set(Int)
        /// A code point not in `badnessSets[i]` (a negated class such as `[^A-Za-z]`; matches "\n").
        case notSet(Int)
        /// `\s`.
        case space
        /// `\s?` (greedy: one whitespace code point if possible, else none).
        case optionalSpace
        /// `\w`.
        case word
        /// `.`: any code point except "\n".
        case any
        /// `^`: the start of the text (no MULTILINE).
        case start
    }

    /// `ftfy.badness.is_bad(text)`.
    static func isBad(_ text: [Unicode.Scalar]) -> Bool {
        // Every alternative needs a non-ASCII code point (the generator checks this).
        guard text.contains(where: { $0.value >= 0x80 }) else { return false }
        let classes = text.map(membership)
        for i in text.indices {
            // An alternative starts with a class, `\s` or `^` (checked below), so most positions are out.
            if i > 0 && classes[i].isEmpty && !space.contains(text[i]) { continue }
            for alternative in alternatives where matches(alternative, 0, text, classes, i) {
                return true
            }
        }
        return false
    }

    static let alternatives: [[Atom]] = {
        for atoms in MojibakeTables.badnessAlternatives {
            switch atoms.first {
            case .set?, .space?, .start?: continue
            default: preconditionFailure("isBad's position filter assumes no alternative starts with \(atoms)")
            }
        }
        return MojibakeTables.badnessAlternatives
    }()

    static let space = CodePointSet(runs: MojibakeTables.space)
    static let word = CodePointSet(runs: MojibakeTables.word)

    /// Which `badnessSets` a code point belongs to, one bit per set (there are fewer than 128).
    struct SetBits {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var isEmpty: Bool { low == 0 && high == 0 }
        func contains(_ set: Int) -> Bool { set < 64 ? low >> set & 1 == 1 : high >> (set - 64) & 1 == 1 }
        mutating func insert(_ set: Int) {
            if set < 64 { low |= 1 << set } else { high |= 1 << (set - 64) }
        }
    }

    private static let table: (ascii: [SetBits], other: [UInt32: SetBits]) = {
        precondition(MojibakeTables.badnessSets.count <= 128, "SetBits holds 128 sets")
        var ascii = [SetBits](repeating: SetBits(), count: 128)
        var other: [UInt32: SetBits] = [:]
        for (n, runs) in MojibakeTables.badnessSets.enumerated() {
            for v in CodePointSet(runs: runs).members {
                if v < 128 { ascii[Int(v)].insert(n) } else { other[v, default: SetBits()].insert(n) }
            }
        }
        return (ascii, other)
    }()

    static func membership(_ s: Unicode.Scalar) -> SetBits {
        s.value < 128 ? table.ascii[Int(s.value)] : table.other[s.value] ?? SetBits()
    }

    private static func matches(
        _ atoms: [Atom], _ k: Int, _ text: [Unicode.Scalar], _ classes: [SetBits], _ i: Int
    ) -> Bool {
        guard k < atoms.count else { return true }
        let more = i < text.count
        switch atoms[k] {
        case .set(let n): return more && classes[i].contains(n) && matches(atoms, k + 1, text, classes, i + 1)
        case .notSet(let n): return more && !classes[i].contains(n) && matches(atoms, k + 1, text, classes, i + 1)
        case .space: return more && space.contains(text[i]) && matches(atoms, k + 1, text, classes, i + 1)
        case .word: return more && word.contains(text[i]) && matches(atoms, k + 1, text, classes, i + 1)
        case .any: return more && text[i] != "\n" && matches(atoms, k + 1, text, classes, i + 1)
        case .start: return i == 0 && matches(atoms, k + 1, text, classes, i)
        case .optionalSpace:
            if more && space.contains(text[i]) && matches(atoms, k + 1, text, classes, i + 1) { return true }
            return matches(atoms, k + 1, text, classes, i)
        }
    }
}
