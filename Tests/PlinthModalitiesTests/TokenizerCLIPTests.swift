import Foundation
import PlinthModalities
import XCTest

/// open_clip parity: Tests/Fixtures/text/clip_tokenize.jsonl from scripts/fixtures/gen_text.py.
final class TokenizerCLIPTests: XCTestCase {
    static let tokenizer = Result { try CLIPTokenizer.openAI(path: TextTestSupport.clipVocabulary) }

    func testVocabularyLayout() throws {
        let tok = try Self.tokenizer.get()
        XCTAssertEqual(tok.vocabularySize, 49408)
        XCTAssertEqual(tok.startOfText, 49406)
        XCTAssertEqual(tok.endOfText, 49407)
        XCTAssertEqual(tok.bpe.merges.count, 48894)
    }

    func testMatchesOpenCLIPFixture() throws {
        let tok = try Self.tokenizer.get()
        let rows = try TextTestSupport.jsonl("clip_tokenize.jsonl")
        XCTAssertGreaterThanOrEqual(rows.count, 200)
        var exact = 0, decoded = 0
        for row in rows {
            let text = row["text"] as! String
            let expected = row["ids"] as! [Int]
            let got = try tok.tokenize(text)
            if got.ids == expected { exact += 1 } else { XCTFail("ids differ for \(text.debugDescription):\n got \(got.ids)\nwant \(expected)") }
            let end = expected.lastIndex(of: 49407)!
            let mask = expected.indices.map { $0 <= end ? 1 : 0 }
            XCTAssertEqual(got.attentionMask, mask, text.debugDescription)
            let dec = try tok.decode(try tok.encode(text))
            if dec == row["decoded"] as! String { decoded += 1 } else { XCTFail("decode differs for \(text.debugDescription): \(dec.debugDescription)") }
        }
        print("CLIP fixture: \(exact)/\(rows.count) exact ids, \(decoded)/\(rows.count) exact decodes")
    }
}

/// Tokens added for textual inversion: matched whole before BPE, ids after the vocabulary.
final class TokenizerAddedTokenTests: XCTestCase {
    func testAddedTokenIsOneOrSeveralNewIds() throws {
        let base = try TokenizerCLIPTests.tokenizer.get()
        let tok = try base.adding("<my-mug>", count: 2)
        XCTAssertEqual(tok.vocabularySize, 49410)
        XCTAssertEqual(try tok.encode("A photo of <My-Mug>!"), try base.encode("a photo of") + [49408, 49409] + base.encode("!"))
        XCTAssertEqual(try tok.encode("a photo of a mug"), try base.encode("a photo of a mug"), "other text is unchanged")
        let row = try tok.tokenize("a photo of <my-mug>").ids
        XCTAssertEqual(try tok.decodeTokenized(row), "a photo of <my-mug>")
        let more = try tok.adding("<my-mug-2>")
        XCTAssertEqual(try more.encode("<my-mug-2> <my-mug>"), [49410, 49408, 49409], "the longer token wins")
    }

    func testRejectsBadTokens() throws {
        let base = try TokenizerCLIPTests.tokenizer.get()
        for bad in ["", "two words", "<Upper>", "cat", "<end_of_text>"] {
            XCTAssertThrowsError(try base.adding(bad), bad.debugDescription)
        }
        XCTAssertThrowsError(try base.adding("<x>").adding("<x>"))
        XCTAssertThrowsError(try base.adding("<x>", count: 0))
    }
}
