/// HTML character-reference decoding, two flavours the CLIP text cleaner needs.
///
/// - `pythonUnescape`: Python 3.11 `html.unescape` (the HTML5 rules): numeric references with
///   or without ";", the Windows-1252 remapping of &#128;..&#159;, U+FFFD for surrogates and
///   values above U+10FFFF, "" for control/noncharacter code points, named references by
///   exact name or else by their longest prefix among the names without ";" ("&amp" + "x").
/// - `ftfyUnescape`: ftfy 6.3 `fixes.unescape_html`: only `&#?[0-9A-Za-z]{1,24};` spans are
///   decoded, named ones only when they end in ";" (plus all-caps forms such as "&EACUTE;"
///   that are not themselves HTML5 names), numeric ones through `pythonUnescape`.
enum HTMLUnescape {
    /// `html.entities.html5`: name (with or without ";") to replacement code points.
    static let html5: [String: [Unicode.Scalar]] = {
        var table: [String: [Unicode.Scalar]] = [:]
        for entry in HTMLEntityTable.packed.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = entry.split(separator: "=", maxSplits: 1)
            let scalars = parts[1].split(separator: ".").map { Unicode.Scalar(UInt32($0, radix: 16)!)! }
            table[String(parts[0])] = scalars
        }
        return table
    }()

    /// ftfy's `HTML_ENTITIES`: "&name;" to replacement, plus the safe all-caps variants.
    static let ftfyEntities: [String: [Unicode.Scalar]] = {
        var table: [String: [Unicode.Scalar]] = [:]
        for (name, value) in html5 where name.hasSuffix(";") {
            table["&" + name] = value
        }
        for (name, value) in html5 where name.hasSuffix(";") && name == name.lowercased() {
            let upper = "&" + name.uppercased()
            if pythonUnescape(upper.scalarArray) == upper.scalarArray {
                table[upper] = PythonUnicode.upper(value)
            }
        }
        return table
    }()

    /// Code points `html.unescape` drops: C0/C1 controls except tab/newline/FF/CR, U+FDD0..U+FDEF
    /// and the two noncharacters at the end of every plane.
    private static func isInvalidCodepoint(_ n: UInt32) -> Bool {
        (0x1...0x8).contains(n) || (0xE...0x1F).contains(n) || (0x7F...0x9F).contains(n) || n == 0xB
            || (0xFDD0...0xFDEF).contains(n) || (n & 0xFFFE) == 0xFFFE
    }

    /// `html._invalid_charrefs`: 0x00, 0x0D and 0x80..0x9F remapped (Windows-1252 for the latter).
    private static let invalidCharrefs: [UInt32: UInt32] = {
        var m: [UInt32: UInt32] = [0x00: 0xFFFD, 0x0D: 0x0D]
        let cp1252: [UInt32] = [
            0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030, 0x160, 0x2039, 0x152,
            0x8D, 0x17D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x2DC, 0x2122,
            0x161, 0x203A, 0x153, 0x9D, 0x17E, 0x178,
        ]
        for (i, v) in cp1252.enumerated() { m[0x80 + UInt32(i)] = v }
        return m
    }()

    static func isDigit(_ s: Unicode.Scalar) -> Bool { (0x30...0x39).contains(s.value) }
    static func isHex(_ s: Unicode.Scalar) -> Bool { s.properties.isASCIIHexDigit }
    static func isASCIIAlnum(_ s: Unicode.Scalar) -> Bool {
        isDigit(s) || (0x41...0x5A).contains(s.value) || (0x61...0x7A).contains(s.value)
    }

    /// Decodes a numeric reference's digits the way `html._replace_charref` does.
    private static func numeric(_ digits: ArraySlice<Unicode.Scalar>, radix: UInt32) -> [Unicode.Scalar] {
        var n: UInt32 = 0
        for d in digits {
            let v = UInt32(Int(String(d), radix: Int(radix))!)
            n = n > 0x10FFFF ? n : n * radix + v  // saturate: anything past U+10FFFF is U+FFFD
        }
        if let mapped = invalidCharrefs[n] { return [Unicode.Scalar(mapped)!] }
        if (0xD800...0xDFFF).contains(n) || n > 0x10FFFF { return ["\u{FFFD}"] }
        if isInvalidCodepoint(n) { return [] }
        return [Unicode.Scalar(n)!]
    }

    /// Python 3.11 `html.unescape` over code points.
    static func pythonUnescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        let n = text.count
        while i < n {
            guard text[i] == "&", i + 1 < n else { out.append(text[i]); i += 1; continue }
            var j = i + 1
            if text[j] == "#" {
                j += 1
                var radix: UInt32 = 10
                if j < n && (text[j] == "x" || text[j] == "X") && j + 1 < n && isHex(text[j + 1]) {
                    radix = 16
                    j += 1
                }
                let start = j
                while j < n && (radix == 16 ? isHex(text[j]) : isDigit(text[j])) { j += 1 }
                guard j > start else { out.append(text[i]); i += 1; continue }
                let digits = text[start..<j]
                if j < n && text[j] == ";" { j += 1 }
                out.append(contentsOf: numeric(digits, radix: radix))
                i = j
                continue
            }
            // [^\t\n\f <&#;]{1,32};?
            while j < n && j - (i + 1) < 32 && !["\t", "\n", "\u{C}", " ", "<", "&", "#", ";"].contains(text[j]) {
                j += 1
            }
            guard j > i + 1 else { out.append(text[i]); i += 1; continue }
            if j < n && text[j] == ";" { j += 1 }
            let name = Array(text[(i + 1)..<j])
            if let v = html5[String(scalars: name)] {
                out.append(contentsOf: v)
            } else if let x = stride(from: name.count - 1, to: 1, by: -1).first(where: {
                html5[String(scalars: name[..<$0])] != nil
            }) {
                out.append(contentsOf: html5[String(scalars: name[..<x])]!)
                out.append(contentsOf: name[x...])
            } else {
                out.append("&")
                out.append(contentsOf: name)
            }
            i = j
        }
        return out
    }

    /// ftfy 6.3 `fixes.unescape_html` over code points.
    static func ftfyUnescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var out: [Unicode.Scalar] = []
        var i = 0
        let n = text.count
        while i < n {
            guard text[i] == "&" else { out.append(text[i]); i += 1; continue }
            var j = i + 1
            if j < n && text[j] == "#" { j += 1 }
            let start = j
            while j < n && isASCIIAlnum(text[j]) { j += 1 }
            let run = j - start
            guard run >= 1 && run <= 24 && j < n && text[j] == ";" else { out.append(text[i]); i += 1; continue }
            let span = Array(text[i...j])
            let key = String(scalars: span)
            if let v = ftfyEntities[key] {
                out.append(contentsOf: v)
            } else if span[1] == "#" {
                let u = pythonUnescape(span)
                out.append(contentsOf: u.contains(";") ? span : u)
            } else {
                out.append(contentsOf: span)
            }
            i = j + 1
        }
        return out
    }
}
