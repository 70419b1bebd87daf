import Foundation
import PlinthTensor

/// Zero-shot classification by prompt ensembling, as in CLIP and open_clip's
/// `build_zero_shot_classifier`.
///
/// Legend: C classes, T templates, E embedding width, N inputs.
///
/// Each class weight is `normalize(mean_t normalize(embed(template_t(class))))`:
/// every template is filled with the class name, the prompts are embedded, each
/// embedding is L2-normalized, the T are averaged and the mean is normalized
/// again. An input is classified by `scale * normalize(x) · weights_c`.
public struct ZeroShotClassifier: Sendable {
    /// The class names, in class-index order.
    public let classNames: [String]
    /// One unit row per class: [C, E].
    public let weights: Tensor

    /// Builds the class weights from prompt embeddings.
    ///
    /// Each template must contain `{}`; every occurrence is replaced by the class
    /// name (`"a photo of a {}."`). `embed` maps n prompts to their embeddings
    /// [n, E]; it is called once per batch of `classesPerBatch` classes with all of
    /// their prompts, class-major (all templates of the first class, then the next),
    /// as open_clip batches them.
    ///
    /// - Throws: ``ZeroShotError`` for no classes or templates, a template without
    ///   `{}`, an embedding of the wrong shape, or a prompt whose embedding (or a
    ///   class whose mean) is zero or not finite; errors thrown by `embed` pass through.
    public init(classNames: [String], templates: [String], classesPerBatch: Int = 10,
                embed: ([String]) throws -> Tensor) throws {
        precondition(classesPerBatch >= 1, "ZeroShotClassifier: classesPerBatch must be positive, got \(classesPerBatch)")
        guard !classNames.isEmpty else { throw ZeroShotError("no class names") }
        guard !templates.isEmpty else { throw ZeroShotError("no prompt templates") }
        for (i, template) in templates.enumerated() where !template.contains("{}") {
            throw ZeroShotError("template \(i) (\"\(template)\") has no \"{}\" placeholder for the class name")
        }
        var blocks: [Tensor] = []
        var width: Int?
        for start in stride(from: 0, to: classNames.count, by: classesPerBatch) {
            let batch = Array(classNames[start..<min(start + classesPerBatch, classNames.count)])
            let prompts = batch.flatMap { Self.prompts(for: $0, templates: templates) }
            let embeddings = try embed(prompts)
            let expectedWidth = width ?? (embeddings.rank == 2 ? embeddings.shape[1] : 0)
            guard embeddings.rank == 2, embeddings.shape[0] == prompts.count, expectedWidth >= 1,
                  embeddings.shape[1] == expectedWidth else {
                throw ZeroShotError("embed returned shape \(embeddings.shape) for \(prompts.count) prompts; expected [\(prompts.count), \(width.map(String.init) ?? "E")] with E >= 1")
            }
            width = expectedWidth
            let (unit, norms) = l2NormalizedRows(embeddings)
            if let bad = norms.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
                throw ZeroShotError("the embedding of prompt \"\(prompts[bad])\" is \(norms[bad].isFinite ? "zero" : "not finite")")
            }
            let mean = withNoGrad { unit.reshape([batch.count, templates.count, expectedWidth]).mean(dim: 1) }  // [B, E]
            let (classWeights, meanNorms) = l2NormalizedRows(mean)
            if let bad = meanNorms.firstIndex(where: { !($0 > 0) }) {
                throw ZeroShotError("the prompt embeddings of class \"\(batch[bad])\" average to zero")
            }
            blocks.append(classWeights)
        }
        self.classNames = classNames
        self.weights = blocks.count == 1 ? blocks[0] : withNoGrad { Tensor.concat(blocks, dim: 0) }
    }

    /// The prompts for one class: each template with every `{}` replaced by `className`.
    public static func prompts(for className: String, templates: [String]) -> [String] {
        templates.map { $0.replacingOccurrences(of: "{}", with: className) }
    }

    /// Class logits `scale * normalize(x) · weightsᵀ`: embeddings [N, E] -> [N, C].
    ///
    /// Inputs are L2-normalized (`x / max(‖x‖, 1e-12)`); 100 is CLIP's scale.
    public func logits(_ embeddings: Tensor, scale: Float = 100) -> Tensor {
        precondition(embeddings.rank == 2 && embeddings.shape[1] == weights.shape[1],
                     "ZeroShotClassifier.logits: embeddings \(embeddings.shape) for class weights \(weights.shape)")
        return withNoGrad { Tensor.matmul(l2NormalizedRows(embeddings).normalized, weights.T) * scale }  // [N, C]
    }

    /// The most likely class per input (the lower index on a tie): embeddings [N, E] -> N indices.
    public func predict(_ embeddings: Tensor) -> [Int] {
        logits(embeddings).argmax(dim: 1)
    }

    /// The fraction of rows whose label is among the k highest logits, as
    /// open_clip's `accuracy` (there: a count, divided by N by the caller).
    ///
    /// logits [N, C], labels N indices in `0..<C`. Equal logits rank the lower
    /// class index first. Returns 0 for N = 0.
    public static func accuracy(predictionsLogits logits: Tensor, labels: [Int], k: Int = 1) -> Double {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                     "ZeroShotClassifier.accuracy: logits \(logits.shape) for \(labels.count) labels")
        precondition(k >= 1, "ZeroShotClassifier.accuracy: k must be >= 1, got \(k)")
        let c = logits.shape[1]
        guard !labels.isEmpty else { return 0 }
        let values = logits.toArray()
        var correct = 0
        for (row, label) in labels.enumerated() {
            precondition(label >= 0 && label < c, "ZeroShotClassifier.accuracy: label \(label) of row \(row) is not in 0..<\(c)")
            let scores = values[(row * c)..<((row + 1) * c)]
            let target = scores[row * c + label]
            let ahead = scores.indices.count { scores[$0] > target || (scores[$0] == target && $0 < row * c + label) }
            if ahead < k { correct += 1 }
        }
        return Double(correct) / Double(labels.count)
    }
}

/// Invalid input to a ``ZeroShotClassifier``.
public struct ZeroShotError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { "zero-shot classifier: \(message)" }

    public var errorDescription: String? { description }
}
