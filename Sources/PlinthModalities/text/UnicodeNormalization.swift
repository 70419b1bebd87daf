import Foundation

/// NFC and NFD over code points, matching CPython 3.11's `unicodedata.normalize` (Unicode 14).
///
/// Why not Foundation's `precomposedStringWithCanonicalMapping` directly: on Linux it drops marks
/// in long combining sequences (e.g. U+0341 inside a run of 100 marks vanishes) and leaves an LV
/// Hangul syllable + trailing jamo (U+AC70 U+11AA) or U+0CCA + U+0CD5 uncomposed. So the algorithm of Unicode
/// Standard Annex #15 is run here, and Foundation is asked only about single code points (full
/// canonical decomposition of one scalar) and pairs (does starter + mark have a primary
/// composite?), where it is reliable. Hangul syllables are (de)composed arithmetically (Unicode
/// 3.12). Code points assigned after Unicode 14 are left alone with combining class 0, as CPython
/// 3.11 treats them. Results are cached (thread-safe).
enum UnicodeNormalization {
    /// Canonical decomposition followed by canonical ordering.
    static func nfd(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for s in text { out += decompose(s) }
        reorder(&out)
        return out
    }

    /// NFD, then canonical composition (a mark composes with the last starter unless blocked by
    /// an intervening mark of equal or higher class).
    static func nfc(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let d = nfd(text)
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(d.count)
        var starter = -1
        var lastClass: UInt8 = 0
        for c in d {
            let cc = combiningClass(c)
            if starter >= 0 && (out.count - 1 == starter || (lastClass != 0 && lastClass < cc)),
                let p = compose(out[starter], c)
            {
                out[starter] = p
                continue
            }
            if cc == 0 { starter = out.count }
            lastClass = cc
            out.append(c)
        }
        return out
    }

    static func combiningClass(_ s: Unicode.Scalar) -> UInt8 {
        s.value < 0x300 || !PythonUnicode.isUnicode14(s) ? 0 : s.properties.canonicalCombiningClass.rawValue
    }

    /// Stable sort of each run of non-starters by combining class.
    private static func reorder(_ s: inout [Unicode.Scalar]) {
        var i = 0
        while i < s.count {
            guard combiningClass(s[i]) != 0 else { i += 1; continue }
            var j = i
            while j < s.count && combiningClass(s[j]) != 0 { j += 1 }
            if j - i > 1 {
                let run = s[i..<j].enumerated().sorted {
                    let (a, b) = (combiningClass($0.element), combiningClass($1.element))
                    return a != b ? a < b : $0.offset < $1.offset
                }
                s.replaceSubrange(i..<j, with: run.map(\.element))
            }
            i = j
        }
    }

    private static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
    private static let vCount: UInt32 = 21, tCount: UInt32 = 28, sCount: UInt32 = 11172

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var decompositions: [UInt32: [Unicode.Scalar]] = [:]
        var compositions: [UInt64: UInt32] = [:]  // 0 = no composite
    }
    private static let cache = Cache()

    /// Full canonical decomposition of one code point.
    static func decompose(_ s: Unicode.Scalar) -> [Unicode.Scalar] {
        let v = s.value
        if v < 0xC0 || !PythonUnicode.isUnicode14(s) { return [s] }
        if v >= sBase && v < sBase + sCount {
            let i = v - sBase
            var out = [Unicode.Scalar(lBase + i / (vCount * tCount))!, Unicode.Scalar(vBase + (i % (vCount * tCount)) / tCount)!]
            if i % tCount != 0 { out.append(Unicode.Scalar(tBase + i % tCount)!) }
            return out
        }
        cache.lock.lock()
        if let hit = cache.decompositions[v] { cache.lock.unlock(); return hit }
        cache.lock.unlock()
        let d = String(s).decomposedStringWithCanonicalMapping.scalarArray
        cache.lock.lock()
        cache.decompositions[v] = d
        cache.lock.unlock()
        return d
    }

    /// The primary composite of `a` followed by `b`, if any.
    static func compose(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Unicode.Scalar? {
        let (x, y) = (a.value, b.value)
        if x >= lBase && x < lBase + 19 && y >= vBase && y < vBase + vCount {
            return Unicode.Scalar(sBase + ((x - lBase) * vCount + (y - vBase)) * tCount)
        }
        if x >= sBase && x < sBase + sCount && (x - sBase) % tCount == 0 && y > tBase && y < tBase + tCount {
            return Unicode.Scalar(x + (y - tBase))
        }
        if y < 0x300 || !PythonUnicode.isUnicode14(b) { return nil }  // every second half is >= U+0300
        let key = UInt64(x) << 32 | UInt64(y)
        cache.lock.lock()
        if let hit = cache.compositions[key] { cache.lock.unlock(); return hit == 0 ? nil : Unicode.Scalar(hit) }
        cache.lock.unlock()
        // Foundation misses second-level composites from a precomposed input (U+0CCA U+0CD5 stays,
        // though U+0CC6 U+0CC2 U+0CD5 gives U+0CCB), so it is given the decomposed starter.
        let r = String(scalars: decompose(a) + [b]).precomposedStringWithCanonicalMapping.scalarArray
        let p: UInt32 = r.count == 1 && PythonUnicode.isUnicode14(r[0]) && r[0] != a ? r[0].value : 0
        cache.lock.lock()
        cache.compositions[key] = p
        cache.lock.unlock()
        return p == 0 ? nil : Unicode.Scalar(p)
    }
}
