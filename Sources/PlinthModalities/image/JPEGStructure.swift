/// What the JPEG marker walk learned about a file.
struct JPEGHeader {
    var width: Int
    var height: Int
    var components: Int
    var progressive: Bool
    /// The EXIF orientation (1...8) from the first APP1 Exif segment, 1 if absent or invalid.
    var orientation: Int
}

/// Walks a JPEG's markers before libjpeg sees them, checking everything that
/// would make libjpeg's `error_exit` fire (Swift cannot unwind its longjmp):
///
/// SOI first; every segment length inside the file; exactly one SOF of a
/// supported kind (baseline, extended, progressive; Huffman or arithmetic),
/// 8-bit precision, dimensions within ``ImageLimits``, 1, 3 or 4 components
/// with sampling factors 1...4 that divide the largest; DQT indices and
/// lengths; DHT indices, counts (<= 256) and a Huffman code assignment that
/// fits each code length (DC symbols <= 15); DRI length; each SOS after the
/// SOF, with 1...4 known components, quantization tables defined, valid
/// progression parameters and at most 10 blocks per MCU; no unknown markers;
/// entropy-coded data followed by EOI. A missing EOI is `.truncated`.
enum JPEGStructure {
    /// Largest accepted number of scans (libjpeg itself has no limit).
    static let maxScans = 1000

