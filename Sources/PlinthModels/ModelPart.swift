import PlinthNN

/// A part of a `MultimodalModel` that can be initialized from another file or
/// locked as a whole: a tower, the shared blocks, or the temperature.
public enum ModelPart: String, Codable, Sendable, CaseIterable {
    case vision, audio, text
    /// `backbone.*` and `modality_embedding`.
    case shared
    /// `logit_scale`.
    case scale = "logit_scale"

    /// The part a state-dict key belongs to: `visual.*`, `audio.*`, `bert.*` or
    /// open_clip's top-level text keys, `backbone.*` / `modality_embedding`, `logit_scale`.
    public init?(key: String) {
        let head = key.prefix { $0 != "." }
        switch head {
        case "visual": self = .vision
        case "audio": self = .audio
        case "bert", "token_embedding", "positional_embedding", "transformer", "ln_final", "text_projection": self = .text
        case "backbone", "modality_embedding": self = .shared
        case "logit_scale": self = .scale
        default: return nil
        }
    }
}

extension MultimodalModel {
    /// Parameters and buffers of the given parts, under their keys.
    public func namedTensors(of parts: Set<ModelPart>) -> [(String, Tensor)] {
        namedTensors().filter { ModelPart(key: $0.0).map(parts.contains) ?? false }
    }
}
