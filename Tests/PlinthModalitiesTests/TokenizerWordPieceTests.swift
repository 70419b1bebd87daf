import Foundation
import PlinthModalities
import XCTest

/// Hugging Face BertTokenizer parity: Tests/Fixtures/text/bert_tokenize.jsonl (max_length 64).
final class TokenizerWordPieceTests: XCTestCase {
    static let tokenizer = Result { try WordPieceTokenizer.load(path: TextTestSupport.bertVocabulary, maxLength: 64) }

    func testSpecialIds() throws {
        let tok = try Self.tokenizer.get()
        XCTAssertEqual(tok.tokens.count, 30522)
        XCTAssertEqual([tok.pad, tok.unk, tok.cls, tok.sep, tok.mask], [0, 100, 101, 102, 103])
        XCTAssertEqual(try tok.pieces("unaffable [MASK]ed"), ["una", "##ffa", "##ble", "[MASK]", "ed"])
        XCTAssertEqual(try tok.pieces("Héllo, WORLD! 東京"), ["hello", ",", "world", "!", "東", "京"])
    }

    func testMatchesBertTokenizerFixture() throws {
        let tok = try Self.tokenizer.get()
        let rows = try TextTestSupport.jsonl("bert_tokenize.jsonl")
        XCTAssertGreaterThanOrEqual(rows.count, 200)
        var exact = 0, decoded = 0
        for row in rows {
            let text = row["text"] as! String
            let got = try tok.tokenize(text)
            if got.ids == row["ids"] as! [Int] && got.attentionMask == row["attention_mask"] as! [Int] {
                exact += 1
            } else {
                XCTFail("differs for \(text.debugDescription):\n got \(got.ids)\nwant \(row["ids"]!)")
            }
            let dec = try tok.decode(got.ids)
            if dec == row["decoded"] as! String { decoded += 1 } else {
                XCTFail("decode differs for \(text.debugDescription): \(dec.debugDescription) vs \((row["decoded"] as! String).debugDescription)")
            }
        }
        print("BERT fixture: \(exact)/\(rows.count) exact ids+mask, \(decoded)/\(rows.count) exact decodes")
    }
}
