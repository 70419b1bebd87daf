import Foundation
import PlinthAdapters
import PlinthData
import PlinthTensor

extension Embedder {
    /// The prompts a label becomes when none are given: CLIP's "a photo of a {}."
    /// for images, "the sound of a {}." for sounds, and "a {}." for both.
    public static func defaultTemplates(for field: Field) -> [String] {
        field == .image ? ["a photo of a {}.", "a {}."] : ["the sound of a {}.", "a {}."]
    }

    /// Zero-shot label probabilities: embeddings [N, E] -> [N, L], rows summing to 1.
    /// A label's weight is the normalized mean of its prompts' embeddings (CLIP);
    /// logits use the model's learned scale.
    public func classify(_ embeddings: Tensor, labels: [String], templates: [String]) throws -> Tensor {
        let classifier = try ZeroShotClassifier(classNames: labels, templates: templates) { try embed(texts: $0) }
        return classifier.logits(embeddings, scale: Foundation.exp(model.logitScale.item())).softmax(dim: -1)
    }
}
