import Foundation
@testable import PlinthModalities
import XCTest

/// ftfy parity for mojibake repair: Tests/Fixtures/text/ftfy_fix_text.jsonl from
/// scripts/fixtures/gen_text.py (ftfy 6.3.1 `fix_text` and `fix_encoding`, open_clip 3.3.0 ids).
final class TextMojibakeTests: XCTestCase {
    private static func scalars(_ s: String) -> [Unicode.Scalar] { Array(s.unicodeScalars) }
    private static func show(_ s: [Unicode.Scalar]) -> String { String(scalars: s).debugDescription }

    func testFixTextMatchesFtfyFixture() throws {
        let rows = try TextTestSupport.jsonl("ftfy_fix_text.jsonl")
        XCTAssertGreaterThanOrEqual(rows.count, 500)
        var fixedText = 0, fixedEncoding = 0, repaired = 0
        for row in rows {
            let text = Self.scalars(row["text"] as! String)
            let want = Self.scalars(row["fixed"] as! String)
            let wantEncoding = Self.scalars(row["fixed_encoding"] as! String)
            let got = TextCleaner.fixText(text)
            if got == want { fixedText += 1 } else {
                XCTFail("fix_text differs for \(Self.show(text)):\n got \(Self.show(got))\nwant \(Self.show(want))")
            }
            let gotEncoding = MojibakeRepair.fixEncoding(text)
            if gotEncoding == wantEncoding { fixedEncoding += 1 } else {
                XCTFail("fix_encoding differs for \(Self.show(text)):\n got \(Self.show(gotEncoding))\nwant \(Self.show(wantEncoding))")
            }
            if wantEncoding != text { repaired += 1 }
        }
        XCTAssertGreaterThan(repaired, 300, "most fixture strings are mojibake that ftfy repairs")
        print("ftfy fixture: \(fixedText)/\(rows.count) fix_text, \(fixedEncoding)/\(rows.count) fix_encoding exact"
            + " (\(repaired) repaired)")
    }

    func testCLIPIdsMatchOpenCLIPOnMojibake() throws {
        let tok = try TokenizerCLIPTests.tokenizer.get()
        let rows = try TextTestSupport.jsonl("ftfy_fix_text.jsonl")
        var exact = 0
        for row in rows {
            let text = row["text"] as! String
            let ids = row["ids"] as! [Int]  // up to <end_of_text>; open_clip pads with zeros to 77
            let want = ids + [Int](repeating: 0, count: 77 - ids.count)
            let got = try tok.tokenize(text).ids
            if got == want { exact += 1 } else { XCTFail("ids differ for \(text.debugDescription):\n got \(got)\nwant \(want)") }
        }
        print("ftfy fixture: \(exact)/\(rows.count) exact CLIP ids")
    }

    /// The examples in ftfy's docstrings.
    func testFtfyDocstringExamples() {
        let cases: [(String, String)] = [
            ("sÃ³", "só"), ("voilÃ le travail", "voilà le travail"), ("Ã³", "ó"),
            ("&ATILDE;&SUP3;", "&ATILDE;&SUP3;"), ("âœ” No problems", "✔ No problems"),
            ("â€œ like this â€\u{FFFD}", "“ like this \u{FFFD}"),
        ]
        for (text, want) in cases {
            XCTAssertEqual(MojibakeRepair.fixEncoding(Self.scalars(text)), Self.scalars(want), text)
        }
        XCTAssertEqual(TextCleaner.fixText(Self.scalars("&macr;\\_(ã\u{83}\u{84})_/&macr;")), Self.scalars("¯\\_(ツ)_/¯"))
        XCTAssertEqual(TextCleaner.fixText(Self.scalars("Ã©À\n")), Self.scalars("é"), "utf-8-variants reads C0 + final \\n as U+0000")
    }

