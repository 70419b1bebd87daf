import Foundation
import PlinthModalities
import PlinthTensor

/// How a loader turns a record's fields into model inputs.
///
/// - image: `trainImage` (seeded augmentation) when set, else `image` (the
///   deterministic eval transform), else the decoded image as RGB in [0, 1]
///   (then every image must have the same size). Output `[3, H, W]`.
/// - audio and speech: `audio`, output `[mel, frames]`; required to load them.
/// - text: a caption template (`{}` replaced by `label_name`) picked by the
///   item's generator when `captionTemplates` is not empty and the record has
///   a `label_name`, else the record's `text`; tokenized when `tokenizer` is set.
public struct Preprocessing: Sendable {
    public var image: ImageTransform?
    public var trainImage: TrainImageTransform?
    public var audio: AudioPipeline?
    public var tokenizer: (any TextTokenizer)?
    /// Such as "a photo of a {}.".
    public var captionTemplates: [String]

    public init(image: ImageTransform? = nil, trainImage: TrainImageTransform? = nil, audio: AudioPipeline? = nil,
                tokenizer: (any TextTokenizer)? = nil, captionTemplates: [String] = []) {
        self.image = image
        self.trainImage = trainImage
        self.audio = audio
        self.tokenizer = tokenizer
        self.captionTemplates = captionTemplates
    }

    /// `[3, H, W]` for a decoded image.
    func image(_ buffer: ImageBuffer, generator: RandomGenerator) -> Tensor {
        if let trainImage { return trainImage(buffer, generator: generator) }
        if let image { return image(buffer) }
        return buffer.rgb().toTensor()
    }

    /// The caption of a record (its text, or a template filled with its label name).
    func caption(_ record: ManifestRecord, generator: RandomGenerator) -> String? {
        guard !captionTemplates.isEmpty, let name = record.labelName else { return record.text }
        return captionTemplates[generator.nextInt(below: captionTemplates.count)].replacingOccurrences(of: "{}", with: name)
    }
}
