import Foundation
import PlinthModalities
import XCTest

/// Bad input is a thrown TextError naming the byte offset, or the file and line (DESIGN.md section 7).
final class TextErrorTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-text-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func assertThrows(_ body: @autoclosure () throws -> Any, _ expected: TextError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) {
            XCTAssertEqual($0 as? TextError, expected, String(describing: $0), file: file, line: line)
        }
    }

    func testUTF8ValidationNamesTheOffset() throws {
        XCTAssertEqual(try UTF8Validation.decode(Array("héllo 🐶".utf8)), "héllo 🐶")
        let cases: [([UInt8], Int)] = [
            ([0x61, 0x62, 0xFF], 2),                 // never a lead byte
            ([0x61, 0x80], 1),                       // stray continuation
            ([0x61, 0xC3], 1),                       // truncated at end
            ([0xE2, 0x82, 0x41], 0),                 // bad continuation
            ([0x41, 0xC0, 0xAF], 1),                 // overlong "/"
            ([0x41, 0x42, 0xED, 0xA0, 0x80], 2),     // UTF-16 surrogate
            ([0xF4, 0x90, 0x80, 0x80], 0),           // above U+10FFFF
        ]
        for (bytes, offset) in cases {
            XCTAssertThrowsError(try UTF8Validation.decode(bytes)) {
                guard case let TextError.invalidUTF8(got, _) = $0 else { return XCTFail("\($0)") }
                XCTAssertEqual(got, offset, "\(bytes)")
                XCTAssertTrue(String(describing: $0).contains("byte offset \(offset)"), String(describing: $0))
            }
        }
    }

    func testTokenizersRejectInvalidUTF8Bytes() throws {
        let merges = try write("m.txt", Array("#version: 0.2\nh i\n".utf8))
        let clip = try CLIPTokenizer.trained(path: merges, contextLength: 8)
        XCTAssertEqual(try clip.encode(bytes: Data("hi".utf8)), try clip.encode("hi"))
        XCTAssertThrowsError(try clip.tokenize(bytes: Data([0x68, 0x69, 0x20, 0xC3, 0x28]))) {
            XCTAssertTrue(String(describing: $0).contains("byte offset 3"), String(describing: $0))
        }
        let vocab = try write("v.txt", Array("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhi\n".utf8))
        let bert = try WordPieceTokenizer.load(path: vocab, maxLength: 8)
        XCTAssertEqual(try bert.tokenize(bytes: Data("hi".utf8)).ids, [2, 5, 3, 0, 0, 0, 0, 0])
        XCTAssertThrowsError(try bert.encode(bytes: Data([0x68, 0x69, 0x80]))) {
            XCTAssertTrue(String(describing: $0).contains("byte offset 2"), String(describing: $0))
        }
    }

    func testMissingVocabularyNamesTheFile() {
        let missing = dir.appendingPathComponent("nope.txt").path
        XCTAssertThrowsError(try CLIPTokenizer.openAI(path: missing)) {
            XCTAssertTrue(String(describing: $0).contains(missing) && String(describing: $0).contains("setup.sh"), "\($0)")
        }
        XCTAssertThrowsError(try WordPieceTokenizer.load(path: missing)) {
            XCTAssertTrue(String(describing: $0).contains(missing), "\($0)")
        }
    }

    func testMalformedMergesNameFileAndLine() throws {
        let bad = try write("bad.txt", Array("#version: 0.2\nh i\nthree sym bols\n".utf8))
        assertThrows(try ByteLevelBPE.loadMerges(path: bad),
                     .vocabulary(file: bad, line: 3, message: "expected two space-separated symbols, found 3"))
        let noHeader = try write("nohdr.txt", Array("h i\n".utf8))
        assertThrows(try ByteLevelBPE.loadMerges(path: noHeader),
                     .vocabulary(file: noHeader, line: 1, message: "expected a '#version: ...' header line"))
        let short = try write("short.txt", Array("#version: 0.2\nh i\n".utf8))
        XCTAssertThrowsError(try CLIPTokenizer.openAI(path: short)) {
            XCTAssertTrue(String(describing: $0).contains("expected 48894 merges, found 1"), "\($0)")
        }
        let notUTF8 = try write("latin1.txt", Array("#version: 0.2\nh i\nc".utf8) + [0xE9, 0x20, 0x61, 0x0A])
        XCTAssertThrowsError(try ByteLevelBPE.loadMerges(path: notUTF8)) {
            XCTAssertTrue(String(describing: $0).hasPrefix("\(notUTF8):3: not UTF-8 (byte offset 19"), "\($0)")
        }
    }

    func testMalformedWordPieceVocabularyNamesFileAndLine() throws {
        let spaced = try write("spaced.txt", Array("[PAD]\n[UNK]\nbad token\n".utf8))
        XCTAssertThrowsError(try WordPieceTokenizer.load(path: spaced)) {
            XCTAssertTrue(String(describing: $0).hasPrefix("\(spaced):3: expected one token"), "\($0)")
        }
        let noSpecials = try write("nospecial.txt", Array("[PAD]\n[UNK]\nhello\n".utf8))
        XCTAssertThrowsError(try WordPieceTokenizer.load(path: noSpecials)) {
            XCTAssertTrue(String(describing: $0).contains("has no [SEP] token"), "\($0)")
        }
    }

    func testDecodeRejectsOutOfRangeIds() throws {
        let merges = try write("m.txt", Array("#version: 0.2\nh i</w>\n".utf8))
        let clip = try CLIPTokenizer.trained(path: merges, contextLength: 8)
        XCTAssertThrowsError(try clip.decode([5, 515]))
        XCTAssertThrowsError(try clip.decode([-1]))
        XCTAssertEqual(try clip.decode([clip.bpe.encoder["hi</w>"]!]), "hi ")
    }

    func testContextAndInputBounds() throws {
        let merges = try write("m.txt", Array("#version: 0.2\n".utf8))
        let bpe = ByteLevelBPE(merges: try ByteLevelBPE.loadMerges(path: merges), specialTokens: CLIPTokenizer.defaultSpecialTokens)
        XCTAssertThrowsError(try CLIPTokenizer(bpe: bpe, contextLength: 1))
        var tok = try CLIPTokenizer(bpe: bpe, contextLength: 4)
        tok.maxInputScalars = 10
        XCTAssertThrowsError(try tok.encode(String(repeating: "a", count: 11)))
        // Truncation keeps <end_of_text> last, as open_clip does.
        XCTAssertEqual(try tok.tokenize("abc").ids, [512, 64, 65, tok.endOfText])
    }
}
