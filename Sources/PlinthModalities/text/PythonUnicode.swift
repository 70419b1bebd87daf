/// Unicode predicates and case mapping that behave like CPython 3.11's `str` methods, which the
/// reference tokenizers (open_clip, Hugging Face BertTokenizer) are written against.
///
/// Everything works on Unicode scalars (code points), never on Swift `Character`s (grapheme
/// clusters): Python strings index code points, so "e\u{301}" is two units there and here.
/// Property data comes from the Swift runtime's Unicode tables; CPython 3.11 uses Unicode 14,
/// so `lower` leaves characters assigned after Unicode 14 unchanged, as CPython 3.11 does
/// (`isUnicode14`); general categories of such characters follow the newer tables, which is what
/// the `regex` module (its own, newer Unicode data) does for CLIP's pattern.
enum PythonUnicode {
    /// Whether the code point was assigned by Unicode 14.0 (CPython 3.11's `unicodedata` version).
    static func isUnicode14(_ s: Unicode.Scalar) -> Bool {
        guard let age = s.properties.age else { return false }
        return age.major < 14 || (age.major == 14 && age.minor == 0)
    }

    /// `str.isspace()` for one code point: bidirectional class WS, B or S, or category Zs.
    /// Includes U+1C..U+1F (information separators) that `\s` in the `regex` module does not.
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F,
            0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `\s` of the `regex` module (Unicode White_Space): `isSpace` without U+1C..U+1F.
    static func isRegexSpace(_ s: Unicode.Scalar) -> Bool {
        isSpace(s) && !(0x1C...0x1F).contains(s.value)
    }

    /// `\p{L}`: general category Lu, Ll, Lt, Lm or Lo.
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `\p{N}`: general category Nd, Nl or No.
    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Unicode category starting with "P" (what `unicodedata.category(c).startswith("P")` tests).
    static func isPunctuationCategory(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    /// `str.split()` then `" ".join(...)`: collapses runs of `isSpace` code points to one
    /// U+0020 and trims both ends.
    static func collapseWhitespace(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var pendingSpace = false
        for s in text {
            if isSpace(s) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(s)
            }
        }
        return out
    }

    /// `str.strip()` with no argument: trims `isSpace` code points at both ends.
    static func strip(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard let first = text.firstIndex(where: { !isSpace($0) }),
            let last = text.lastIndex(where: { !isSpace($0) })
        else { return [] }
        return Array(text[first...last])
    }

    /// `str.lower()`: the full lowercase mapping of each code point (U+0130 becomes "i\u{307}"),
    /// with CPython's Final_Sigma rule for U+03A3: it lowers to final sigma U+03C2 when preceded by
    /// a cased letter (skipping case-ignorables) and not followed by one.
    static func lower(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for (i, s) in text.enumerated() {
            if s.value < 0x80 {
                out.append((0x41...0x5A).contains(s.value) ? Unicode.Scalar(s.value + 32)! : s)
            } else if !isUnicode14(s) {
                out.append(s)
            } else if s.value == 0x3A3 {
                out.append(finalSigma(text, i) ? "\u{3C2}" : "\u{3C3}")
            } else {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    private static func finalSigma(_ text: [Unicode.Scalar], _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && caseIgnorable(text[j]) { j -= 1 }
        guard j >= 0 && cased(text[j]) else { return false }
        j = i + 1
        while j < text.count && caseIgnorable(text[j]) { j += 1 }
        return j == text.count || !cased(text[j])
    }

    private static func cased(_ s: Unicode.Scalar) -> Bool { isUnicode14(s) && s.properties.isCased }
    private static func caseIgnorable(_ s: Unicode.Scalar) -> Bool {
        isUnicode14(s) && s.properties.isCaseIgnorable
    }

    /// `str.replace(old, new)` over code points (Swift's `replacingOccurrences` compares grapheme
    /// clusters, so it misses a match followed by a combining mark).
    static func replace(_ text: [Unicode.Scalar], _ old: String, _ new: String) -> [Unicode.Scalar] {
        let o = old.scalarArray, n = new.scalarArray
        guard !o.isEmpty, text.count >= o.count else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if i + o.count <= text.count && text[i] == o[0] && Array(text[i..<(i + o.count)]) == o {
                out += n
                i += o.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// `str.upper()` for a short string (used to derive ftfy's all-caps HTML entity names).
    static func upper(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        text.flatMap { Array($0.properties.uppercaseMapping.unicodeScalars) }
    }
}

extension String {
    /// The string's Unicode scalars as an array (Python's code-point view).
    var scalarArray: [Unicode.Scalar] { Array(unicodeScalars) }

    /// Builds a string from code points.
    init(scalars: some Sequence<Unicode.Scalar>) {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars)
        self = String(s)
    }
}
