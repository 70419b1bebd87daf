/// ftfy 6.3.1's mojibake repair, `ftfy.fix_encoding(text)` with the default `TextFixerConfig`:
/// text that was encoded as UTF-8 and decoded with a single-byte codec ("sÃ³" for "só",
/// "â€œquotedâ€\u{9D}" for curly quotes) is re-encoded and decoded as UTF-8 again.
///
/// `fixEncoding` repeats `fixEncodingStep` until the text stops changing
/// (`fix_encoding_and_explain`). One step (`_fix_encoding_one_step_and_explain`), in ftfy's order:
/// 1. Empty text, ASCII text, and text `MojibakeBadness.isBad` finds nothing wrong with are kept.
/// 2. For each codec of `SingleByteCodec.ftfyCharmaps` that can encode the text: encode it;
///    if `ALTERED_UTF8_RE` occurs in the bytes (never for macroman) apply `restore_byte_a0`; for the
///    sloppy codecs apply `replace_lossy_sequences`; decode as UTF-8, or as utf-8-variants if a
///    byte ED or C0 is present. The first decode that succeeds is the result: 6.3.1 accepts it
///    without comparing badness (the cost comparison of ftfy 5 is gone).
/// 3. `decode_inconsistent_utf8`: each `UTF8_DETECTOR_RE` match (runs of characters that look
///    like UTF-8 read as a single-byte codec) shorter than the text and `isBad` is replaced by
///    `fixEncoding` of itself. Taken if it changed anything.
/// 4. If latin-1 could encode the text: its latin-1 bytes decoded as strict windows-1252, taken if
///    the decode succeeds and changes the text. (ftfy first checks for "windows-1252" among the
///    codecs that could encode the text, but its list names "sloppy-windows-1252", so that check
///    never holds; reproduced as such.)
/// 5. If a C1 control (U+0080...U+009F) remains: `fix_c1_controls`.
/// Decoders and codecs behave as Python's do; a UnicodeDecodeError moves on to the next codec.
enum MojibakeRepair {
    /// `ftfy.fix_encoding(text)`.
    static func fixEncoding(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var text = text
        while true {
            let fixed = fixEncodingStep(text)
            if fixed == text { return text }
            text = fixed
        }
    }

    /// `_fix_encoding_one_step_and_explain(text).text` (see the type's documentation).
    static func fixEncodingStep(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard !text.isEmpty, text.contains(where: { $0.value >= 0x80 }), MojibakeBadness.isBad(text) else {
            return text
        }
        var latin1Possible = false
        for codec in SingleByteCodec.ftfyCharmaps where codec.canEncode(text) {
            if codec.name == "latin-1" { latin1Possible = true }
            guard var bytes = codec.encode(text) else { continue }
            if codec.name != "macroman" && MojibakeTranscoders.alteredUTF8.occurs(in: bytes) {
                bytes = MojibakeTranscoders.restoreByteA0(bytes)
            }
            if codec.sloppy { bytes = MojibakeTranscoders.replaceLossySequences(bytes) }
            let decoded =
                bytes.contains(0xED) || bytes.contains(0xC0)
                ? UTF8Variants.decodeVariants(bytes) : UTF8Variants.decodeStrict(bytes[...])
            if let decoded { return decoded }
        }
        let inconsistent = decodeInconsistentUTF8(text)
        if inconsistent != text { return inconsistent }
        if latin1Possible {
            let bytes = text.map { UInt8($0.value) }  // latin-1 encodes every code point below 0x100
            if let fixed = SingleByteCodec.decodeWindows1252Strict(bytes), fixed != text { return fixed }
        }
        if text.contains(where: isC1) { return fixC1Controls(text) }
        return text
    }

    /// `fixes.fix_c1_controls`: each U+0080...U+009F read as a sloppy-windows-1252 byte, as browsers
    /// do (the five bytes Windows-1252 leaves undefined stay as they are).
    static func fixC1Controls(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        text.map { isC1($0) ? SingleByteCodec.sloppyWindows1252.decodeTable[Int($0.value)] : $0 }
    }

    static func isC1(_ s: Unicode.Scalar) -> Bool { (0x80...0x9F).contains(s.value) }

    /// `fixes.decode_inconsistent_utf8`: `UTF8_DETECTOR_RE.sub(fix_embedded_mojibake, text)`.
    static func decodeInconsistentUTF8(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            guard let end = utf8DetectorMatch(text, at: i) else {
                out.append(text[i])
                i += 1
                continue
            }
            let piece = Array(text[i..<end])
            out += piece.count < text.count && MojibakeBadness.isBad(piece) ? fixEncoding(piece) : piece
            i = end
        }
        return out
    }

    private static let firstOf2 = CodePointSet(runs: MojibakeTables.utf8FirstOf2)
    private static let firstOf3 = CodePointSet(runs: MojibakeTables.utf8FirstOf3)
    private static let firstOf4 = CodePointSet(runs: MojibakeTables.utf8FirstOf4)
    private static let continuation = CodePointSet(runs: MojibakeTables.utf8Continuation)
    private static let continuationStrict = CodePointSet(runs: MojibakeTables.utf8ContinuationStrict)
    private static let leads = [(firstOf2, 1), (firstOf3, 2), (firstOf4, 3)]  // lead class, continuations

    /// End of the `UTF8_DETECTOR_RE` match starting at i, if any:
    /// `(?<![strict])([first_of_2][cont] | [first_of_3][cont]{2} | [first_of_4][cont]{3})+`.
    /// Nothing follows the `+`, so the first successful path takes, at each repetition, the first
    /// alternative that matches, and stops when none does.
    private static func utf8DetectorMatch(_ text: [Unicode.Scalar], at start: Int) -> Int? {
        if start > 0 && continuationStrict.contains(text[start - 1]) { return nil }
        var i = start
        repeat {
            let lead = text[i]
            var matched = false
            for (set, length) in leads where set.contains(lead) {
                if i + length < text.count && (1...length).allSatisfy({ continuation.contains(text[i + $0]) }) {
                    i += length + 1
                    matched = true
                    break
                }
            }
            if !matched { break }
        } while i < text.count
        return i > start ? i : nil
    }
}
