import PlinthTensor

/// Token ids of B captions, each padded or cut to T tokens.
public struct TokenBatch: Sendable, Equatable {
    /// `[B * T]`, row-major `[B, T]`.
    public var ids: [Int]
    /// `[B * T]`: 1 on tokens, 0 on padding.
    public var attentionMask: [Int]
    /// B.
    public var batch: Int
    /// T, the tokenizer's context length.
    public var length: Int

    public init(ids: [Int], attentionMask: [Int], batch: Int, length: Int) {
        precondition(ids.count == batch * length && attentionMask.count == ids.count,
                     "TokenBatch: \(ids.count) ids and \(attentionMask.count) mask values for [\(batch), \(length)]")
        self.ids = ids
        self.attentionMask = attentionMask
        self.batch = batch
        self.length = length
    }
}

/// One batch from a ``DataLoader``; a field is nil unless the loader was asked for it.
public struct Batch: Sendable {
    /// Position of the batch in its epoch.
    public var index: Int
    /// The B records, in batch order.
    public var records: [ManifestRecord]
    /// `[B, 3, H, W]`.
    public var image: Tensor?
    /// `[B, 1, F, T]` (F mel bins, T frames).
    public var audio: Tensor?
    /// `[B, 1, F, T]`.
    public var speech: Tensor?
    /// The B captions (record text or filled templates).
    public var captions: [String]?
    /// The captions' tokens `[B, T]`, when the preprocessing has a tokenizer.
    public var text: TokenBatch?
    /// Class labels, when every record has one.
    public var labels: [Int]?
    /// Per-row numeric targets by name, each [B, ...] (a policy's `state` and `action`; see `DemoLoader`).
    public var targets: [String: Tensor] = [:]
    /// For an optional field (see `DataLoader`), the batch rows that have it, ascending;
    /// its tensor holds just those rows. No entry: every row has the field.
    public var rows: [Field: [Int]] = [:]

    public var count: Int { records.count }

    /// A batch of `records` with no field loaded yet.
    public init(index: Int, records: [ManifestRecord]) {
        self.index = index
        self.records = records
    }
}

extension Batch {
    /// Rows `range` of the batch (a micro-batch), every field cut to match.
    public func slice(_ range: Range<Int>) -> Batch {
        var out = Batch(index: index, records: Array(records[range]))
        /// The tensor rows of `field` that fall in `range`, re-based to the slice.
        func cut(_ t: Tensor?, _ field: Field) -> Tensor? {
            guard let t else { return nil }
            guard let rows = self.rows[field] else { return t.narrow(0, range.lowerBound, range.count) }
            let kept = rows.indices.filter { range.contains(rows[$0]) }
            out.rows[field] = kept.map { rows[$0] - range.lowerBound }
            return kept.isEmpty ? nil : t.narrow(0, kept[0], kept.count)
        }
        out.image = cut(image, .image)
        out.audio = cut(audio, .audio)
        out.speech = cut(speech, .speech)
        out.captions = captions.map { Array($0[range]) }
        out.text = text.map { t in
            TokenBatch(ids: Array(t.ids[range.lowerBound * t.length..<range.upperBound * t.length]),
                       attentionMask: Array(t.attentionMask[range.lowerBound * t.length..<range.upperBound * t.length]),
                       batch: range.count, length: t.length)
        }
        out.labels = labels.map { Array($0[range]) }
        out.targets = targets.mapValues { $0.narrow(0, range.lowerBound, range.count) }
        return out
    }
}
