import Foundation
import PlinthAdapters
import PlinthModalities
import PlinthModels
import PlinthNN
import PlinthObjectives

/// What a model file says about itself: the architecture, the modality-card
/// presets its inputs need, and the recipe that trained it (none for an import).
public struct ModelCard: Codable, Sendable {
    public var name: String
    public var config: ModelConfig
    public var imagePreset: String?
    public var audioPreset: String?
    public var textPreset: String?
    /// A tokenizer that travels with the model (an import's), its vocabulary
    /// relative to the model file's folder; used instead of `textPreset`.
    public var textTokenizer: TextPreset?
    /// The caption head stored under `caption.*`, if any (its `text` preset resolved).
    public var caption: CaptionSection?
    /// The denoiser stored under `diffusion.*`, if any.
    public var diffusion: DiffusionSection?
    /// The action policy stored under `policy.*`, if any (its normalization statistics are tensors there).
    public var policy: PolicyConfig?
    /// The recipe YAML as run.
    public var recipe: String?
    /// Where the weights came from (a training run and its step, or an import).
    public var source: String

    public init(name: String, config: ModelConfig, imagePreset: String?, audioPreset: String?, textPreset: String?,
                textTokenizer: TextPreset? = nil, caption: CaptionSection? = nil, diffusion: DiffusionSection? = nil,
                policy: PolicyConfig? = nil, recipe: String?, source: String) {
        self.policy = policy
        (self.name, self.config, self.caption, self.diffusion, self.recipe, self.source) = (name, config, caption, diffusion, recipe, source)
        (self.imagePreset, self.audioPreset, self.textPreset, self.textTokenizer) = (imagePreset, audioPreset, textPreset, textTokenizer)
    }

    enum CodingKeys: String, CodingKey {
        case name, config, imagePreset = "image_preset", audioPreset = "audio_preset", textPreset = "text_preset"
        case textTokenizer = "text_tokenizer", caption, diffusion, policy, recipe, source
    }
}

/// A model's weights and card in one safetensors file: tensors under their
/// state-dict keys (a caption head's under `caption.*`, a denoiser's under
/// `diffusion.*`, an action policy's under `policy.*`), the card as JSON in
/// the metadata field `plinth_card`.
public enum ModelFile {
    public static let format = "plinth-model/1"

    /// Writes atomically; `precision` F16 halves the file for shipping.
    public static func save(_ model: MultimodalModel, caption: CaptionHead? = nil, diffusion: Denoiser? = nil,
                            policy: ActionPolicy? = nil, card: ModelCard, to url: URL, precision: SavedPrecision = .f32) throws {
        precondition((caption == nil) == (card.caption == nil), "ModelFile.save: the card and the caption head disagree")
        precondition((diffusion == nil) == (card.diffusion == nil), "ModelFile.save: the card and the denoiser disagree")
        precondition(policy?.config == card.policy, "ModelFile.save: the card and the policy disagree")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(card), as: UTF8.self)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try ModelWithHeads(model: model, caption: caption, diffusion: diffusion, policy: policy, card: card)
            .save(to: url, metadata: ["format": format, "plinth_card": json], precision: precision)
    }

    /// Reads the card alone (no weights are loaded).
    public static func card(at url: URL) throws -> ModelCard {
        try card(of: SafetensorsFile(contentsOf: url), path: url.path)
    }

    /// Builds the model its card describes and loads the weights strictly, in eval mode.
    public static func load(_ url: URL) throws -> (model: MultimodalModel, card: ModelCard) {
        let loaded = try loadWithHeads(url)
        return (loaded.model, loaded.card)
    }

    /// The model and the heads its card names; strict, in eval mode.
    public static func loadWithHeads(_ url: URL) throws -> ModelWithHeads {
        let file = try SafetensorsFile(contentsOf: url)
        let card = try card(of: file, path: url.path)
        let whole = ModelWithHeads(model: try MultimodalModel(card.config),
                                   caption: card.caption.map { CaptionHead($0.head, conditionWidth: $0.head.conditionWidth(card.config)) },
                                   diffusion: card.diffusion.map { Denoiser($0.denoiser, conditionWidth: card.config.embedDim) },
                                   policy: try card.policy.map { config in
                                       do { try config.validate() } catch let error as ModelConfigError {
                                           throw ModelFileError(path: url.path, message: "card field 'policy.\(error.field)' \(error.message)")
                                       }
                                       guard card.config.vision != nil, card.config.textTokenWidth != nil, card.config.shared.layers > 0 else {
                                           throw ModelFileError(path: url.path, message: "card field 'policy' needs a model with vision and text towers and shared blocks")
                                       }
                                       return ActionPolicy(config, model: card.config)
                                   },
                                   card: card)
        try whole.load(stateDict: file.tensors())
        whole.eval()
        return whole
    }

    static func card(of file: SafetensorsFile, path: String) throws -> ModelCard {
        guard file.metadata["format"] == format else {
            throw ModelFileError(path: path, message: "metadata field 'format' is '\(file.metadata["format"] ?? "")', expected '\(format)' (not a Plinth model file)")
        }
        guard let json = file.metadata["plinth_card"] else {
            throw ModelFileError(path: path, message: "metadata field 'plinth_card' is missing")
        }
        do { return try JSONDecoder().decode(ModelCard.self, from: Data(json.utf8)) } catch {
            throw ModelFileError(path: path, message: "metadata field 'plinth_card' is not a valid model card: \(error)")
        }
    }
}

/// A safetensors file that is not a Plinth model file.
public struct ModelFileError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "model file '\(path)': \(message)" }
}

/// A model with its heads, as one state dict: the model's keys as they are,
/// the caption head's under `caption.`, the denoiser's under `diffusion.`, the policy's under `policy.`.
public final class ModelWithHeads: Module {
    public let model: MultimodalModel
    public let caption: CaptionHead?
    public let diffusion: Denoiser?
    public let policy: ActionPolicy?
    public let card: ModelCard
    public var isTraining = true

    init(model: MultimodalModel, caption: CaptionHead?, diffusion: Denoiser?, policy: ActionPolicy? = nil, card: ModelCard) {
        (self.model, self.caption, self.diffusion, self.policy, self.card) = (model, caption, diffusion, policy, card)
    }

    public var items: [(String, ModuleItem)] {
        model.items + (caption.map { [("caption", .module($0))] } ?? []) + (diffusion.map { [("diffusion", .module($0))] } ?? [])
            + (policy.map { [("policy", .module($0))] } ?? [])
    }
}
