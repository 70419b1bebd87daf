import Foundation
import XCTest

/// Paths and fixture loading shared by the tokenizer tests. Everything is located relative to
/// this file (#filePath), so tests run from any working directory.
enum TextTestSupport {
    /// Repository root: two levels above Tests/PlinthModalitiesTests/.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures/text")

    /// A fetched vocabulary file; fails the test (never skips) when it is absent.
    static func vocabulary(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = root.appendingPathComponent(relative).path
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(path) is missing: run scripts/setup.sh (it calls scripts/fetch_vocab.sh)", file: file, line: line)
            throw MissingVocabulary(path: path)
        }
        return path
    }

    static var clipVocabulary: String { get throws { try vocabulary("assets/vocab/clip/bpe_simple_vocab_16e6.txt") } }
    static var bertVocabulary: String { get throws { try vocabulary("assets/vocab/bert-base-uncased/vocab.txt") } }

    /// One JSON object per line.
    static func jsonl(_ name: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    struct MissingVocabulary: Error { let path: String }
}
