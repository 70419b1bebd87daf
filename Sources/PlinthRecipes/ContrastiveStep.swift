import PlinthData
import PlinthModels
import PlinthNN
import PlinthObjectives

// Legend: B batch, b micro-batch, n rows with an optional field, E joint width.

extension MultimodalModel {
    /// The joint-space embeddings (not normalized) of one field of a batch:
    /// [B, E], or [n, E] for the rows an optional field covers; nil if none does.
    public func embed(_ field: Field, of batch: Batch) -> Tensor? {
        switch field {
        case .image: return batch.image.map { encode(images: $0) }
        case .audio: return batch.audio.map { encode(audio: $0) }
        case .speech: return batch.speech.map { encode(audio: $0) }
        case .text: return batch.text.map { encode(text: $0.ids, batch: $0.batch) }
        }
    }
}

/// The weighted sum of InfoNCE losses over the recipe's field pairs for one
/// optimizer step, with gradients accumulated over micro-batches the way
/// open_clip's `accum_freq` does: every micro-batch's loss is taken against
/// the features of the whole batch (the other micro-batches' features come
/// from a no-grad pass), so the summed gradient equals the full-batch gradient
/// at any accumulation. The logit scale takes its gradient once.
///
/// A pair with an optional field (`Batch.rows`) counts only the rows that
/// have it; a pair with fewer than two such rows is left out of the step.
///
/// With `lockedText`, the text features come from that cache (a frozen tower).
public struct ContrastiveStep {
    public let pairs: [ObjectiveSection.Pair]
    public let fields: [Field]
    public let lockedText: LockedTextCache?

    public init(pairs: [ObjectiveSection.Pair], lockedText: LockedTextCache? = nil) {
        self.pairs = pairs
        self.lockedText = lockedText
        fields = Field.allCases.filter { f in pairs.contains { $0.a == f || $0.b == f } }
    }

    func embed(_ model: MultimodalModel, _ field: Field, _ batch: Batch) -> Tensor? {
        if field == .text, let lockedText, let text = batch.text {
            return lockedText.embed(model, ids: text.ids, batch: text.batch)
        }
        return model.embed(field, of: batch)
    }

    /// A field's features over the whole batch and the batch rows they belong to (nil: all rows).
    struct Features {
        var tensor: Tensor?
        var rows: [Int]?
    }

    /// Runs forward and backward; returns the loss of the whole batch.
    public func callAsFunction(_ model: MultimodalModel, _ microBatches: [Batch]) -> Float {
        let offsets = microBatches.indices.map { m in microBatches[..<m].reduce(0) { $0 + $1.count } }
        func features(_ field: Field, _ parts: [Tensor?]) -> Features {
            let present = parts.compactMap { $0 }
            let tensor = present.isEmpty ? nil : present.count == 1 ? present[0] : Tensor.concat(present, dim: 0)
            guard microBatches.contains(where: { $0.rows[field] != nil }) else { return Features(tensor: tensor) }
            let rows = microBatches.indices.flatMap { m in
                (microBatches[m].rows[field] ?? Array(0..<microBatches[m].count)).map { $0 + offsets[m] }
            }
            return Features(tensor: tensor, rows: rows)
        }
        if microBatches.count == 1 {
            let all = Dictionary(uniqueKeysWithValues: fields.map { ($0, features($0, [embed(model, $0, microBatches[0])])) })
            guard let loss = total(all, logitScale: model.logitScale) else { return .nan }
            loss.backward()
            return loss.item()
        }
        let cached = withNoGrad { microBatches.map { mb in fields.map { embed(model, $0, mb) } } }
        var value: Float = .nan
        for (m, mb) in microBatches.enumerated() {
            var all: [Field: Features] = [:]
            for (f, field) in fields.enumerated() {
                let live = embed(model, field, mb)                                      // [b, E]
                all[field] = features(field, cached.indices.map { $0 == m ? live : cached[$0][f] })   // [B, E]
            }
            guard let loss = total(all, logitScale: m == 0 ? model.logitScale : model.logitScale.detach()) else { continue }
            loss.backward()
            if m == 0 { value = loss.item() }
        }
        return value
    }

    /// Σ weight · InfoNCE over the pairs, each on the rows both of its fields cover.
    func total(_ features: [Field: Features], logitScale: Tensor) -> Tensor? {
        var sum: Tensor?
        for pair in pairs {
            guard var a = features[pair.a]?.tensor, var b = features[pair.b]?.tensor else { continue }
            let rowsA = features[pair.a]!.rows, rowsB = features[pair.b]!.rows
            // At most one side is optional (checked by the recipe): select the other side's matching rows.
            if let rows = rowsA { b = rowsB == nil ? b.indexSelect(dim: 0, indices: rows) : b }
            if let rows = rowsB { a = rowsA == nil ? a.indexSelect(dim: 0, indices: rows) : a }
            guard a.shape[0] >= 2 else { continue }
            let loss = contrastiveLoss(a, b, logitScale: logitScale) * pair.weight
            sum = sum.map { $0 + loss } ?? loss
        }
        return sum
    }
}
