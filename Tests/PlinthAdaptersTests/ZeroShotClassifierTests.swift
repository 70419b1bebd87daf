import Foundation
import PlinthAdapters
import PlinthNN
import PlinthTestSupport
import XCTest

/// The zero-shot classifier against open_clip's `build_zero_shot_classifier` and
/// `accuracy` (Tests/Fixtures/retrieval/retrieval.safetensors, "zeroshot.*"),
/// plus its error cases.
final class ZeroShotClassifierTests: XCTestCase {
    let file = try! Fixtures.open("retrieval/retrieval.safetensors")
    func t(_ key: String) -> Tensor { try! file.tensor(key) }
    func strings(_ key: String) -> [String] { try! JSONDecoder().decode([String].self, from: Data(file.metadata[key]!.utf8)) }

    /// An "encoder" that looks prompts up in the fixture's table of prompt embeddings.
    func tableEmbedder() -> ([String]) throws -> Tensor {
        let prompts = strings("prompts"), table = t("zeroshot.prompt_embeddings")
        let row = Dictionary(uniqueKeysWithValues: prompts.enumerated().map { ($1, $0) })
        return { texts in table.indexSelect(dim: 0, indices: texts.map { row[$0]! }) }
    }

    func testWeightsLogitsAndAccuracyMatchOpenCLIP() throws {
        let names = strings("class_names"), templates = strings("templates")
        XCTAssertEqual(names.flatMap { ZeroShotClassifier.prompts(for: $0, templates: templates) }, strings("prompts"))
        for batch in [1, 2, 10] {
            var calls = 0
            let embed = tableEmbedder()
            let classifier = try ZeroShotClassifier(classNames: names, templates: templates, classesPerBatch: batch) {
                calls += 1
                return try embed($0)
            }
            XCTAssertEqual(calls, (names.count + batch - 1) / batch)
            XCTAssertEqual(classifier.classNames, names)
            XCTAssertLessThanOrEqual(maxAbsDifference(classifier.weights, t("zeroshot.weights")), 1e-6, "batch \(batch)")

            let images = t("zeroshot.images"), labels = t("zeroshot.labels").toArray().map { Int($0) }
            let logits = classifier.logits(images)
            XCTAssertLessThanOrEqual(maxAbsDifference(logits, t("zeroshot.logits")), 1e-4)
            XCTAssertEqual(classifier.predict(images), t("zeroshot.predictions").toArray().map { Int($0) })
            XCTAssertEqual(Float(ZeroShotClassifier.accuracy(predictionsLogits: logits, labels: labels, k: 1)),
                           t("zeroshot.top1").item())
            XCTAssertEqual(Float(ZeroShotClassifier.accuracy(predictionsLogits: logits, labels: labels, k: 3)),
                           t("zeroshot.top3").item())
            XCTAssertEqual(ZeroShotClassifier.accuracy(predictionsLogits: logits, labels: labels, k: names.count), 1)
        }
    }

    func testAccuracyRanksTiesByLowerIndex() {
        let logits = Tensor([1, 3, 3, 0,
                             2, 2, 2, 2], shape: [2, 4])
        XCTAssertEqual(ZeroShotClassifier.accuracy(predictionsLogits: logits, labels: [1, 0], k: 1), 1)
        XCTAssertEqual(ZeroShotClassifier.accuracy(predictionsLogits: logits, labels: [2, 3], k: 1), 0)
        XCTAssertEqual(ZeroShotClassifier.accuracy(predictionsLogits: logits, labels: [2, 3], k: 2), 0.5)
        XCTAssertEqual(ZeroShotClassifier.accuracy(predictionsLogits: logits, labels: [2, 3], k: 4), 1)
        XCTAssertEqual(ZeroShotClassifier.accuracy(predictionsLogits: Tensor.zeros([0, 4]), labels: [], k: 1), 0)
    }

    func testPromptsReplaceEveryPlaceholder() {
        XCTAssertEqual(ZeroShotClassifier.prompts(for: "dog", templates: ["{}", "a {} and a {}."]), ["dog", "a dog and a dog."])
    }

    func testErrors() {
        let ones: ([String]) throws -> Tensor = { Tensor.ones([$0.count, 4]) }
        assertThrows(["template 1", "\"a photo\"", "{}"]) {
            try ZeroShotClassifier(classNames: ["cat"], templates: ["{}", "a photo"], embed: ones)
        }
        assertThrows(["no class names"]) { try ZeroShotClassifier(classNames: [], templates: ["{}"], embed: ones) }
        assertThrows(["no prompt templates"]) { try ZeroShotClassifier(classNames: ["cat"], templates: [], embed: ones) }
        assertThrows(["shape [3, 4] for 2 prompts"]) {
            try ZeroShotClassifier(classNames: ["cat"], templates: ["{}", "a {}"]) { _ in Tensor.ones([3, 4]) }
        }
        assertThrows(["shape [2, 5] for 2 prompts", "[2, 4]"]) {
            try ZeroShotClassifier(classNames: ["cat", "dog"], templates: ["{}", "a {}"], classesPerBatch: 1) {
                Tensor.ones([$0.count, $0[0] == "cat" ? 4 : 5])
            }
        }
        assertThrows(["prompt \"a dog\"", "zero"]) {
            try ZeroShotClassifier(classNames: ["cat", "dog"], templates: ["{}", "a {}"]) { texts in
                Tensor(texts.flatMap { $0 == "a dog" ? [0, 0] : [1, 2] }, shape: [texts.count, 2])
            }
        }
        assertThrows(["class \"dog\"", "average to zero"]) {
            try ZeroShotClassifier(classNames: ["cat", "dog"], templates: ["{}", "a {}"]) { texts in
                Tensor(texts.flatMap { $0 == "a dog" ? [-1, 0] : [1, 0] }, shape: [texts.count, 2])
            }
        }
    }

    private func assertThrows<T>(_ fragments: [String], line: UInt = #line, _ body: () throws -> T) {
        XCTAssertThrowsError(try body(), line: line) { error in
            XCTAssertTrue(error is ZeroShotError, "\(error)", line: line)
            for fragment in fragments {
                XCTAssertTrue("\(error)".contains(fragment), "'\(error)' lacks '\(fragment)'", line: line)
            }
        }
    }
}