    static func validate(_ b: UnsafeRawBufferPointer, path: String) throws -> JPEGHeader {
        func corrupt(_ m: String) -> ImageError { ImageError(.corrupt, path: path, "JPEG: \(m)") }
        func truncated(_ at: Int) -> ImageError {
            ImageError(.truncated, path: path, "JPEG truncated: the data ends at byte \(b.count) inside the segment at byte \(at) (no EOI marker)")
        }
        func be16(_ o: Int) -> Int { Int(b[o]) << 8 | Int(b[o + 1]) }
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { throw truncated(0) }
        var pos = 2
        var header: JPEGHeader?
        var compIDs: [Int] = [], compQuant: [Int] = [], compH: [Int] = [], compV: [Int] = []
        var quantDefined = [Bool](repeating: false, count: 4)
        var dcDefined = [Bool](repeating: false, count: 4), acDefined = [Bool](repeating: false, count: 4)
        var huffman = true
        var orientation = 1, sawExif = false, sawSOS = false, scans = 0
        while true {
            guard pos + 2 <= b.count else { throw truncated(pos) }
            guard b[pos] == 0xFF else { throw corrupt("expected a marker at byte \(pos), found 0x\(String(b[pos], radix: 16))") }
            var m = Int(b[pos + 1])
            while m == 0xFF {
                pos += 1
                guard pos + 2 <= b.count else { throw truncated(pos) }
                m = Int(b[pos + 1])
            }
            let at = pos
            pos += 2
            if m == 0xD9 {
                guard sawSOS else { throw corrupt("EOI at byte \(at) before any image data (SOS)") }
                break
            }
            if (0xD0...0xD7).contains(m) || m == 0x01 { continue }
            guard pos + 2 <= b.count else { throw truncated(at) }
            let length = be16(pos)
            guard length >= 2 else { throw corrupt("segment 0x\(String(m, radix: 16)) at byte \(at) has invalid length \(length)") }
            guard pos + length <= b.count else { throw truncated(at) }
            let s = pos + 2, end = pos + length
            switch m {
            case 0xC0, 0xC1, 0xC2, 0xC9, 0xCA:
                guard header == nil else { throw corrupt("second SOF marker at byte \(at)") }
                guard length >= 8 else { throw corrupt("SOF at byte \(at) too short") }
                guard b[s] == 8 else {
                    throw ImageError(.unsupported, path: path, "JPEG: \(b[s])-bit samples are not supported (only 8-bit)")
                }
                let h = be16(s + 1), w = be16(s + 3), n = Int(b[s + 5])
                try ImageLimits.check(width: w, height: h, path: path)
                guard n == 1 || n == 3 || n == 4 else {
                    throw ImageError(.unsupported, path: path, "JPEG: \(n) colour components are not supported (1, 3 or 4)")
                }
                guard length == 8 + 3 * n else { throw corrupt("SOF at byte \(at) has length \(length), expected \(8 + 3 * n)") }
                for c in 0..<n {
                    let o = s + 6 + 3 * c
                    let hs = Int(b[o + 1] >> 4), vs = Int(b[o + 1] & 15)
                    guard (1...4).contains(hs), (1...4).contains(vs), b[o + 2] <= 3 else {
                        throw corrupt("SOF component \(c) has invalid sampling factors \(hs)x\(vs) or quantization table \(b[o + 2])")
                    }
                    compIDs.append(Int(b[o])); compH.append(hs); compV.append(vs); compQuant.append(Int(b[o + 2]))
                }
                let mh = compH.max()!, mv = compV.max()!
                guard compH.allSatisfy({ mh % $0 == 0 }), compV.allSatisfy({ mv % $0 == 0 }) else {
                    throw ImageError(.unsupported, path: path, "JPEG: fractional sampling factors \(compH) x \(compV)")
                }
                header = JPEGHeader(width: w, height: h, components: n, progressive: m == 0xC2 || m == 0xCA, orientation: 1)
                huffman = m <= 0xC2
            case 0xC3, 0xC5, 0xC6, 0xC7, 0xCB, 0xCD, 0xCE, 0xCF:
                throw ImageError(.unsupported, path: path, "JPEG: lossless/hierarchical SOF 0x\(String(m, radix: 16)) is not supported")
            case 0xDB:
                var o = s
                while o < end {
                    let pq = Int(b[o] >> 4), tq = Int(b[o] & 15)
                    guard pq <= 1, tq <= 3, o + 1 + 64 * (pq + 1) <= end else { throw corrupt("invalid DQT segment at byte \(at)") }
                    quantDefined[tq] = true
                    o += 1 + 64 * (pq + 1)
                }
            case 0xC4:
                var o = s
                while o < end {
                    guard o + 17 <= end else { throw corrupt("DHT segment at byte \(at) too short") }
                    let tc = Int(b[o] >> 4), th = Int(b[o] & 15)
                    guard tc <= 1, th <= 3 else { throw corrupt("invalid Huffman table index 0x\(String(b[o], radix: 16)) at byte \(o)") }
                    // libjpeg's jpeg_make_d_derived_tbl: after the codes of each length up to the
                    // longest used, the next code must still fit (no all-ones code).
                    var count = 0, code = 0
                    var longest = 0
                    for len in 1...16 where b[o + len] != 0 { longest = len }
                    for len in 1...16 {
                        let k = Int(b[o + len])
                        count += k
                        code += k
                        if len <= longest && code >= (1 << len) {
                            throw corrupt("bad Huffman table at byte \(o): too many codes of length \(len)")
                        }
                        code <<= 1
                    }
                    guard count <= 256, o + 17 + count <= end else { throw corrupt("bad Huffman table at byte \(o): \(count) symbols") }
                    if tc == 0, (0..<count).contains(where: { b[o + 17 + $0] > 15 }) {
                        throw corrupt("bad DC Huffman table at byte \(o): symbol above 15")
                    }
                    if tc == 0 { dcDefined[th] = true } else { acDefined[th] = true }
                    o += 17 + count
                }
            case 0xCC:
                // DAC (jdmarker.c get_dac): index < 32; a DC table's L <= U.
                guard (length - 2) % 2 == 0 else { throw corrupt("DAC at byte \(at) has odd length \(length)") }
                for o in stride(from: s, to: end, by: 2) {
                    let index = Int(b[o]), value = Int(b[o + 1])
                    guard index < 32, index >= 16 || value & 15 <= value >> 4 else {
                        throw corrupt("invalid arithmetic-coding table 0x\(String(index, radix: 16)) value 0x\(String(value, radix: 16)) at byte \(o)")
                    }
                }
            case 0xDD:
                guard length == 4 else { throw corrupt("DRI at byte \(at) has length \(length), expected 4") }
            case 0xDA:
                guard header != nil else { throw corrupt("SOS at byte \(at) before SOF") }
                let n = Int(b[s])
                guard (1...4).contains(n), length == 6 + 2 * n else { throw corrupt("SOS at byte \(at) has \(n) components, length \(length)") }
                var blocks = 0, seen: Set<Int> = []
                var tableRefs: [(dc: Int, ac: Int)] = []
                for c in 0..<n {
                    let id = Int(b[s + 1 + 2 * c]), tables = b[s + 2 + 2 * c]
                    guard let k = compIDs.firstIndex(of: id), seen.insert(id).inserted, tables >> 4 <= 3, tables & 15 <= 3 else {
                        throw corrupt("SOS at byte \(at) names unknown or repeated component \(id) or invalid tables")
                    }
                    guard quantDefined[compQuant[k]] else { throw corrupt("quantization table \(compQuant[k]) is not defined before SOS at byte \(at)") }
                    tableRefs.append((Int(tables >> 4), Int(tables & 15)))
                    blocks += n == 1 ? 1 : compH[k] * compV[k]
                }
                guard blocks <= 10 else { throw corrupt("SOS at byte \(at): \(blocks) blocks per MCU (limit 10)") }
                let ss = Int(b[s + 1 + 2 * n]), se = Int(b[s + 2 + 2 * n])
                let ah = Int(b[s + 3 + 2 * n] >> 4), al = Int(b[s + 3 + 2 * n] & 15)
                if header!.progressive {
                    let bad = (ss == 0 && se != 0) || (ss > 0 && (se < ss || se > 63 || n != 1)) || (ah != 0 && al != ah - 1) || al > 13
                    if bad { throw corrupt("invalid progressive parameters Ss=\(ss) Se=\(se) Ah=\(ah) Al=\(al) at byte \(at)") }
                }
                if huffman {
                    // The tables libjpeg derives at the start of this scan (jdhuff.c / jdphuff.c).
                    let needDC = !header!.progressive || (ss == 0 && ah == 0)
                    let needAC = !header!.progressive || ss > 0
                    for ref in tableRefs {
                        if needDC && !dcDefined[ref.dc] { throw corrupt("DC Huffman table \(ref.dc) is not defined before SOS at byte \(at)") }
                        if needAC && !acDefined[ref.ac] { throw corrupt("AC Huffman table \(ref.ac) is not defined before SOS at byte \(at)") }
                    }
                }
                sawSOS = true
                scans += 1
                // Each progressive scan re-walks the coefficient buffer; bound the work.
                guard scans <= maxScans else { throw corrupt("more than \(maxScans) scans (SOS markers)") }
                // Skip entropy-coded data: up to the next marker that is not a stuffed 0 or RSTn.
                var o = end
                while true {
                    guard o + 1 < b.count else { throw truncated(at) }
                    if b[o] == 0xFF {
                        let next = b[o + 1]
                        if next != 0 && next != 0xFF && !(0xD0...0xD7).contains(next) { break }
                    }
                    o += 1
                }
                pos = o
                continue
            case 0xE1:
                if !sawExif, length >= 8, b[s] == 0x45, b[s + 1] == 0x78, b[s + 2] == 0x69, b[s + 3] == 0x66, b[s + 4] == 0, b[s + 5] == 0 {
                    sawExif = true
                    orientation = ExifOrientation.parse(UnsafeRawBufferPointer(rebasing: b[(s + 6)..<end])) ?? 1
                }
            case 0xE0...0xEF, 0xFE, 0xDC:
                break  // APPn, COM, DNL
            default:
                throw corrupt("unknown marker 0xFF\(String(m, radix: 16, uppercase: true)) at byte \(at)")
            }
            pos = end
        }
        guard var h = header else { throw corrupt("no SOF marker") }
        h.orientation = orientation
        return h
    }
}
