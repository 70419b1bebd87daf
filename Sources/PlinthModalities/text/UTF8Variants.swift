/// The two UTF-8 decoders ftfy's mojibake repair uses: Python's strict `bytes.decode("utf-8")`
/// and ftfy's "utf-8-variants" codec (`ftfy.bad_codecs.utf8_variants`), which also accepts CESU-8
/// (a supplementary character written as two 3-byte UTF-16 surrogates) and Java's modified UTF-8
/// (U+0000 written as C0 80). Both return nil where Python raises UnicodeDecodeError.
enum UTF8Variants {
    /// Python's strict UTF-8 decoder: well-formed UTF-8 only (Unicode Table 3-7: no overlong forms,
    /// no surrogates D800...DFFF, nothing above U+10FFFF, no truncated sequence at the end).
    static func decodeStrict(_ bytes: ArraySlice<UInt8>) -> [Unicode.Scalar]? {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        let end = bytes.endIndex
        func continuation(_ j: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> UInt32? {
            j < end && range.contains(bytes[j]) ? UInt32(bytes[j] & 0x3F) : nil
        }
        while i < end {
            let b0 = bytes[i]
            switch b0 {
            case 0x00...0x7F:
                out.append(Unicode.Scalar(b0))
                i += 1
            case 0xC2...0xDF:
                guard let c1 = continuation(i + 1) else { return nil }
                out.append(Unicode.Scalar(UInt32(b0 & 0x1F) << 6 | c1)!)
                i += 2
            case 0xE0...0xEF:
                let second: ClosedRange<UInt8> = b0 == 0xE0 ? 0xA0...0xBF : b0 == 0xED ? 0x80...0x9F : 0x80...0xBF
                guard let c1 = continuation(i + 1, second), let c2 = continuation(i + 2) else { return nil }
                out.append(Unicode.Scalar(UInt32(b0 & 0x0F) << 12 | c1 << 6 | c2)!)
                i += 3
            case 0xF0...0xF4:
                let second: ClosedRange<UInt8> = b0 == 0xF0 ? 0x90...0xBF : b0 == 0xF4 ? 0x80...0x8F : 0x80...0xBF
                guard let c1 = continuation(i + 1, second), let c2 = continuation(i + 2),
                    let c3 = continuation(i + 3)
                else { return nil }
                out.append(Unicode.Scalar(UInt32(b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3)!)
                i += 4
            default:
                return nil
            }
        }
        return out
    }

    /// `bytes.decode("utf-8-variants")`, following the codec's `_buffer_decode` loop with
    /// `final=True`: find the next special sequence (`SPECIAL_BYTES_RE`: C0 80, a CESU-8 surrogate
    /// pair, or a lone surrogate), decode the bytes before it as strict UTF-8, then
    /// - C0 80: U+0000, two bytes consumed;
    /// - ED with fewer than six bytes left: the rest is decoded as strict UTF-8 (so it fails);
    /// - a complete pair `ED A0-AF 80-BF ED B0-BF 80-BF`: the supplementary code point it encodes;
    /// - anything else starting with ED: an error (a lone surrogate).
    /// Python's `$` also matches before a final "\n", so the expressions accept "\n" in place of the
    /// bytes missing at the end of the input: "...C0\n" decodes to U+0000, and a pair whose last
    /// byte is that final "\n" decodes with 0x0A as its last byte. ftfy behaves so; so does this.
    static func decodeVariants(_ bytes: [UInt8]) -> [Unicode.Scalar]? {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(bytes.count)
        var pos = 0
        while pos < bytes.count {
            guard let cut = (pos..<bytes.count).first(where: { specialMatch(bytes, at: $0) }) else {
                guard let rest = decodeStrict(bytes[pos...]) else { return nil }
                return out + rest
            }
            if cut > pos {
                guard let chunk = decodeStrict(bytes[pos..<cut]) else { return nil }
                out += chunk
                pos = cut
            } else if bytes[pos] == 0xC0 {
                guard bytes.count - pos > 1 else { return nil }  // a lone C0 at the end
                out.append("\u{0}")
                pos += 2
            } else if bytes.count - pos < 6 {
                guard let rest = decodeStrict(bytes[pos...]) else { return nil }
                return out + rest
            } else if cesuPair(bytes, at: pos) {
                let high = UInt32(bytes[pos + 1] & 0x0F) << 16 | UInt32(bytes[pos + 2] & 0x3F) << 10
                let low = UInt32(bytes[pos + 4] & 0x0F) << 6 | UInt32(bytes[pos + 5] & 0x3F)
                out.append(Unicode.Scalar(0x10000 + (high | low))!)
                pos += 6
            } else {
                return nil  // `sup(input[:3], errors, False)` on ED A0-BF: invalid continuation byte
            }
        }
        return out
    }

    /// Whether Python's `$` matches at byte offset `j`: the end, or just before a final "\n".
    private static func atEnd(_ bytes: [UInt8], _ j: Int) -> Bool {
        j == bytes.count || (j == bytes.count - 1 && bytes[j] == 0x0A)
    }

    /// Whether a sequence of `(class|$)` groups after `bytes[at]` matches: the groups match bytes
    /// while they can, and the first one that cannot must be at `$` (all later ones then match
    /// there too, since no group's class contains "\n").
    private static func groups(_ bytes: [UInt8], at i: Int, _ classes: [ClosedRange<UInt8>]) -> Bool {
        var j = i + 1
        for c in classes {
            guard j < bytes.count, c.contains(bytes[j]) else { return atEnd(bytes, j) }
            j += 1
        }
        return true
    }

    private static let cesuGroups: [ClosedRange<UInt8>] = [0xA0...0xAF, 0x80...0xBF, 0xED...0xED, 0xB0...0xBF, 0x80...0xBF]

    /// `CESU8_EXPR`: `\xed([\xa0-\xaf]|$)([\x80-\xbf]|$)(\xed|$)([\xb0-\xbf]|$)([\x80-\xbf]|$)`.
    private static func cesuPair(_ bytes: [UInt8], at i: Int) -> Bool {
        bytes[i] == 0xED && groups(bytes, at: i, cesuGroups)
    }

    /// `SPECIAL_BYTES_RE` at offset i: `\xc0(\x80|$)`, `CESU8_EXPR`, or `\xed([\xa0-\xbf]|$)([\x80-\xbf]|$)`.
    private static func specialMatch(_ bytes: [UInt8], at i: Int) -> Bool {
        switch bytes[i] {
        case 0xC0: return groups(bytes, at: i, [0x80...0x80])
        case 0xED: return cesuPair(bytes, at: i) || groups(bytes, at: i, [0xA0...0xBF, 0x80...0xBF])
        default: return false
        }
    }
}
