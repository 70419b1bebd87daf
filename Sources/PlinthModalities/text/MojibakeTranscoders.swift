/// The byte-level steps ftfy 6.3.1 applies to re-encoded text before decoding it as UTF-8
/// (`ftfy.fixes.restore_byte_a0` and `replace_lossy_sequences`), with the byte regular
/// expressions they use (`chardata.ALTERED_UTF8_RE`, `LOSSY_UTF8_RE`, `fixes.A_GRAVE_WORD_RE`)
/// transcribed as `BytePattern`s. scripts/fixtures/gen_ftfy_tables.py checks that ftfy's patterns
/// are still these.
enum MojibakeTranscoders {
    /// A byte regular expression made of fixed-length alternatives, each a sequence of byte classes.
    /// Python tries the alternatives in order at each offset and takes the first that matches.
    struct BytePattern {
        let alternatives: [[[ClosedRange<UInt8>]]]

        /// Length of the first alternative matching at `i`, or nil.
        func match(_ bytes: [UInt8], at i: Int) -> Int? {
            for alt in alternatives where i + alt.count <= bytes.count {
                if alt.indices.allSatisfy({ k in alt[k].contains { $0.contains(bytes[i + k]) } }) { return alt.count }
            }
            return nil
        }

        /// `pattern.search(bytes) is not None`.
        func occurs(in bytes: [UInt8]) -> Bool {
            bytes.indices.contains { match(bytes, at: $0) != nil }
        }

        /// `pattern.sub(replace, bytes)`: leftmost matches, scanning on after each.
        func substitute(_ bytes: [UInt8], _ replace: (ArraySlice<UInt8>) -> [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var i = 0
            while i < bytes.count {
                if let n = match(bytes, at: i) {
                    out += replace(bytes[i..<i + n])
                    i += n
                } else {
                    out.append(bytes[i])
                    i += 1
                }
            }
            return out
        }
    }

    private static let space: [ClosedRange<UInt8>] = [0x20...0x20]
    private static let cont: [ClosedRange<UInt8>] = [0x80...0xBF]
    private static let contNotA0or85: [ClosedRange<UInt8>] = [0x80...0x84, 0x86...0x9F, 0xA1...0xBF]

    /// `ALTERED_UTF8_RE`: UTF-8 sequences in which a 0xA0 byte may have become a space:
    /// `[\xc2\xc3\xc5\xce\xd0\xd9][ ]`, `[\xe2\xe3][ ][\x80-\x84\x86-\x9f\xa1-\xbf]`,
    /// `[\xe0-\xe3][\x80-\x84\x86-\x9f\xa1-\xbf][ ]`, and `\xf0` followed by three continuation
    /// bytes, one of them a space.
    static let alteredUTF8 = BytePattern(alternatives: [
        [[0xC2...0xC3, 0xC5...0xC5, 0xCE...0xCE, 0xD0...0xD0, 0xD9...0xD9], space],
        [[0xE2...0xE3], space, contNotA0or85],
        [[0xE0...0xE3], contNotA0or85, space],
        [[0xF0...0xF0], space, cont, cont],
        [[0xF0...0xF0], cont, space, cont],
        [[0xF0...0xF0], cont, cont, space],
    ])

    private static let sub: [ClosedRange<UInt8>] = [0x1A...0x1A]
    private static let subOrQ: [ClosedRange<UInt8>] = [0x1A...0x1A, 0x3F...0x3F]
    private static let subOrCont: [ClosedRange<UInt8>] = [0x1A...0x1A, 0x80...0xBF]
    private static let subQOrCont: [ClosedRange<UInt8>] = [0x1A...0x1A, 0x3F...0x3F, 0x80...0xBF]
    private static let ed: [ClosedRange<UInt8>] = [0xED...0xED]
    private static let lead3: [ClosedRange<UInt8>] = [0xE0...0xEF]
    private static let lead4: [ClosedRange<UInt8>] = [0xF0...0xF4]

    /// `LOSSY_UTF8_RE`: UTF-8 (and CESU-8) sequences in which continuation bytes were lost, byte
    /// 0x1A standing for a character that had become U+FFFD (at most one may be "?"), and a lone 0x1A.
    static let lossyUTF8 = BytePattern(alternatives: [
        [[0xC2...0xDF], sub],
        [[0xC2...0xC3], [0x3F...0x3F]],
        [ed, [0xA0...0xAF], subOrQ, ed, [0xB0...0xBF], subQOrCont],
        [ed, [0xA0...0xAF], subQOrCont, ed, [0xB0...0xBF], subOrQ],
        [lead3, subOrQ, subOrCont],
        [lead3, subOrCont, subOrQ],
        [lead4, subOrQ, subOrCont, subOrCont],
        [lead4, subOrCont, subOrQ, subOrCont],
        [lead4, subOrCont, subOrCont, subOrQ],
        [sub],
    ])

    /// `fixes.restore_byte_a0`: first `A_GRAVE_WORD_RE` (`\xc3 ` not followed by " ", "quele",
    /// "quela", "quilo" or "s ": "Ã " as the word "à") becomes `\xc3\xa0 `, then every space inside
    /// an `ALTERED_UTF8_RE` match becomes 0xA0.
    static func restoreByteA0(_ bytes: [UInt8]) -> [UInt8] {
        var graved: [UInt8] = []
        graved.reserveCapacity(bytes.count + 4)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0xC3 && i + 1 < bytes.count && bytes[i + 1] == 0x20 && !keepsSpace(bytes, after: i + 2) {
                graved += [0xC3, 0xA0, 0x20]
                i += 2
            } else {
                graved.append(bytes[i])
                i += 1
            }
        }
        return alteredUTF8.substitute(graved) { $0.map { $0 == 0x20 ? 0xA0 : $0 } }
    }

    private static let aGraveExceptions: [[UInt8]] = [" ", "quele", "quela", "quilo", "s "].map { Array($0.utf8) }

    /// The negative lookahead `(?! |quele|quela|quilo|s )` at offset j.
    private static func keepsSpace(_ bytes: [UInt8], after j: Int) -> Bool {
        aGraveExceptions.contains { word in
            j + word.count <= bytes.count && bytes[j..<j + word.count].elementsEqual(word)
        }
    }

    /// `fixes.replace_lossy_sequences`: each `LOSSY_UTF8_RE` match becomes EF BF BD (U+FFFD in UTF-8).
    static func replaceLossySequences(_ bytes: [UInt8]) -> [UInt8] {
        lossyUTF8.substitute(bytes) { _ in [0xEF, 0xBF, 0xBD] }
    }
}