    func testUTF8Decoders() {
        func strict(_ b: [UInt8]) -> [Unicode.Scalar]? { UTF8Variants.decodeStrict(b[...]) }
        XCTAssertEqual(strict([0x63, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80]), ["c", "é", "\u{1F600}"])
        let invalid: [[UInt8]] = [[0xC0, 0x80], [0xC3], [0xED, 0xA0, 0x80], [0xE0, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0x80]]
        for bad in invalid {
            XCTAssertNil(strict(bad), "\(bad)")
        }
        XCTAssertEqual(UTF8Variants.decodeVariants([0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x8D]), ["\u{1F60D}"])
        XCTAssertEqual(UTF8Variants.decodeVariants([0x61, 0xC0, 0x80, 0x62]), ["a", "\u{0}", "b"])
        XCTAssertEqual(UTF8Variants.decodeVariants([0x61, 0xC0, 0x0A]), ["a", "\u{0}"], "Python's $ before a final newline")
        XCTAssertEqual(UTF8Variants.decodeVariants([0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x0A]), ["\u{1F60A}"])
        XCTAssertEqual(UTF8Variants.decodeVariants([0xED, 0x95, 0x9C]), ["한"])
        XCTAssertNil(UTF8Variants.decodeVariants([0xED, 0xA0, 0xBD, 0x61]))
        XCTAssertNil(UTF8Variants.decodeVariants([0xC0, 0x41]))
        XCTAssertNil(UTF8Variants.decodeVariants([0x61, 0xC0]))
    }

    func testSingleByteCodecs() {
        let names = SingleByteCodec.ftfyCharmaps.map(\.name)
        XCTAssertEqual(names, [
            "latin-1", "sloppy-windows-1252", "sloppy-windows-1251", "sloppy-windows-1250", "sloppy-windows-1253",
            "sloppy-windows-1254", "sloppy-windows-1257", "iso-8859-2", "macroman", "cp437",
        ])
        for codec in SingleByteCodec.ftfyCharmaps {
            let all = (0...255).map(UInt8.init)
            XCTAssertEqual(codec.encode(codec.decode(all)), all, codec.name)
            XCTAssertEqual(codec.canEncode(["\u{1A}"]), !codec.sloppy, codec.name)
        }
        let cp1252 = SingleByteCodec.sloppyWindows1252
        XCTAssertEqual(cp1252.decode([0x80, 0x81, 0x93, 0x1A]), ["€", "\u{81}", "“", "\u{FFFD}"])
        XCTAssertNil(SingleByteCodec.decodeWindows1252Strict([0x41, 0x81]))
        XCTAssertEqual(SingleByteCodec.decodeWindows1252Strict([0x1A, 0x93]), ["\u{1A}", "“"])
        XCTAssertFalse(cp1252.canEncode(["한"]))
        XCTAssertEqual(MojibakeRepair.fixC1Controls(["\u{93}", "x", "\u{81}"]), ["“", "x", "\u{81}"])
    }

    func testByteTranscoders() {
        func bytes(_ s: String) -> [UInt8] { s.unicodeScalars.map { UInt8($0.value) } }  // latin-1
        XCTAssertEqual(MojibakeTranscoders.restoreByteA0(bytes("voil\u{C3} le")), bytes("voil\u{C3}\u{A0} le"))
        XCTAssertEqual(MojibakeTranscoders.restoreByteA0(bytes("\u{C3} s vezes")), bytes("\u{C3}\u{A0}s vezes"))
        XCTAssertEqual(MojibakeTranscoders.restoreByteA0(bytes("\u{C3} quele")), bytes("\u{C3}\u{A0}quele"))
        XCTAssertEqual(MojibakeTranscoders.restoreByteA0(bytes("\u{F0}\u{9F}\u{A4} x")), bytes("\u{F0}\u{9F}\u{A4}\u{A0}x"))
        XCTAssertEqual(MojibakeTranscoders.replaceLossySequences(bytes("\u{E2}\u{80}\u{1A} \u{C3}? \u{1A}")),
                       bytes("\u{EF}\u{BF}\u{BD} \u{EF}\u{BF}\u{BD} \u{EF}\u{BF}\u{BD}"))
        XCTAssertFalse(MojibakeTranscoders.alteredUTF8.occurs(in: bytes("plain text")))
    }

    func testBadnessHeuristic() {
        for bad in ["sÃ³", "â€œ", "\u{80}", "Ã la", "вЂ", "âœ”", "ГўВЂВ\u{9D}x"] {
            XCTAssertTrue(MojibakeBadness.isBad(Self.scalars(bad)), bad)
        }
        for good in ["café", "naïve", "IRMÃOS", "10²", "日本語", "(ò_ó)", "plain", "", "Ã"] {
            XCTAssertFalse(MojibakeBadness.isBad(Self.scalars(good)), good)
        }
    }
}
