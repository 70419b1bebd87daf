import Foundation
import PlinthAdapters
import PlinthModalities
import PlinthModels
import PlinthNN
import XCTest

final class LearnedEmbeddingsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-embeds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// diffusers' layout: one tensor per token, [D] for one vector, [K, D] for several.
    func testRoundTripInDiffusersLayout() throws {
        let url = directory.appendingPathComponent("learned_embeds.safetensors")
        let one = Tensor.randn([1, 8], generator: RandomGenerator(seed: 1)), two = Tensor.randn([2, 8], generator: RandomGenerator(seed: 2))
        try LearnedEmbeddings(entries: [.init(token: "<a>", vectors: one), .init(token: "<b>", vectors: two)],
                              metadata: ["init_word": "mug"]).save(to: url)
        let file = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(try file.entry("<a>").shape, [8])
        XCTAssertEqual(try file.entry("<b>").shape, [2, 8])
        let back = try LearnedEmbeddings.load(url)
        XCTAssertEqual(back.metadata["init_word"], "mug")
        let byToken = Dictionary(uniqueKeysWithValues: back.entries.map { ($0.token, $0) })
        XCTAssertEqual(byToken["<a>"]?.vectors, one.toArray())
        XCTAssertEqual(byToken["<b>"]?.count, 2)
        XCTAssertEqual(byToken["<b>"]?.vectors, two.toArray())
    }

    func testBadFilesNameTheTensor() throws {
        let url = directory.appendingPathComponent("bad.safetensors")
        try writeSafetensors(to: url, tensors: [.f32("<a>", shape: [2, 2, 2], [Float](repeating: 0, count: 8))])
        XCTAssertThrowsError(try LearnedEmbeddings.load(url)) {
            XCTAssertTrue("\($0)".contains("tensor '<a>' has shape [2, 2, 2]"), "\($0)")
        }
    }

    /// Installing adds the token to the tokenizer and its rows to the model; widths must match.
    func testInstallIntoModelAndTokenizer() throws {
        let merges = directory.appendingPathComponent("merges.txt")
        let learned = try BPETrainer(vocabularySize: 530, minFrequency: 1).train(lines: ["a photo of a mug", "a cup"])
        try BPETrainer.saveMerges(learned, to: merges.path)
        let tokenizer = try CLIPTokenizer.trained(path: merges.path, contextLength: 8)
        let config = ModelConfig(embedDim: 8, shared: SharedConfig(layers: 0, width: 16, heads: 2),
                                 text: TextConfig(vocabSize: tokenizer.vocabularySize, contextLength: 8, width: 16, layers: 1, heads: 2))
        let model = try MultimodalModel(config)
        let embeds = LearnedEmbeddings(entries: [.init(token: "<my-mug>", vectors: Tensor.ones([1, 16]))])
        let installed = try embeds.install(into: model, tokenizer: tokenizer)
        let id = tokenizer.vocabularySize
        XCTAssertEqual(try installed.encode("<my-mug>"), [id])
        XCTAssertEqual(model.text?.tokenEmbedding.weight.narrow(0, id, 1).toArray(), [Float](repeating: 1, count: 16))
        let wide = LearnedEmbeddings(entries: [.init(token: "<x>", vectors: Tensor.ones([1, 4]))])
        XCTAssertThrowsError(try wide.install(into: model, tokenizer: installed)) {
            XCTAssertTrue("\($0)".contains("width 4"), "\($0)")
        }
    }
}
