import Foundation
import PlinthData
import PlinthModalities
import PlinthTensor
import XCTest

extension XCTestCase {
    /// A fresh folder under the system temporary folder, removed after the test.
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plinthdata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The error `body` throws as a ``DataError``; fails the test when it throws nothing or another error.
    func dataError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> DataError? {
        do {
            _ = try body()
            XCTFail("expected a DataError", file: file, line: line)
        } catch let e as DataError {
            return e
        } catch {
            XCTFail("expected a DataError, got \(error)", file: file, line: line)
        }
        return nil
    }
}

/// Writes an IDX image file `[count, side, side]` of seeded random bytes; returns the bytes after the header.
@discardableResult
func writeIDXImages(to url: URL, count: Int, side: Int, seed: UInt64 = 1) throws -> [UInt8] {
    let g = RandomGenerator(seed: seed)
    let pixels = (0..<(count * side * side)).map { _ in UInt8(g.nextInt(below: 256)) }
    var header: [UInt8] = [0, 0, 8, 3]
    for d in [count, side, side] { header += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
    try Data(header + pixels).write(to: url)
    return pixels
}

/// `count` records on an IDX file of 8x8 images: labels `i % 3`, text "item i", label name "thing i".
func idxRecords(in directory: URL, count: Int) throws -> [ManifestRecord] {
    let path = directory.appendingPathComponent("images-idx3-ubyte").path
    try writeIDXImages(to: URL(fileURLWithPath: path), count: count, side: 8)
    return (0..<count).map {
        ManifestRecord(id: "toy/\($0)", image: "\(path)#\($0)", text: "item \($0)", label: $0 % 3, labelName: "thing \($0)",
                       split: .train)
    }
}

/// A byte-level tokenizer: start token 1, bytes + 2, padded with 0 to `contextLength`.
struct ByteTokenizer: TextTokenizer {
    var contextLength = 8
    var vocabularySize: Int { 258 }
    var padId: Int { 0 }

    func encode(_ text: String) throws -> [Int] { text.utf8.map { Int($0) + 2 } }

    func tokenize(_ text: String) throws -> (ids: [Int], attentionMask: [Int]) {
        let ids = Array(([1] + (try encode(text))).prefix(contextLength))
        let pad = contextLength - ids.count
        return (ids + Array(repeating: 0, count: pad), Array(repeating: 1, count: ids.count) + Array(repeating: 0, count: pad))
    }

    func decodeTokenized(_ ids: [Int]) throws -> String {
        String(decoding: ids.filter { $0 >= 2 }.map { UInt8($0 - 2) }, as: UTF8.self)
    }
}
