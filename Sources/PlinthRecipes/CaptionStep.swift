import PlinthAdapters
import PlinthData
import PlinthModalities
import PlinthModels
import PlinthNN

// Legend: B batch, n rows with an optional field, E joint width, N tokens, D width.

extension MultimodalModel {
    /// What a caption head reads for one field of a batch: the joint embedding
    /// [B, E] or the backbone's output tokens [B, N, D] (rows as `embed`); nil if no row has the field.
    public func captionCondition(_ field: Field, of batch: Batch, input: CaptionConfig.Input) -> Tensor? {
        guard input == .tokens else { return embed(field, of: batch) }
        switch field {
        case .image: return batch.image.map { tokens(images: $0) }
        case .audio: return batch.audio.map { tokens(audio: $0) }
        case .speech: return batch.speech.map { tokens(audio: $0) }
        case .text: preconditionFailure("MultimodalModel: text is not captioned")
        }
    }
}

/// The caption objective of one optimizer step: for each captioned field, the
/// head's teacher-forced token cross-entropy on the batch rows that have it,
/// averaged over the fields, backpropagated once per micro-batch (scaled so
/// the gradients sum to the whole batch's). The captions are the batch's texts
/// (filled templates for labelled data), tokenized by the decoder's tokenizer.
///
/// With `frozenModel` the multimodal model runs without a tape: only the head learns.
struct CaptionStep {
    let fields: [Field]
    let head: CaptionHead
    let tokenizer: CLIPTokenizer
    let weight: Float
    let frozenModel: Bool

    /// Runs forward and backward on every micro-batch; returns the batch's mean caption loss.
    func callAsFunction(_ model: MultimodalModel, _ microBatches: [Batch]) throws -> Float {
        var total: Float = 0
        for batch in microBatches {
            guard let captions = batch.captions else { preconditionFailure("CaptionStep: the loader gives no captions") }
            var losses: [Tensor] = []
            for field in fields {
                let condition = frozenModel
                    ? withNoGrad { model.captionCondition(field, of: batch, input: head.config.input) }
                    : model.captionCondition(field, of: batch, input: head.config.input)
                guard let condition else { continue }
                let rows = batch.rows[field] ?? Array(0..<batch.count)
                let tokens = try tokenizer.tokenizeBatch(rows.map { captions[$0] })
                losses.append(head.loss(condition: condition, ids: tokens.ids.flatMap { $0 },
                                        mask: tokens.attentionMask.flatMap { $0 }, length: tokenizer.contextLength))
            }
            guard let first = losses.first else { continue }
            let loss = losses.dropFirst().reduce(first, +) * (1 / Float(losses.count))
            (loss * (weight / Float(microBatches.count))).backward()
            total += loss.item() / Float(microBatches.count)
        }
        return total
    }
}
