import Foundation
import PlinthModalities
import XCTest

/// TextTokenizers.load builds what modalities/text.yaml names.
final class TokenizerPresetTests: XCTestCase {
    func testLoadsShippedKinds() throws {
        _ = try TextTestSupport.clipVocabulary
        _ = try TextTestSupport.bertVocabulary
        let root = TextTestSupport.root
        let clip = try TextTokenizers.load(kind: "clip_bpe", vocabulary: "assets/vocab/clip/bpe_simple_vocab_16e6.txt",
                                           contextLength: 77, root: root)
        XCTAssertEqual(clip.vocabularySize, 49408)
        let row = try clip.tokenize("a photo of a cat")
        XCTAssertEqual(Array(row.ids.prefix(7)), [49406, 320, 1125, 539, 320, 2368, 49407])
        XCTAssertEqual(row.attentionMask.reduce(0, +), 7)
        XCTAssertEqual(try clip.decodeTokenized(row.ids), "a photo of a cat")

        let bert = try TextTokenizers.load(kind: "wordpiece", vocabulary: "assets/vocab/bert-base-uncased/vocab.txt",
                                           contextLength: 128, root: root)
        let batch = try bert.tokenizeBatch(["Hello, world!", ""])
        XCTAssertEqual(batch.ids.map(\.count), [128, 128])
        XCTAssertEqual(Array(batch.ids[0].prefix(6)), [101, 7592, 1010, 2088, 999, 102])
        XCTAssertEqual(batch.attentionMask[1].reduce(0, +), 2)
        XCTAssertEqual(try bert.decodeTokenized(batch.ids[0]), "hello, world!")
    }

    func testCardPresetsLoad() throws {
        let clip = try TextTokenizers.load(preset: ModalityCards.load(TextPreset.self, preset: "clip"))
        XCTAssertEqual(try clip.tokenize("a photo of a cat").ids.count, 77)
        let bert = try TextTokenizers.load(preset: ModalityCards.load(TextPreset.self, preset: "bert-uncased"))
        XCTAssertEqual(try bert.tokenize("a photo of a cat").ids.prefix(2), [101, 1037])
    }

    func testRejectsUnknownKindAndCasedText() {
        XCTAssertThrowsError(try TextTokenizers.load(kind: "sentencepiece", vocabulary: "x", contextLength: 8)) {
            XCTAssertTrue(String(describing: $0).contains("valid: bpe, clip_bpe, wordpiece"), "\($0)")
        }
        XCTAssertThrowsError(try TextTokenizers.load(kind: "wordpiece", vocabulary: "x", contextLength: 8, lowercase: false))
    }
}
