import Foundation

/// Text normalisation applied before CLIP tokenisation: open_clip's `_clean_lower`, i.e.
/// `whitespace_clean(basic_clean(text)).lower()` where `basic_clean` is
/// `html.unescape(html.unescape(ftfy.fix_text(text))).strip()`.
///
/// Of `ftfy.fix_text` (ftfy 6.3.1, default `TextFixerConfig`) this reproduces, per line segment
/// and repeated until nothing changes, exactly as ftfy orders them:
/// 1. `unescape_html` ("auto": skipped for a segment containing "<" and for every later one),
/// 2. `fix_encoding`: mojibake repair ("sÃ³"→"só", "â€œ"→"“", CESU-8, lost U+00A0 bytes, C1
///    controls, ...), see `MojibakeRepair`,
/// 3. `fix_c1_controls` (U+0080..U+009F read as Windows-1252, undefined bytes kept),
/// 4. `fix_latin_ligatures` (ﬁ→fi, Ĳ→IJ, Ǆ→DŽ, ...), 5. `fix_character_width` (fullwidth ASCII and
///    halfwidth katakana/hangul via NFKC of U+FF01..U+FFEF, U+3000→space),
/// 6. `uncurl_quotes` (U+2018..U+201B, U+02BC→', U+201C..U+201F→"),
/// 7. `fix_line_breaks` (CRLF, CR, U+2028, U+2029, U+0085→LF), 8. `remove_terminal_escapes`
///    (ESC [ digits/; letter), 9. `remove_control_chars` (U+00..08, 0B, 0E..1F, 7F, U+206A..206F,
///    U+FEFF, U+FFF9..FFFC), 10. NFC normalisation.
///
/// Not reproduced: `fix_surrogates` (between steps 7 and 8 in ftfy; Swift strings cannot hold lone
/// surrogates, and `fix_encoding` never produces them). The heuristics that `fix_encoding` relies
/// on use CPython 3.11's `\s` and `\w` (Unicode 14), the Python that produced the fixtures
/// (Tests/Fixtures/text/ftfy_fix_text.jsonl, scripts/fixtures/gen_text.py).
/// Segments are lines ("\n" included) cut at ftfy's `max_decode_length` (10^6 code points).
public enum TextCleaner {
    /// open_clip's `_clean_lower(text)` (the SimpleTokenizer default), as code points.
    public static func clipClean(_ text: String) -> [Unicode.Scalar] {
        var s = fixText(text.scalarArray)
        s = HTMLUnescape.pythonUnescape(HTMLUnescape.pythonUnescape(s))
        s = PythonUnicode.collapseWhitespace(s)
        return PythonUnicode.lower(s)
    }

    /// `ftfy.fix_text(text)` with the default configuration (see the type's documentation).
    public static func fixText(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var unescape = true
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count && text[end] != "\n" { end += 1 }
            end = min(end + 1, text.count, start + maxDecodeLength)
            let segment = Array(text[start..<end])
            if segment.contains("<") { unescape = false }  // ftfy keeps the changed config
            out.append(contentsOf: fixSegment(segment, unescapeHTML: unescape))
            start = end
        }
        return out
    }

    /// `TextFixerConfig.max_decode_length`: the longest segment fixed at once.
    static let maxDecodeLength = 1_000_000

    /// `ftfy.fix_and_explain` on one segment: apply the fixers until a fixed point.
    static func fixSegment(_ segment: [Unicode.Scalar], unescapeHTML: Bool) -> [Unicode.Scalar] {
        var text = segment
        while true {
            let original = text
            if unescapeHTML { text = HTMLUnescape.ftfyUnescape(text) }
            text = MojibakeRepair.fixEncoding(text)
            text = MojibakeRepair.fixC1Controls(text)
            text = text.flatMap { ligatures[$0.value] ?? [$0] }
            text = text.flatMap { widthMap[$0.value] ?? [$0] }
            text = text.map(uncurl)
            text = fixLineBreaks(text)
            text = removeTerminalEscapes(text)
            text = text.filter { !isRemovedControl($0.value) }
            text = nfc(text)
            if text == original { return text }
        }
    }

    /// NFC (`unicodedata.normalize("NFC", ...)`), see `UnicodeNormalization`.
    static func nfc(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if text.allSatisfy({ $0.value < 0x300 }) { return text }  // nothing below U+0300 composes
        return UnicodeNormalization.nfc(text)
    }

    private static let ligatures: [UInt32: [Unicode.Scalar]] = [
        0x132: ["I", "J"], 0x133: ["i", "j"], 0x149: ["\u{2BC}", "n"], 0x1F1: ["D", "Z"], 0x1F2: ["D", "z"],
        0x1F3: ["d", "z"], 0x1C4: ["D", "\u{17D}"], 0x1C5: ["D", "\u{17E}"], 0x1C6: ["d", "\u{17E}"],
        0x1C7: ["L", "J"], 0x1C8: ["L", "j"], 0x1C9: ["l", "j"], 0x1CA: ["N", "J"], 0x1CB: ["N", "j"],
        0x1CC: ["n", "j"], 0xFB00: ["f", "f"], 0xFB01: ["f", "i"], 0xFB02: ["f", "l"], 0xFB03: ["f", "f", "i"],
        0xFB04: ["f", "f", "l"], 0xFB05: ["\u{17F}", "t"], 0xFB06: ["s", "t"],
    ]

    /// ftfy's WIDTH_MAP: NFKC of each changed code point in U+FF01..U+FFEF, and U+3000 to space.
    private static let widthMap: [UInt32: [Unicode.Scalar]] = {
        var m: [UInt32: [Unicode.Scalar]] = [0x3000: [" "]]
        for v in UInt32(0xFF01)..<0xFFF0 {
            guard let s = Unicode.Scalar(v), s.properties.generalCategory != .unassigned else { continue }
            let alt = String(s).precomposedStringWithCompatibilityMapping.scalarArray
            if alt != [s] { m[v] = alt }
        }
        return m
    }()

    private static func uncurl(_ s: Unicode.Scalar) -> Unicode.Scalar {
        switch s.value {
        case 0x2BC, 0x2018...0x201B: return "'"
        case 0x201C...0x201F: return "\""
        default: return s
        }
    }

    private static func fixLineBreaks(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            switch text[i].value {
            case 0x0D:
                out.append("\n")
                if i + 1 < text.count && text[i + 1] == "\n" { i += 1 }
            case 0x2028, 0x2029, 0x85: out.append("\n")
            default: out.append(text[i])
            }
            i += 1
        }
        return out
    }

    /// Removes `\x1b\[((?:\d|;)*)([a-zA-Z])` (`\d`: any Unicode decimal digit, as in Python `re`).
    private static func removeTerminalEscapes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("\u{1B}") else { return text }
        var out: [Unicode.Scalar] = []
        var i = 0
        while i < text.count {
            if text[i] == "\u{1B}" && i + 1 < text.count && text[i + 1] == "[" {
                var j = i + 2
                while j < text.count && (text[j] == ";" || text[j].properties.generalCategory == .decimalNumber) {
                    j += 1
                }
                if j < text.count && text[j].isASCII && text[j].properties.isAlphabetic {
                    i = j + 1
                    continue
                }
            }
            out.append(text[i])
            i += 1
        }
        return out
    }

    private static func isRemovedControl(_ v: UInt32) -> Bool {
        v <= 0x08 || v == 0x0B || (0x0E...0x1F).contains(v) || v == 0x7F || (0x206A...0x206F).contains(v)
            || v == 0xFEFF || (0xFFF9...0xFFFC).contains(v)
    }
}
