import Foundation
import PlinthAdapters
import PlinthData
import PlinthModalities
import PlinthModels
import PlinthNN

/// A saved policy driving a task: an observation in, the action to execute out.
///
/// The frame is normalized with the model's image preset, the instruction's
/// text tokens computed once per episode, the state and actions (de)normalized by the
/// policy's stored statistics; a chunk head's overlapping predictions are
/// averaged by `TemporalEnsemble` (a discrete head of horizon 1 executes its prediction).
public final class PolicyRunner {
    public let model: MultimodalModel
    public let policy: ActionPolicy
    public let card: ModelCard
    private let tokenizer: any TextTokenizer
    private let preset: ImagePreset
    private let generator: RandomGenerator
    private var ensemble: TemporalEnsemble
    private var instruction: (text: String, tokens: TextTokens)?

    /// Loads a model file that holds a policy (trained by a recipe with a `policy` section).
    public init(contentsOf url: URL, seed: UInt64) throws {
        let loaded = try ModelFile.loadWithHeads(url)
        guard let policy = loaded.policy else {
            throw ModelFileError(path: url.path, message: "holds no action policy; train one with a recipe that has a `policy` section")
        }
        let inputs = try ModelInputs(card: loaded.card, directory: url.deletingLastPathComponent())
        guard let tokenizer = inputs.tokenizer, let preset = inputs.imagePreset else {
            throw ModelFileError(path: url.path, message: "the card names no text tokenizer or image preset")
        }
        (model, self.policy, card, self.tokenizer, self.preset) = (loaded.model, policy, loaded.card, tokenizer, preset)
        generator = RandomGenerator(seed: seed)
        ensemble = TemporalEnsemble(horizon: policy.config.horizon, decay: policy.config.ensembleDecay)
    }

    /// The image side the policy's model sees.
    public var imageSize: Int { model.config.vision!.imageSize }

    /// Forgets the previous episode's predictions.
    public func reset() { ensemble = TemporalEnsemble(horizon: policy.config.horizon, decay: policy.config.ensembleDecay) }

    /// The action for `observation`, whose image must be `imageSize` square.
    public func action(for observation: Observation) throws -> [Float] {
        let image = observation.image
        precondition(image.width == imageSize && image.height == imageSize,
                     "PolicyRunner: a \(image.width)x\(image.height) frame for a \(imageSize) px model")
        if instruction?.text != observation.instruction {
            let row = try tokenizer.tokenize(observation.instruction)
            instruction = (observation.instruction, withNoGrad { model.tokens(text: row.ids, batch: 1) })
        }
        let images = DemoLoader.images([image.pixels[...]], size: imageSize, mean: preset.mean, std: preset.std)
        let chunk = policy.act(model, images: images, instruction: instruction!.tokens,
                               states: Tensor(observation.state, shape: [1, observation.state.count]), generator: generator)
        let (k, a) = (policy.config.horizon, policy.config.actionDimension)
        let values = chunk.contiguous().toArray()
        return ensemble.step(chunk: (0..<k).map { Array(values[$0 * a..<($0 + 1) * a]) })
    }
}
