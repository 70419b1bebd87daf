import Foundation
import PlinthModalities
import PlinthTensor

/// Batches of manifest records as tensors, in a seeded order, prepared ahead
/// by worker threads.
///
/// Order: with `shuffle`, a permutation of the records seeded by (seed,
/// epoch); else manifest order. Each item's random draws (augmentation,
/// caption template) come from a generator seeded by (seed, epoch, record
/// index, field), so every batch is the same for any `workers` and when an
/// epoch is resumed at a batch offset. With a `shard`, the loader yields only
/// its rank's part of each batch, so the ranks of a data-parallel run see
/// disjoint rows and together exactly the batches of one process. Audio features are computed once per
/// file and kept (`FeatureCache`). `batchesPerEpoch` is `ceil(N / batchSize)`,
/// or `floor` with `dropLast`. IDX image files are mapped once at creation
/// and shared read-only by the workers.
public final class DataLoader: Sendable {
    public let records: [ManifestRecord]
    public let fields: Set<Field>
    /// Fields among `fields` that records may lack (image, audio or speech); see `Batch.rows`.
    public let optional: Set<Field>
    public let preprocessing: Preprocessing
    /// Items per batch over all shards.
    public let batchSize: Int
    public let shard: Shard
    public let shuffle: Bool
    public let dropLast: Bool
    public let seed: UInt64
    /// Threads preparing batches; 0 prepares each batch in `next()`.
    public let workers: Int
    /// Batches prepared ahead of the consumer, at most.
    public let prefetch: Int
    private let idxFiles: [String: IDXImages]
    private let audioCache = FeatureCache()

    /// Throws when a record lacks a requested field that is not `optional` (the
    /// error names its id; filter first with `records.filter { $0.has(fields) }`),
    /// when audio or speech is requested without an audio pipeline, or an IDX file is bad.
    public init(records: [ManifestRecord], fields: Set<Field>, optional: Set<Field> = [],
                preprocessing: Preprocessing = Preprocessing(),
                batchSize: Int, shard: Shard = .whole, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64 = 0,
                workers: Int = 2, prefetch: Int = 4) throws {
        func invalid(_ message: String) -> DataError { DataError(.invalidArgument, source: "DataLoader", message) }
        guard batchSize >= 1 else { throw invalid("batchSize must be >= 1, got \(batchSize)") }
        guard shard.count == 1 || (dropLast && batchSize % shard.count == 0) else {
            throw invalid("a batch of \(batchSize) does not split evenly over \(shard.count) ranks (it needs dropLast and a multiple of \(shard.count))")
        }
        guard optional.isSubset(of: fields.subtracting([.text])) else {
            throw invalid("optional fields \(optional.map(\.rawValue).sorted()) must be loaded fields other than text")
        }
        guard workers >= 0, prefetch >= 1 else { throw invalid("need workers >= 0 and prefetch >= 1, got \(workers) and \(prefetch)") }
        if preprocessing.audio == nil, let f = fields.intersection([.audio, .speech]).first {
            throw invalid("loading '\(f.rawValue)' needs an audio pipeline in the preprocessing")
        }
        for r in records {
            if let f = Field.allCases.first(where: { fields.contains($0) && !optional.contains($0) && r.value($0) == nil }) {
                throw DataError(.missingField, source: r.id, field: f.rawValue,
                                "the record has no \(f.rawValue); filter with records.filter { $0.has(fields) }")
            }
        }
        var idx: [String: IDXImages] = [:]
        if fields.contains(.image) {
            for case let (path, _)? in records.lazy.map(\.idxImage) where idx[path] == nil {
                idx[path] = try IDXImages(contentsOf: path)
            }
        }
        self.records = records
        self.fields = fields
        self.optional = optional
        self.preprocessing = preprocessing
        self.batchSize = batchSize
        self.shard = shard
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.workers = workers
        self.prefetch = prefetch
        self.idxFiles = idx
    }

    public var batchesPerEpoch: Int {
        dropLast ? records.count / batchSize : (records.count + batchSize - 1) / batchSize
    }

