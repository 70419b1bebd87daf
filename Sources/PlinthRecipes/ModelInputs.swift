import Foundation
import PlinthData
import PlinthModalities
import PlinthModels

/// The preprocessing a model's inputs go through, built from the modality-card
/// presets a recipe or a model card names.
public struct ModelInputs: Sendable {
    public let imagePreset: ImagePreset?
    public let audio: AudioPipeline?
    public let tokenizer: (any TextTokenizer)?
    /// Caption templates for labelled data during training.
    public let templates: [String]?

    public init(image: String?, audio: String?, text: String?, templates: [String]? = nil) throws {
        imagePreset = try image.map { try ModalityCards.load(ImagePreset.self, preset: $0) }
        self.audio = try audio.map { try AudioPipeline(preset: ModalityCards.load(AudioPreset.self, preset: $0)) }
        tokenizer = try text.map { try TextTokenizers.load(preset: ModalityCards.load(TextPreset.self, preset: $0)) }
        self.templates = templates
    }

    /// The recipe's presets, checked against its model config.
    public init(recipe: Recipe) throws {
        let d = recipe.data
        try self.init(image: d.image, audio: d.audio, text: d.text, templates: d.templates)
        try check(recipe.model, file: recipe.name)
    }

    /// The presets a shipped model was trained with.
    public init(card: ModelCard) throws {
        try self.init(image: card.imagePreset, audio: card.audioPreset, text: card.textPreset)
        try check(card.config, file: card.name)
    }

    func check(_ config: ModelConfig, file: String) throws {
        func fail(_ field: String, _ message: String) -> RecipeError { RecipeError(file: file, field: field, message: message) }
        if let v = config.vision {
            guard let p = imagePreset else { throw fail("data.image", "the model has a vision tower; name an image preset") }
            guard p.size == v.imageSize else {
                throw fail("model.vision.image_size", "is \(v.imageSize) but the image preset crops to \(p.size)")
            }
        }
        if let a = config.audio, let pipeline = audio, case .kaldiFbank(let f) = pipeline.features {
            guard f.fbank.melBins == a.melBins && f.targetFrames == a.frames else {
                throw fail("model.audio", "expects \(a.melBins) x \(a.frames) features, the audio preset gives \(f.fbank.melBins) x \(f.targetFrames)")
            }
        }
        if let t = config.text {
            guard let tok = tokenizer else { throw fail("data.text", "the model has a text tower; name a text preset") }
            guard tok.vocabularySize == t.vocabSize && tok.contextLength == t.contextLength else {
                throw fail("model.text", "vocab_size \(t.vocabSize) and context_length \(t.contextLength) must match the tokenizer's \(tok.vocabularySize) and \(tok.contextLength)")
            }
        }
    }

    /// Loader preprocessing; `training` adds the image augmentation when `augment`.
    public func preprocessing(training: Bool, augment: Bool = false) throws -> Preprocessing {
        let evalImage = try imagePreset.map { try ImageTransform(preset: $0) }
        let trainImage = training && augment
            ? imagePreset.map { TrainImageTransform(size: $0.size, mean: $0.mean, std: $0.std, scale: 0.6...1) } : nil
        return Preprocessing(image: evalImage, trainImage: trainImage, audio: audio, tokenizer: tokenizer,
                             captionTemplates: training ? templates ?? [] : [])
    }
}

extension Recipe {
    /// The dataset's records of one split that carry every field in `fields`,
    /// building the manifest on first use.
    public func records(split: Split, fields: Set<Field>, dataDirectory: URL, limit: Int?) throws -> [ManifestRecord] {
        let url = try Datasets.manifest(named: data.dataset, dataDirectory: dataDirectory)
        let all = try Manifest.read(from: url).filter { $0.split == split && $0.has(fields) }
        guard !all.isEmpty else {
            throw RecipeError(file: name, field: "data.dataset", message: "'\(data.dataset)' has no \(split.rawValue) records with \(fields.map(\.rawValue).sorted())")
        }
        return limit.map { Array(all.prefix($0)) } ?? all
    }
}
