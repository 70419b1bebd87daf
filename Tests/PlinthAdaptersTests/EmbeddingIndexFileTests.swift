import Foundation
import PlinthAdapters
import PlinthNN
import XCTest

/// Saving and loading an index: round trips, and load errors that name the file
/// and the field.
final class EmbeddingIndexFileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func sampleIndex() throws -> EmbeddingIndex {
        let items: [EmbeddingIndex.ItemMetadata] = [
            .init(modality: "image", path: "/usr/share/tuxpaint/stamps/animals/cat.png", caption: "A \"cat\"\non a mat"),
            .init(modality: "audio", path: "sounds/meow.ogg"),
            .init(),
            .init(caption: "Ünïcödé, 猫"),
        ]
        return try EmbeddingIndex(vectors: Tensor.randn([4, 12], generator: RandomGenerator(seed: 5)),
                                  ids: ["cat", "meow", "", "猫"], items: items, model: "plinth-tiny/16")
    }

    func testF32RoundTripIsExact() throws {
        let index = try sampleIndex()
        let url = directory.appendingPathComponent("index.safetensors")
        try index.save(to: url)
        let loaded = try EmbeddingIndex.load(from: url)
        XCTAssertEqual(loaded.vectors.shape, [4, 12])
        XCTAssertEqual(loaded.vectors.toArray(), index.vectors.toArray())
        XCTAssertEqual(loaded.ids, index.ids)
        XCTAssertEqual(loaded.items, index.items)
        XCTAssertEqual(loaded.model, "plinth-tiny/16")
        let queries = Tensor.randn([3, 12], generator: RandomGenerator(seed: 6))
        XCTAssertEqual(loaded.search(queries, k: 4), index.search(queries, k: 4))
        // The file is standard safetensors with the documented fields, and no temporary file is left.
        let file = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(file.entries["embeddings"]?.dtype, .f32)
        XCTAssertEqual(file.metadata["format"], EmbeddingIndex.fileFormat)
        XCTAssertEqual(file.metadata["embedding_dim"], "12")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["index.safetensors"])
    }

    func testF16RoundTripIsCloseAndUnitNorm() throws {
        let index = try sampleIndex()
        let url = directory.appendingPathComponent("half.safetensors")
        try index.save(to: url, precision: .f16)
        XCTAssertEqual(try SafetensorsFile(contentsOf: url).entries["embeddings"]?.dtype, .f16)
        let loaded = try EmbeddingIndex.load(from: url)
        let (a, b) = (loaded.vectors.toArray(), index.vectors.toArray())
        XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max()!, 1e-3)
        for row in 0..<4 {
            let norm = a[(row * 12)..<((row + 1) * 12)].reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-6)
        }
        XCTAssertEqual(loaded.ids, index.ids)
        XCTAssertEqual(loaded.items, index.items)
    }

    // MARK: - Invalid files

    /// The metadata `save` writes for 2 items of width 3.
    func validMetadata() -> [String: String] {
        ["format": EmbeddingIndex.fileFormat, "model": "m", "embedding_dim": "3",
         "ids": #"["a","b"]"#, "items": #"[{"modality":"image"},{}]"#]
    }

    let unitRows: [Float] = [1, 0, 0, 0, 0.6, 0.8]

    func write(_ metadata: [String: String], _ tensors: [SafetensorsWriter.Tensor]? = nil) throws -> URL {
        let url = directory.appendingPathComponent("bad.safetensors")
        try writeSafetensors(to: url, tensors: tensors ?? [.f32("embeddings", shape: [2, 3], unitRows)], metadata: metadata)
        return url
    }

    func assertLoadFails(_ url: URL, _ fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try EmbeddingIndex.load(from: url), line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(url.path), "'\(text)' lacks the path", line: line)
            for fragment in fragments {
                XCTAssertTrue(text.contains(fragment), "'\(text)' lacks '\(fragment)'", line: line)
            }
        }
    }

    func testTheHandWrittenValidFileLoads() throws {
        let index = try EmbeddingIndex.load(from: write(validMetadata()))
        XCTAssertEqual(index.ids, ["a", "b"])
        XCTAssertEqual(index.items, [.init(modality: "image"), .init()])
        XCTAssertEqual(index.vectors.toArray(), unitRows)
    }

    func testMissingMetadataFieldsAreNamed() throws {
        for key in ["format", "model", "embedding_dim", "ids", "items"] {
            var metadata = validMetadata()
            metadata[key] = nil
            assertLoadFails(try write(metadata), ["metadata field '\(key)' is missing"])
        }
    }

    func testInvalidMetadataFieldsAreNamed() throws {
        let cases: [(String, String, [String])] = [
            ("format", "plinth-embedding-index/9", ["metadata field 'format'", "expected 'plinth-embedding-index/1'"]),
            ("embedding_dim", "three", ["metadata field 'embedding_dim' is 'three'"]),
            ("embedding_dim", "0", ["metadata field 'embedding_dim' is '0'"]),
            ("embedding_dim", "4", ["tensor 'embeddings' has shape [2, 3], expected [N, 4]"]),
            ("ids", "[1, 2]", ["metadata field 'ids' is not a JSON array of strings"]),
            ("ids", #"["a", "b""#, ["metadata field 'ids' is not a JSON array of strings"]),
            ("ids", #"["a"]"#, ["metadata field 'ids' has 1 entries for 2 embeddings"]),
            ("ids", #"["a", "a"]"#, ["id \"a\" of item 1"]),
            ("items", #"[{"path": 3}, {}]"#, ["metadata field 'items' is not a JSON array of objects"]),
            ("items", "[{}, {}, {}]", ["metadata field 'items' has 3 entries for 2 embeddings"]),
        ]
        for (key, value, fragments) in cases {
            var metadata = validMetadata()
            metadata[key] = value
            assertLoadFails(try write(metadata), fragments)
        }
    }

    func testInvalidEmbeddingsTensorIsNamed() throws {
        let metadata = validMetadata()
        assertLoadFails(try write(metadata, [.f32("vectors", shape: [2, 3], unitRows)]), ["tensor 'embeddings' is missing"])
        assertLoadFails(try write(metadata, [.i64("embeddings", shape: [2, 3], [1, 0, 0, 0, 1, 0])]),
                        ["tensor 'embeddings' has dtype I64"])
        assertLoadFails(try write(metadata, [SafetensorsWriter.Tensor(name: "embeddings", dtype: .f32, shape: [6], bytes: [UInt8](repeating: 0, count: 24))]),
                        ["tensor 'embeddings' has shape [6], expected [N, 3]"])
        assertLoadFails(try write(metadata, [.f32("embeddings", shape: [2, 3], [1, 0, 0, 0, 3, 4])]),
                        ["row 1 (id \"b\") has norm 5.0, expected a unit vector"])
        assertLoadFails(try write(metadata, [.f32("embeddings", shape: [2, 3], [1, 0, 0, 0, 0, 0])]),
                        ["row 1 (id \"b\") is zero"])
        assertLoadFails(try write(metadata, [.f16("embeddings", shape: [2, 3], [1, 0, .infinity, 0, 0.6, 0.8])]),
                        ["row 0 (id \"a\") is not finite"])
    }

    func testCorruptFilesAreSafetensorsErrors() throws {
        let url = try write(validMetadata())
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count - 5).write(to: url)
        assertLoadFails(url, [])
        XCTAssertThrowsError(try EmbeddingIndex.load(from: url)) { XCTAssertTrue($0 is SafetensorsError, "\($0)") }
        try Data("not a safetensors file at all".utf8).write(to: url)
        assertLoadFails(url, [])
        let missing = directory.appendingPathComponent("missing.safetensors")
        assertLoadFails(missing, ["cannot open"])
    }
}
