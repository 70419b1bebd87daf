import Foundation
import PlinthNN

// Legend: B batch, T tokens, D width, E joint width, M modalities.

/// Image, audio and text towers on an optional shared transformer backbone,
/// each pooled and projected into one joint space of width E.
///
/// A tower's stem and its `layers` specific blocks emit [B, T, D] tokens; the
/// tokens get the learned `modality_embedding` row of their modality and run
/// through the `shared.layers` blocks of `backbone` (causally for text), whose
/// weights every modality uses; the tower then pools and projects. With no
/// shared layers the model is open_clip's CLIP with separate towers.
///
/// Keys: `visual.*` and the text keys at the top level as in open_clip
/// (`token_embedding`, `positional_embedding`, `transformer`, `ln_final`,
/// `text_projection`), `audio.*`, `backbone.resblocks.N.*`,
/// `modality_embedding` [M, D] (only with shared blocks) and `logit_scale` [].
/// A `bert` text tower (keys `bert.embeddings.*`, `bert.encoder.*`) replaces
/// the CLIP text tower and does not run through the shared blocks.
public final class MultimodalModel: Module {
    public private(set) var config: ModelConfig
    public let visual: VisionTransformer?
    public let audio: AudioTransformer?
    public let text: TextTransformer?
    public let bert: BertEncoder?
    public let backbone: Transformer?
    public let modalityEmbedding: Tensor?    // [M, D]
    /// ln of the contrastive temperature's inverse, CLIP's ln(1/0.07) at start.
    public let logitScale: Tensor            // []
    public var isTraining = true

    public init(_ config: ModelConfig, generator: RandomGenerator = .default) throws {
        try config.validate()
        self.config = config
        let (e, shared) = (config.embedDim, config.shared)
        visual = config.vision.map { VisionTransformer($0, embedDim: e, generator: generator) }
        audio = config.audio.map { AudioTransformer($0, embedDim: e, generator: generator) }
        text = config.text.map { TextTransformer($0, embedDim: e, totalLayers: $0.layers + shared.layers, generator: generator) }
        bert = config.bert.map { BertEncoder($0, generator: generator) }
        if shared.layers > 0 {
            backbone = Transformer(width: shared.width, layers: shared.layers, heads: shared.heads, mlpRatio: shared.mlpRatio,
                                   activation: shared.activation, generator: generator)
            modalityEmbedding = .randn([Modality.allCases.count, shared.width], std: 0.02, generator: generator,
                                       requiresGrad: true)
        } else {
            (backbone, modalityEmbedding) = (nil, nil)
        }
        logitScale = Tensor(scalar: Float(Foundation.log(1 / 0.07)))
        logitScale.requiresGrad = true
    }

    public var items: [(String, ModuleItem)] {
        var out: [(String, ModuleItem)] = [("logit_scale", .parameter(logitScale))]
        if let visual { out.append(("visual", .module(visual))) }
        if let audio { out.append(("audio", .module(audio))) }
        if let text { out += text.items }
        if let bert { out.append(("bert", .module(bert))) }
        if let backbone, let modalityEmbedding {
            out += [("modality_embedding", .parameter(modalityEmbedding)), ("backbone", .module(backbone))]
        }
        return out
    }

    /// images [B, 3, H, W] -> [B, E] (not normalized).
    public func encode(images: Tensor) -> Tensor {
        guard let visual else { preconditionFailure("MultimodalModel: this model has no vision tower") }
        return visual.pool(tokens(images: images))
    }

    /// features [B, 1, F, N] -> [B, E] (not normalized).
    public func encode(audio features: Tensor) -> Tensor {
        guard let audio else { preconditionFailure("MultimodalModel: this model has no audio tower") }
        return audio.pool(tokens(audio: features))
    }

    /// ids [B*T] (rows of context_length) -> [B, E] (not normalized, unless a `bert` tower normalizes).
    public func encode(text ids: [Int], batch: Int) -> Tensor {
        if let bert { return bert.encode(ids, batch: batch) }
        guard let text else { preconditionFailure("MultimodalModel: this model has no text tower") }
        return text.pool(shared(text.tokens(ids, batch: batch), .text), ids: ids)
    }

    /// ids [B*T] -> the text tower's last token features [B, L, W] (W = `config.textTokenWidth`)
    /// and which are real: a `bert` tower's, or the CLIP-style tower's after the shared
    /// blocks, up to and including each row's end-of-text token.
    public func tokens(text ids: [Int], batch b: Int) -> TextTokens {
        if let bert { return bert.tokens(ids, batch: b) }
        guard let text else { preconditionFailure("MultimodalModel: this model has no text tower") }
        let t = text.config.contextLength
        let end = (0..<b).map { row in ids[row * t..<(row + 1) * t].firstIndex(of: text.endOfText).map { $0 - row * t } ?? t - 1 }
        let keep = (0..<b).flatMap { row in (0..<t).map { $0 <= end[row] ? Float(1) : 0 } }
        return TextTokens(tokens: shared(text.tokens(ids, batch: b), .text), keep: Tensor(keep, shape: [b, t]))
    }

    /// Appends token embedding rows [K, D] as new text ids (textual inversion); returns them.
    /// Only the CLIP-style text tower takes new tokens.
    @discardableResult
    public func appendTextTokens(_ rows: Tensor) -> Range<Int> {
        guard let text else { preconditionFailure("MultimodalModel: new tokens need a CLIP-style text tower") }
        let ids = text.appendTokens(rows)
        config.text = text.config
        return ids
    }

    /// images [B, 3, H, W] -> the shared backbone's output tokens [B, T, D].
    public func tokens(images: Tensor) -> Tensor {
        guard let visual else { preconditionFailure("MultimodalModel: this model has no vision tower") }
        return shared(visual.tokens(images), .image)
    }

    /// images [B, 3, H, W] -> the vision tower's tokens [B, T, D] tagged as image, before the
    /// shared blocks; `joint` runs them with other tokens (an action policy's instruction, state
    /// and readout tokens).
    public func imageTokens(_ images: Tensor) -> Tensor {
        guard let visual, let modalityEmbedding else {
            preconditionFailure("MultimodalModel: image tokens need a vision tower and shared blocks")
        }
        return visual.tokens(images) + modalityEmbedding.narrow(0, Modality.image.index, 1)
    }

    /// tokens [B, N, D], already tagged, through the shared blocks together, not causally -> [B, N, D].
    public func joint(_ tokens: Tensor) -> Tensor {
        guard let backbone else { preconditionFailure("MultimodalModel: this model has no shared blocks") }
        return backbone(tokens, causal: false)
    }

    /// features [B, 1, F, N] -> the shared backbone's output tokens [B, T, D].
    public func tokens(audio features: Tensor) -> Tensor {
        guard let audio else { preconditionFailure("MultimodalModel: this model has no audio tower") }
        return shared(audio.tokens(features), .audio)
    }

    /// tokens [B, T, D] through the shared blocks, tagged with the modality's embedding row.
    func shared(_ tokens: Tensor, _ modality: Modality) -> Tensor {
        guard let backbone, let modalityEmbedding else { return tokens }
        let tag = modalityEmbedding.narrow(0, modality.index, 1)                        // [1, D]
        return backbone(tokens + tag, causal: modality == .text)
    }
}
