import Foundation
import PlinthData
import PlinthModalities
import PlinthModels

/// The preprocessing a model's inputs go through, built from the modality-card
/// presets a recipe or a model card names.
public struct ModelInputs: Sendable {
    public let imagePreset: ImagePreset?
    public let audio: AudioPipeline?
    public internal(set) var tokenizer: (any TextTokenizer)?
    /// Caption templates for labelled data during training.
    public let templates: [String]?

    /// `tokenizer`, if given, is used instead of the `text` preset; its vocabulary is relative to `directory`.
    public init(image: String?, audio: String?, text: String?, tokenizer: TextPreset? = nil, directory: URL? = nil,
                templates: [String]? = nil) throws {
        imagePreset = try image.map { try ModalityCards.load(ImagePreset.self, preset: $0) }
        self.audio = try audio.map { try AudioPipeline(preset: ModalityCards.load(AudioPreset.self, preset: $0)) }
        if let t = tokenizer {
            self.tokenizer = try TextTokenizers.load(kind: t.tokenizer, vocabulary: t.vocabulary, contextLength: t.contextLength,
                                                     lowercase: t.lowercase, root: directory)
        } else {
            self.tokenizer = try text.map { try TextTokenizers.load(preset: ModalityCards.load(TextPreset.self, preset: $0)) }
        }
        self.templates = templates
    }

    /// The recipe's presets, checked against its model config.
    public init(recipe: Recipe) throws {
        let d = recipe.data
        try self.init(image: d.image, audio: d.audio, text: d.text, templates: d.templates)
        try check(recipe.model, file: recipe.name)
    }

    /// The presets a model file names; `directory` (the file's folder) holds its own tokenizer, if any.
    public init(card: ModelCard, directory: URL) throws {
        try self.init(image: card.imagePreset, audio: card.audioPreset, text: card.textPreset, tokenizer: card.textTokenizer,
                      directory: directory)
        try check(card.config, file: card.name, everyTower: false)
    }

    /// The presets must fit the towers; with `everyTower` (training) each tower also needs one,
    /// while a model file (an import) may lack some and serve the other modalities.
    func check(_ config: ModelConfig, file: String, everyTower: Bool = true) throws {
        func fail(_ field: String, _ message: String) -> RecipeError { RecipeError(file: file, field: field, message: message) }
        if let v = config.vision, imagePreset != nil || everyTower {
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
        if let t = config.text, tokenizer != nil || everyTower {
            guard let tok = tokenizer else { throw fail("data.text", "the model has a text tower; name a text preset") }
            guard tok.vocabularySize == t.vocabSize && tok.contextLength == t.contextLength else {
                throw fail("model.text", "vocab_size \(t.vocabSize) and context_length \(t.contextLength) must match the tokenizer's \(tok.vocabularySize) and \(tok.contextLength)")
            }
        }
        if let b = config.bert, tokenizer != nil || everyTower {
            guard let tok = tokenizer else { throw fail("data.text", "the model has a bert tower; name a text preset") }
            guard tok.vocabularySize == b.vocabSize && tok.contextLength <= b.maxPositionEmbeddings else {
                throw fail("model.bert", "vocab_size \(b.vocabSize) must match the tokenizer's \(tok.vocabularySize), and its context length \(tok.contextLength) must be at most max_position_embeddings \(b.maxPositionEmbeddings)")
            }
        }
    }

    /// The image preset, which a recipe that generates images must name.
    func requireImagePreset(file: String) throws -> ImagePreset {
        guard let imagePreset else { throw RecipeError(file: file, field: "data.image", message: "names no image preset") }
        return imagePreset
    }

    /// Why a model with these inputs cannot read `field` (image or audio), or nil if it can.
    public func missingPreset(for field: Field) -> String? {
        if field == .image && imagePreset == nil { return "this model file names no image preset" }
        if field.modality == .audio && audio == nil { return "this model file names no audio preset" }
        return nil
    }

    /// One field of `records`, in record order, preprocessed for evaluation.
    public func evaluationLoader(records: [ManifestRecord], field: Field, batchSize: Int) throws -> DataLoader {
        try DataLoader(records: records, fields: [field], preprocessing: preprocessing(training: false),
                       batchSize: batchSize, shuffle: false, dropLast: false, seed: 0, workers: 1, prefetch: 2)
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
    /// building the manifest on first use; training records of held-out labels are left out.
    public func records(split: Split, fields: Set<Field>, dataDirectory: URL, limit: Int?) throws -> [ManifestRecord] {
        let url = try Datasets.manifest(named: data.dataset, dataDirectory: dataDirectory)
        var all = try Manifest.read(from: url).filter { $0.split == split && $0.has(fields) }
        if split == .train && !data.heldOutLabels.isEmpty {
            let known = Set(all.compactMap(\.labelName))
            if let unknown = data.heldOutLabels.first(where: { !known.contains($0) }) {
                throw RecipeError(file: name, field: "data.held_out_labels", message: "'\(unknown)' is not a label of '\(data.dataset)' (labels: \(known.sorted().joined(separator: ", ")))")
            }
            all.removeAll { $0.labelName.map(data.heldOutLabels.contains) ?? false }
        }
        guard !all.isEmpty else {
            throw RecipeError(file: name, field: "data.dataset", message: "'\(data.dataset)' has no \(split.rawValue) records with \(fields.map(\.rawValue).sorted())")
        }
        return limit.map { Array(all.prefix($0)) } ?? all
    }
}
