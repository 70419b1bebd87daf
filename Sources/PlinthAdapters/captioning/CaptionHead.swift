import Foundation
import PlinthNN

// Legend: B batch, E joint width, N condition tokens, C condition width, K prefix length, T tokens, V vocabulary.

/// A caption head on a multimodal model: `mapper` (a `PrefixMapper`) turns the
/// model's output for an input into K prefix vectors, and `decoder` (a
/// `CaptionDecoder`) writes the caption after them. Keys: `mapper.*`, `decoder.*`.
///
/// Captions are token rows as the decoder's tokenizer makes them: a start
/// token, the text, an end token, then padding (attention mask 0).
public final class CaptionHead: Module {
    public let config: CaptionConfig
    public let mapper: any PrefixMapper
    public let decoder: CaptionDecoder
    public var isTraining = true

    /// `conditionWidth`: E for embedding input, the backbone width for token input.
    public init(_ config: CaptionConfig, conditionWidth: Int, generator: RandomGenerator = .default) {
        self.config = config
        switch config.mapper {
        case .mlp:
            mapper = MLPPrefixMapper(conditionWidth: conditionWidth, prefixLength: config.prefixLength, width: config.width,
                                     hidden: config.mapperHidden, generator: generator)
        case .transformer:
            mapper = TransformerPrefixMapper(config, conditionWidth: conditionWidth, generator: generator)
        }
        decoder = CaptionDecoder(config, generator: generator)
    }

    public var items: [(String, ModuleItem)] { [("mapper", .module(mapper)), ("decoder", .module(decoder))] }

    /// condition [B, E] or [B, N, C] -> prefix [B, K, D]. An embedding is
    /// L2-normalized and scaled by √E first, so its entries are of unit scale
    /// whatever the model's embedding norm.
    public func prefix(_ condition: Tensor) -> Tensor {
        guard config.input == .embedding else { return mapper(condition) }
        return mapper(condition.l2Normalized() * Float(condition.shape[1]).squareRoot())
    }

    /// Teacher-forced mean token cross-entropy of captions `ids` [B*T] (row-major,
    /// `mask` 1 on real tokens) given `condition`: each position predicts the next
    /// real token; the start token is never a target and padding is ignored.
    public func loss(condition: Tensor, ids: [Int], mask: [Int], length t: Int) -> Tensor {
        let b = condition.shape[0]
        precondition(ids.count == b * t && mask.count == ids.count, "CaptionHead.loss: \(ids.count) ids for [\(b), \(t)]")
        let logits = decoder(prefix: prefix(condition), ids: ids, length: t)            // [B, T, V]
        let targets = (0..<b * t).map { i in i % t < t - 1 && mask[i + 1] == 1 ? ids[i + 1] : -100 }
        return Tensor.crossEntropy(logits.reshape([b * t, config.vocabSize]), targets: targets, ignoreIndex: -100)
    }

    /// Captions for one input (condition [1, E] or [1, N, C]), best first, decoded
    /// from `start` until `end` with `options` (greedy, beam search or nucleus sampling).
    public func caption(condition: Tensor, start: Int, end: Int, options: DecodingOptions,
                        generator: inout some RandomNumberGenerator) throws -> [DecodedSequence] {
        precondition(condition.shape[0] == 1, "CaptionHead.caption: one input at a time, got \(condition.shape)")
        guard options.maxLength < config.contextLength else {
            throw CaptionError("max length \(options.maxLength) must be below the decoder's context length \(config.contextLength)")
        }
        return try withNoGrad {
            let prefix = self.prefix(condition)                                        // [1, K, D]
            let (k, d) = (prefix.shape[1], prefix.shape[2])
            return try SequenceDecoder.decode(start: start, end: end, options: options, generator: &generator) { rows in
                let t = rows[0].count
                precondition(rows.allSatisfy { $0.count == t }, "CaptionHead: decoded rows differ in length")
                let logits = decoder(prefix: prefix.expand([rows.count, k, d]), ids: rows.flatMap { $0 }, length: t)
                let last = logits.narrow(1, t - 1, 1).reshape([rows.count, config.vocabSize]).logSoftmax(dim: -1)
                let flat = last.toArray()
                return (0..<rows.count).map { Array(flat[$0 * config.vocabSize..<($0 + 1) * config.vocabSize]) }
            }
        }
    }
}

/// A caption request that cannot be served.
public struct CaptionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
