import Foundation
import PlinthData
import PlinthModalities
import PlinthTensor

extension ModelInputs {
    /// A whole image or sound file in memory -> the model's input for a batch of
    /// one: an image [1, 3, S, S] through the image preset, a sound
    /// [1, 1, mel, frames] through the audio preset. `name` labels decoding errors.
    ///
    /// - Throws: ``EmbedderError`` when the model names no preset for `field`
    ///   (or `field` is text); the decoders' errors for bad bytes.
    public func input(data: Data, field: Field, name: String = "<memory>",
                      audioLimits: AudioDecoder.Limits = .default) throws -> Tensor {
        if let missing = missingPreset(for: field) { throw EmbedderError(missing) }
        switch field {
        case .image: return try ImageTransform(preset: imagePreset!)(data: data, path: name).unsqueeze(0)
        case .audio, .speech: return try audio!(AudioDecoder.decode(data: data, name: name, limits: audioLimits)).unsqueeze(0).unsqueeze(0)
        case .text: throw EmbedderError("text is tokenized, not decoded from a file")
        }
    }
}

extension Embedder {
    /// Inputs from ``ModelInputs/input(data:field:name:audioLimits:)`` [B, ...] -> [B, E], L2-normalized.
    public func embed(input: Tensor, field: Field) -> Tensor {
        withNoGrad { field == .image ? model.encode(images: input) : model.encode(audio: input) }.l2Normalized()
    }
}