    /// Record indices in the order of `epoch`.
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(records.indices) }
        return RandomGenerator(seed: Seeds.mix(seed, Self.word(epoch), 0x6F72_6465_72)).permutation(records.count)
    }

    /// The batches of `epoch` from batch `start` (0...batchesPerEpoch) on.
    public func batches(epoch: Int, startingAt start: Int = 0) -> BatchIterator {
        precondition(start >= 0 && start <= batchesPerEpoch, "DataLoader.batches: start \(start) outside 0...\(batchesPerEpoch)")
        return BatchIterator(loader: self, epoch: epoch, order: order(epoch: epoch), start: start)
    }

    /// Batch `index` of an epoch whose order is `order`.
    func makeBatch(_ index: Int, order: [Int], epoch: Int) throws -> Batch {
        let part = batchSize / shard.count, first = index * batchSize + shard.rank * part
        let items = Array(order[first..<min(first + part, order.count)])
        let recs = items.map { records[$0] }
        func generator(_ item: Int, _ field: Field) -> RandomGenerator {
            RandomGenerator(seed: Seeds.mix(seed, Self.word(epoch), UInt64(item), UInt64(Field.allCases.firstIndex(of: field)!)))
        }
        var batch = Batch(index: index, records: recs)
        /// Rows of the batch that have `field` (all of them unless it is optional).
        func present(_ field: Field) -> [Int] {
            let rows = recs.indices.filter { recs[$0].value(field) != nil }
            if optional.contains(field) { batch.rows[field] = rows }
            return rows
        }
        if fields.contains(.image) {
            let rows = present(.image)
            if !rows.isEmpty {
                batch.image = try stack(rows.map { try preprocessing.image(loadImage(recs[$0]), generator: generator(items[$0], .image)) },
                                        .image, rows.map { recs[$0] }, channel: false)
            }
        }
        if let audio = preprocessing.audio {
            for field in [Field.audio, .speech] where fields.contains(field) {
                let rows = present(field)
                guard !rows.isEmpty else { continue }
                let features = try stack(rows.map { row in
                    let path = recs[row].value(field)!
                    return try audioCache.features(path) { try audio(contentsOf: URL(fileURLWithPath: path)) }
                },
                                         field, rows.map { recs[$0] }, channel: true)
                if field == .audio { batch.audio = features } else { batch.speech = features }
            }
        }
        if fields.contains(.text) {
            let captions = items.map { preprocessing.caption(records[$0], generator: generator($0, .text))! }
            batch.captions = captions
            if let tokenizer = preprocessing.tokenizer {
                let rows = try tokenizer.tokenizeBatch(captions)
                batch.text = TokenBatch(ids: rows.ids.flatMap { $0 }, attentionMask: rows.attentionMask.flatMap { $0 },
                                        batch: captions.count, length: tokenizer.contextLength)
            }
        }
        if recs.allSatisfy({ $0.label != nil }) { batch.labels = recs.map { $0.label! } }
        return batch
    }

    private func loadImage(_ record: ManifestRecord) throws -> ImageBuffer {
        if let (path, index) = record.idxImage, let file = idxFiles[path] { return try file.image(at: index) }
        return try ImageDecoder.decode(contentsOf: record.image!)
    }

    /// `[B, ...]` (or `[B, 1, ...]` with `channel`) from same-shaped items; an
    /// item of another shape is an error naming its record and file.
    private func stack(_ items: [Tensor], _ field: Field, _ recs: [ManifestRecord], channel: Bool) throws -> Tensor {
        let shape = items[0].shape, n = items[0].count
        let out = Tensor(uninitialized: [items.count] + (channel ? [1] : []) + shape)
        for (i, (t, r)) in zip(items, recs).enumerated() {
            guard t.shape == shape else {
                throw DataError(.invalidArgument, source: r.value(field) ?? r.id, field: field.rawValue,
                                "record '\(r.id)' gives \(t.shape) but the batch's first item \(shape); add a transform that fixes the size")
            }
            let c = t.isContiguous ? t : t.copy()
            (out.pointer + i * n).update(from: c.pointer, count: n)
        }
        return out
    }

    private static func word(_ epoch: Int) -> UInt64 { UInt64(bitPattern: Int64(epoch)) }
}

/// Rank `rank` of `count` in a data-parallel run: its loader yields rows
/// `rank * B/count ..< (rank + 1) * B/count` of every batch of B.
public struct Shard: Sendable, Equatable {
    public let rank: Int
    public let count: Int
    /// Every row: a single-process run.
    public static let whole = Shard(rank: 0, count: 1)

    public init(rank: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(rank), "Shard: rank \(rank) of \(count)")
        self.rank = rank
        self.count = count
    }
}
