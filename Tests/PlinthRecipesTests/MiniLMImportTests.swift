import Foundation
import PlinthModalities
import PlinthModels
import PlinthNN
import PlinthRecipes
import PlinthTestSupport
import XCTest

/// all-MiniLM-L6-v2 (installed by scripts/setup.sh) imported and run by Plinth
/// against sentence-transformers' embeddings of the same sentences
/// (Tests/Fixtures/import/minilm_*, scripts/fixtures/gen_import.py).
final class MiniLMImportTests: XCTestCase {
    static let source = Assets.root.appendingPathComponent("assets/pretrained/all-MiniLM-L6-v2")

    /// Fails (not skips) without the model: the test command runs scripts/setup.sh, which installs it.
    static func requireModel() throws {
        struct Missing: Error, CustomStringConvertible {
            var description: String { "all-MiniLM-L6-v2 is not installed at \(MiniLMImportTests.source.path): run scripts/setup.sh" }
        }
        guard FileManager.default.fileExists(atPath: source.appendingPathComponent("model.safetensors").path) else { throw Missing() }
    }

    func imported() throws -> (Embedder, URL) {
        try Self.requireModel()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-minilm-\(UUID().uuidString)")
        let (url, card) = try ModelImport(source: Self.source).write(to: out)
        XCTAssertEqual(card.config.bert?.pooling, .mean)
        XCTAssertEqual(card.config.bert?.normalize, true)
        XCTAssertEqual(card.textTokenizer?.contextLength, 256)
        return (try Embedder(modelFile: url), out)
    }

    func testEmbeddingsMatchSentenceTransformers() throws {
        let (embedder, out) = try imported()
        defer { try? FileManager.default.removeItem(at: out) }
        let fixture = try Fixtures.open("import/minilm_embeddings.safetensors")
        let sentences = try JSONDecoder().decode([String].self, from: Data(contentsOf:
            Fixtures.directory.appendingPathComponent("import/minilm_sentences.json")))
        XCTAssertGreaterThanOrEqual(sentences.count, 50)
        // The tokenizer gives sentence-transformers' ids, truncation at 256 included.
        for (i, s) in sentences.enumerated() {
            let row = try embedder.inputs.tokenizer!.tokenize(s)
            let ids = zip(row.ids, row.attentionMask).filter { $0.1 == 1 }.map(\.0)
            XCTAssertEqual(ids, try fixture.tensor("input.ids.\(i)").toArray().map { Int($0) }, "sentence \(i): \(s)")
        }
        let ours = try embedder.embed(texts: sentences)                                   // [N, 384]
        let reference = try fixture.tensor("output.embeddings")
        let cosines = (ours * reference).sum(dim: 1).toArray()
        XCTAssertGreaterThan(cosines.min()!, 0.9999)
        XCTAssertLessThan(maxAbsDifference(ours, reference), 1e-5)
    }

    /// A BERT directory with an unsupported pooling mode is refused with the supported ones named.
    func testUnsupportedPoolingIsNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-pool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        try Data(#"{"model_type": "bert", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16}"#.utf8)
            .write(to: directory.appendingPathComponent("config.json"))
        try Data(#"[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}, {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]"#.utf8)
            .write(to: directory.appendingPathComponent("modules.json"))
        try Data(#"{"word_embedding_dimension": 8, "pooling_mode_max_tokens": true}"#.utf8)
            .write(to: directory.appendingPathComponent("1_Pooling/config.json"))
        XCTAssertThrowsError(try ModelImport(source: directory).read()) { error in
            XCTAssertTrue("\(error)".contains("pooling_mode_max_tokens"), "\(error)")
            XCTAssertTrue("\(error)".contains("supported: exactly one of pooling_mode_mean_tokens, pooling_mode_cls_token"), "\(error)")
        }
    }
}
