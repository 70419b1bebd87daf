import PlinthData
import PlinthDistributed
import PlinthModels
import PlinthNN
import PlinthObjectives

// Legend: B batch, b micro-batch, n rows with an optional field, E joint width.

extension MultimodalModel {
    /// The joint-space embeddings (not normalized) of one field of a batch:
    /// [B, E], or [n, E] for the rows an optional field covers; nil if none does.
    /// `rows` (indices into those B or n rows) embeds only them: [rows.count, E].
    public func embed(_ field: Field, of batch: Batch, rows: [Int]? = nil) -> Tensor? {
        func pick(_ t: Tensor) -> Tensor { rows.map { t.indexSelect(dim: 0, indices: $0) } ?? t }
        switch field {
        case .image: return batch.image.map { encode(images: pick($0)) }
        case .audio: return batch.audio.map { encode(audio: pick($0)) }
        case .speech: return batch.speech.map { encode(audio: pick($0)) }
        case .text:
            return batch.text.map { t in
                guard let rows else { return encode(text: t.ids, batch: t.batch) }
                return encode(text: rows.flatMap { t.ids[($0 * t.length)..<(($0 + 1) * t.length)] }, batch: rows.count)
            }
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
/// With `gather`, in a data-parallel run, the loss covers every rank's rows
/// (see ``ContrastiveGather``).
public struct ContrastiveStep {
    public let pairs: [ObjectiveSection.Pair]
    public let fields: [Field]
    public let lockedText: LockedTextCache?
    public let gather: ContrastiveGather?

    public init(pairs: [ObjectiveSection.Pair], lockedText: LockedTextCache? = nil, gather: ContrastiveGather? = nil) {
        self.pairs = pairs
        self.lockedText = lockedText
        self.gather = gather
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

    /// Runs forward and backward; returns the loss of the whole batch (in a
    /// data-parallel run, this rank's part: the mean over ranks is the global batch's).
    public func callAsFunction(_ model: MultimodalModel, _ microBatches: [Batch]) throws -> Float {
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
            return try backward(all, rows: offsets.last! + microBatches.last!.count, logitScale: model.logitScale,
                                width: model.config.embedDim)
        }
        let cached = withNoGrad { microBatches.map { mb in fields.map { embed(model, $0, mb) } } }
        var value: Float = .nan
        for (m, mb) in microBatches.enumerated() {
            var all: [Field: Features] = [:]
            for (f, field) in fields.enumerated() {
                let live = embed(model, field, mb)                                      // [b, E]
                all[field] = features(field, cached.indices.map { $0 == m ? live : cached[$0][f] })   // [B, E]
            }
            let loss = try backward(all, rows: offsets.last! + microBatches.last!.count,
                                    logitScale: m == 0 ? model.logitScale : model.logitScale.detach(), width: model.config.embedDim)
            if m == 0 { value = loss }
        }
        return value
    }

    /// Computes the loss on one set of batch features ([rows, E] per field) and
    /// back-propagates it; nan when no pair has two rows.
    func backward(_ features: [Field: Features], rows: Int, logitScale: Tensor, width: Int) throws -> Float {
        if let gather { return try gather.backward(self, features, rows: rows, logitScale: logitScale, width: width) }
        guard let loss = total(features, logitScale: logitScale).loss else { return .nan }
        loss.backward()
        return loss.item()
    }

    /// Σ weight · InfoNCE over the pairs, each on the rows both of its fields
    /// cover; nil when no pair has two. With `anchors` (open_clip's local loss),
    /// only the rows in that range are anchors, and a pair's term is scaled by
    /// `ranks` · anchors / rows, so that the mean over ranks is the full loss.
    /// `counted`: the pairs with two rows (with anchors, the loss is nil too when this rank has none).
    func total(_ features: [Field: Features], logitScale: Tensor, anchors: Range<Int>? = nil,
               ranks: Int = 1) -> (loss: Tensor?, counted: Int) {
        var sum: Tensor?, counted = 0
        for pair in pairs {
            guard var a = features[pair.a]?.tensor, var b = features[pair.b]?.tensor else { continue }
            let rowsA = features[pair.a]!.rows, rowsB = features[pair.b]!.rows
            // At most one side is optional (checked by the recipe): select the other side's matching rows.
            if let rows = rowsA { b = rowsB == nil ? b.indexSelect(dim: 0, indices: rows) : b }
            if let rows = rowsB { a = rowsA == nil ? a.indexSelect(dim: 0, indices: rows) : a }
            guard a.shape[0] >= 2 else { continue }
            counted += 1
            var loss: Tensor
            if let anchors {
                let ids = rowsA ?? rowsB ?? Array(0..<a.shape[0])         // the batch row of each pair row
                let local = ids.indices.filter { anchors.contains(ids[$0]) }
                guard !local.isEmpty else { continue }
                loss = contrastiveLoss(a, b, logitScale: logitScale, rows: local) * (Float(ranks * local.count) / Float(ids.count))
            } else {
                loss = contrastiveLoss(a, b, logitScale: logitScale)
            }
            loss = loss * pair.weight
            sum = sum.map { $0 + loss } ?? loss
        }
        return (sum, counted)
    }
}
