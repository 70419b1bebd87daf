/// The text-splitting half of Hugging Face's `BertTokenizer` (transformers 4.57, the Python
/// tokenizer), for `do_lower_case=True`, `tokenize_chinese_chars=True`, `strip_accents=None`:
///
/// 1. `PreTrainedTokenizer.tokenize` lowercases every code point outside the special tokens
///    one at a time (`re.sub("(specials)|(.+?)")`, so no Final_Sigma: "Σ" always becomes "σ";
///    "\n" is not matched by "." and is left alone), then splits the text around exact,
///    case-sensitive occurrences of the special tokens ([UNK] [SEP] [PAD] [CLS] [MASK]).
/// 2. `BasicTokenizer` on each remaining chunk: `_clean_text` drops U+0000, U+FFFD and every
///    category C* code point except \t \n \r, and turns \t \n \r and category Zs into a space;
///    spaces around CJK ideographs (U+4E00..9FFF, 3400..4DBF, F900..FAFF, 20000..2A6DF, 2A700..2CEAF,
///    2F800..2FA1F); NFC; split on `str.isspace`; per word lowercase again, NFD and drop category
///    Mn (accent stripping); split off every punctuation code point (category P*, and all ASCII
///    symbols 33-47, 58-64, 91-96, 123-126) as its own word.
///
/// Category data comes from the Swift runtime (newer Unicode than CPython 3.11's 14.0); code
/// points assigned after Unicode 14 are treated as unassigned (Cn, dropped) as CPython 3.11 does.
enum BertBasicTokenizer {
    /// Splits `text` into words and special tokens, in order.
    static func split(_ text: String, specialTokens: [String]) -> [String] {
        let scalars = text.scalarArray
        let specials = specialTokens.map { $0.scalarArray }
        var out: [String] = []
        var chunk: [Unicode.Scalar] = []
        var i = 0
        while i < scalars.count {
            if let sp = specials.first(where: { matches($0, scalars, at: i) }) {
                out += basicTokenize(chunk)
                chunk.removeAll()
                out.append(String(scalars: sp))
                i += sp.count
                continue
            }
            let s = scalars[i]
            if s == "\n" || s == "\r" || s.value == 0x85 || s.value == 0x2028 || s.value == 0x2029 {
                chunk.append(s)  // "." in Python's re does not match "\n"; the others have no case
            } else {
                chunk += PythonUnicode.lower([s])
            }
            i += 1
        }
        out += basicTokenize(chunk)
        return out
    }

    private static func matches(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar], at: Int) -> Bool {
        guard at + pattern.count <= text.count else { return false }
        for k in 0..<pattern.count where text[at + k] != pattern[k] { return false }
        return true
    }

    /// `BasicTokenizer.tokenize` on already lowercased text.
    static func basicTokenize(_ text: [Unicode.Scalar]) -> [String] {
        guard !text.isEmpty else { return [] }
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(text.count + 8)
        for s in text {
            if s.value == 0 || s.value == 0xFFFD || isControl(s) { continue }
            if isWhitespace(s) {
                cleaned.append(" ")
            } else if isCJK(s.value) {
                cleaned += [" ", s, " "]
            } else {
                cleaned.append(s)
            }
        }
        let normalized = TextCleaner.nfc(cleaned)
        var words: [String] = []
        for word in splitOnSpace(normalized) {
            let stripped = stripAccents(PythonUnicode.lower(word))
            for piece in splitOnPunctuation(stripped) {
                // whitespace_tokenize(" ".join(...)) re-splits pieces that NFD turned into spaces
                words += splitOnSpace(piece).map { String(scalars: $0) }
            }
        }
        return words
    }

    /// `str.split()` with no argument.
    static func splitOnSpace(_ text: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        text.split(whereSeparator: PythonUnicode.isSpace).map(Array.init)
    }

    /// NFD, then drop nonspacing marks (category Mn).
    static func stripAccents(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let nfd = word.allSatisfy { $0.isASCII } ? word : UnicodeNormalization.nfd(word)
        return nfd.filter { $0.properties.generalCategory != .nonspacingMark }
    }

    /// `_run_split_on_punc`: each punctuation code point becomes its own piece.
    static func splitOnPunctuation(_ word: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var pieces: [[Unicode.Scalar]] = []
        var startNew = true
        for s in word {
            if isPunctuation(s) {
                pieces.append([s])
                startNew = true
            } else {
                if startNew { pieces.append([]) }
                startNew = false
                pieces[pieces.count - 1].append(s)
            }
        }
        return pieces
    }

    /// BERT's `_is_whitespace`: space, \t, \n, \r, or category Zs.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.generalCategory == .spaceSeparator
    }

    /// BERT's `_is_control`: category C* except \t, \n, \r. Code points assigned after Unicode
    /// 14.0 count as unassigned (Cn), as they are in CPython 3.11's `unicodedata`.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        guard PythonUnicode.isUnicode14(s) else { return true }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// BERT's `_is_punctuation`: ASCII non-alphanumeric symbols, or category P*.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        return PythonUnicode.isPunctuationCategory(s)
    }

    /// BERT's `_is_chinese_char` (the CJK Unified Ideographs blocks, not kana or hangul).
    static func isCJK(_ cp: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(cp) || (0x3400...0x4DBF).contains(cp) || (0x20000...0x2A6DF).contains(cp)
            || (0x2A700...0x2B73F).contains(cp) || (0x2B740...0x2B81F).contains(cp)
            || (0x2B820...0x2CEAF).contains(cp) || (0xF900...0xFAFF).contains(cp) || (0x2F800...0x2FA1F).contains(cp)
    }
}
