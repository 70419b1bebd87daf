/// CLIP's pre-tokenisation: `regex.findall` of open_clip's pattern
///
///     <start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
///
/// compiled with `regex.IGNORECASE`, evaluated by hand over Unicode scalars with their general
/// categories. At each position the alternatives are tried in order; where none matches (only
/// whitespace) the scan moves on one code point, as `findall` does.
///
/// Case-insensitivity matters only after lowercasing: the `regex` module folds U+017F (ſ, long s)
/// to "s", so "'ſ" is the contraction "'s" and "<ſtart_of_text>" matches the special-token
/// alternative (it is then BPE-encoded like ordinary text, since the token cache is exact).
/// Combining marks (category M) are neither letters nor numbers: they fall in the last class,
/// except U+0345 (combining ypogegrammeni, which case-folds to the letter ι): under IGNORECASE the
/// `regex` module matches it with no alternative, so it is dropped like whitespace.
public enum CLIPPreTokenizer {
    /// Splits cleaned (lowercased) text into pre-tokens.
    public static func split(_ text: [Unicode.Scalar], specialTokens: [String] = ["<start_of_text>", "<end_of_text>"])
        -> [String]
    {
        let specials = specialTokens.map { $0.scalarArray }
        let contractions: [[Unicode.Scalar]] = ["s", "t", "re", "ve", "m", "ll", "d"].map { $0.scalarArray }
        var out: [String] = []
        var i = 0
        let n = text.count
        scan: while i < n {
            for sp in specials where matches(sp, text, at: i) {
                out.append(String(scalars: text[i..<(i + sp.count)]))
                i += sp.count
                continue scan
            }
            if text[i] == "'" {
                for c in contractions where matches(c, text, at: i + 1) {
                    out.append(String(scalars: text[i...(i + c.count)]))
                    i += c.count + 1
                    continue scan
                }
            }
            let s = text[i]
            var j = i + 1
            if isLetter(s) {
                while j < n && isLetter(text[j]) { j += 1 }
            } else if PythonUnicode.isNumber(s) {
                // one code point only
            } else if !PythonUnicode.isRegexSpace(s) && s.value != 0x345 {
                while j < n && !PythonUnicode.isRegexSpace(text[j]) && !isLetter(text[j])
                    && !PythonUnicode.isNumber(text[j]) && text[j].value != 0x345
                {
                    j += 1
                }
            } else {
                i += 1
                continue
            }
            out.append(String(scalars: text[i..<j]))
            i = j
        }
        return out
    }

    static func isLetter(_ s: Unicode.Scalar) -> Bool { PythonUnicode.isLetter(s) }

    /// Case-insensitive literal match of `pattern` at `at` (pattern is lowercase ASCII).
    private static func matches(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar], at: Int) -> Bool {
        guard at + pattern.count <= text.count else { return false }
        for (k, p) in pattern.enumerated() {
            let t = text[at + k]
            if t == p { continue }
            if p == "s" && (t == "S" || t == "\u{17F}") { continue }
            if t.isASCII && t.value == p.value &- 32 && (0x61...0x7A).contains(p.value) { continue }
            return false
        }
        return true
    }
}
