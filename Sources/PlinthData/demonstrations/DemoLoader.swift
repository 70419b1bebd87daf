import PlinthModalities
import PlinthTensor

// Legend: B batch, H = W image size, P state width, K action horizon, A action width.

/// Batches of demonstration steps for behaviour cloning, in a seeded order.
///
/// A row is one recorded step: `image` [B, 3, H, W] (the frame scaled to
/// [0, 1] and normalized by `mean` and `std`; while training shifted by up to
/// `shift` pixels with edge padding, DrQ's augmentation, Kostrikov et al. 2020),
/// the instruction as `captions` and `text` tokens, and `targets`:
/// `state` [B, P], `action` [B, K, A] (the step's action and the next K - 1
/// of its episode; past the episode's end its last action repeated) and
/// `action_mask` [B, K] (1 on steps inside the episode).
///
/// Order and shifts are seeded by (seed, epoch, row), so batches are the same
/// on resume; a `shard` gets its slice of every batch, as in ``DataLoader``.
/// The last partial batch is dropped.
public final class DemoLoader: BatchSource {
    public let demos: Demonstrations
    public let horizon: Int
    public let mean: [Float]
    public let std: [Float]
    public let tokenizer: (any TextTokenizer)?
    public let batchSize: Int
    public let shard: Shard
    public let seed: UInt64
    public let shift: Int
    private let episodeOfStep: [Int]

    public init(demos: Demonstrations, horizon: Int, mean: [Float], std: [Float], tokenizer: (any TextTokenizer)?,
                batchSize: Int, shard: Shard = .whole, seed: UInt64, shift: Int = 0) throws {
        func invalid(_ field: String, _ message: String) -> DataError {
            DataError(.invalidArgument, source: "DemoLoader", field: field, message)
        }
        guard horizon >= 1 else { throw invalid("horizon", "must be >= 1, got \(horizon)") }
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else { throw invalid("mean", "needs 3 means and 3 positive stds") }
        guard batchSize >= 1, batchSize % shard.count == 0 else {
            throw invalid("batch_size", "\(batchSize) does not split evenly over \(shard.count) ranks")
        }
        guard shift >= 0, shift < demos.imageSize / 2 else { throw invalid("shift", "must be in 0..<\(demos.imageSize / 2), got \(shift)") }
        (self.demos, self.horizon, self.mean, self.std, self.tokenizer) = (demos, horizon, mean, std, tokenizer)
        (self.batchSize, self.shard, self.seed, self.shift) = (batchSize, shard, seed, shift)
        episodeOfStep = demos.episodeOfStep
    }

    public var batchesPerEpoch: Int { demos.stepCount / batchSize }

    public func stream(epoch: Int, startingAt start: Int) -> any BatchStream {
        precondition(start >= 0 && start <= batchesPerEpoch, "DemoLoader: start \(start) outside 0...\(batchesPerEpoch)")
        let order = RandomGenerator(seed: Seeds.mix(seed, UInt64(epoch), 0x6F72_6465_72)).permutation(demos.stepCount)
        return Stream(loader: self, epoch: epoch, order: order, position: start)
    }

    /// Batch `index` of an epoch whose row order is `order`.
    func makeBatch(_ index: Int, order: [Int], epoch: Int) throws -> Batch {
        let part = batchSize / shard.count, first = index * batchSize + shard.rank * part
        let rows = Array(order[first..<first + part])
        let instructions = rows.map { demos.episodes[episodeOfStep[$0]].instruction }
        var batch = Batch(index: index, records: rows.map { row in
            let e = demos.episodes[episodeOfStep[row]]
            return ManifestRecord(id: "episode \(e.episode) step \(row - e.start)", text: e.instruction, split: .train)
        })
        let size = demos.imageSize, pixels = size * size * 3
        batch.image = Self.images(rows.map { demos.frames[$0 * pixels..<($0 + 1) * pixels] }, size: size, mean: mean, std: std,
                                  shifts: rows.map { row in
                                      guard shift > 0 else { return (0, 0) }
                                      let g = RandomGenerator(seed: Seeds.mix(seed, UInt64(epoch), UInt64(row), 0x7368_6966_74))
                                      return (g.nextInt(below: 2 * shift + 1) - shift, g.nextInt(below: 2 * shift + 1) - shift)
                                  })
        batch.captions = instructions
        if let tokenizer {
            let t = try tokenizer.tokenizeBatch(instructions)
            batch.text = TokenBatch(ids: t.ids.flatMap { $0 }, attentionMask: t.attentionMask.flatMap { $0 },
                                    batch: rows.count, length: tokenizer.contextLength)
        }
        let (p, a, k) = (demos.stateDimension, demos.actionDimension, horizon)
        var actions = [Float](), mask = [Float]()
        for row in rows {
            let e = demos.episodes[episodeOfStep[row]], last = e.start + e.length - 1
            for j in 0..<k {
                let source = min(row + j, last)
                actions += demos.actions[source * a..<(source + 1) * a]
                mask.append(row + j <= last ? 1 : 0)
            }
        }
        batch.targets = [
            "state": Tensor(rows.flatMap { demos.states[$0 * p..<($0 + 1) * p] }, shape: [rows.count, p]),
            "action": Tensor(actions, shape: [rows.count, k, a]),
            "action_mask": Tensor(mask, shape: [rows.count, k]),
        ]
        return batch
    }

    /// Frames [H, W, 3] bytes -> [B, 3, H, W], scaled to [0, 1] and normalized per channel;
    /// frame b is moved by `shifts[b]` = (dx, dy) pixels, edge pixels repeated into the gap.
    public static func images(_ frames: [ArraySlice<UInt8>], size: Int, mean: [Float], std: [Float],
                              shifts: [(Int, Int)]? = nil) -> Tensor {
        let out = Tensor(uninitialized: [frames.count, 3, size, size])
        let plane = size * size
        for (b, frame) in frames.enumerated() {
            precondition(frame.count == plane * 3, "DemoLoader.images: \(frame.count) bytes for a \(size)x\(size) RGB frame")
            let (dx, dy) = shifts?[b] ?? (0, 0)
            let base = frame.startIndex, dst = out.pointer + b * 3 * plane
            for y in 0..<size {
                let sy = min(max(y - dy, 0), size - 1)
                for x in 0..<size {
                    let sx = min(max(x - dx, 0), size - 1), src = base + (sy * size + sx) * 3
                    for c in 0..<3 { dst[c * plane + y * size + x] = (Float(frame[src + c]) / 255 - mean[c]) / std[c] }
                }
            }
        }
        return out
    }

    private final class Stream: BatchStream {
        let loader: DemoLoader, epoch: Int, order: [Int]
        var position: Int

        init(loader: DemoLoader, epoch: Int, order: [Int], position: Int) {
            (self.loader, self.epoch, self.order, self.position) = (loader, epoch, order, position)
        }

        func next() throws -> Batch? {
            guard position < loader.batchesPerEpoch else { return nil }
            defer { position += 1 }
            return try loader.makeBatch(position, order: order, epoch: epoch)
        }
    }
}
