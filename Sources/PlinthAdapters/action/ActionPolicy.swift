import PlinthModels
import PlinthNN

// Legend: B batch, D backbone width, P state width, K horizon, A action width.

/// A policy head on a multimodal model: `PolicyTrunk` (image, instruction and
/// state through the shared backbone), one `ActionHead` (`config.head`) and
/// the `ActionNormalization` fitted to its demonstrations. Takes and returns
/// raw (task-unit) states and actions; normalization is applied inside.
///
/// Keys: `trunk.*`, `head.*`, `normalization.*`.
public final class ActionPolicy: Module {
    public let config: PolicyConfig
    public let trunk: PolicyTrunk
    public let head: any ActionHead
    public let normalization: ActionNormalization
    public var isTraining = true

    /// A policy for `model` (it needs a vision tower, a text tower and shared blocks; checked by the recipe).
    public init(_ config: PolicyConfig, model: ModelConfig, generator: RandomGenerator = .default) {
        self.config = config
        let d = model.shared.width, (k, a) = (config.horizon, config.actionDimension)
        trunk = PolicyTrunk(width: d, instructionWidth: model.textTokenWidth!, queries: config.queries,
                            stateDimension: config.stateDimension, generator: generator)
        head = switch config.head {
        case .discrete: DiscreteActionHead(width: d, horizon: k, actionDimension: a, bins: config.bins, generator: generator)
        case .chunk: ChunkActionHead(width: d, hidden: config.hidden, horizon: k, actionDimension: a, generator: generator)
        case .diffusion: DiffusionActionHead(width: d, hidden: config.hidden, blocks: config.blocks, steps: config.diffusionSteps,
                                             horizon: k, actionDimension: a, generator: generator)
        }
        normalization = ActionNormalization(stateDimension: config.stateDimension, actionDimension: a)
    }

    public var items: [(String, ModuleItem)] {
        [("trunk", .module(trunk)), ("head", .module(head)), ("normalization", .module(normalization))]
    }

    /// The behaviour-cloning loss: images [B, 3, H, W], the instruction's text tokens,
    /// raw states [B, P], raw action chunks [B, K, A] and their mask [B, K].
    public func loss(_ model: MultimodalModel, images: Tensor, instruction: TextTokens, states: Tensor, actions: Tensor,
                     mask: Tensor, generator: RandomGenerator) -> Tensor {
        let readout = trunk(model, images: images, instruction: instruction, state: normalization.normalize(states: states))
        return head.loss(readout, actions: normalization.normalize(actions: actions), mask: mask, generator: generator)
    }

    /// Raw action chunks [B, K, A] for images [B, 3, H, W], the instruction's text tokens and raw states [B, P].
    public func act(_ model: MultimodalModel, images: Tensor, instruction: TextTokens, states: Tensor,
                    generator: RandomGenerator) -> Tensor {
        withNoGrad {
            let readout = trunk(model, images: images, instruction: instruction, state: normalization.normalize(states: states))
            return normalization.denormalize(actions: head.predict(readout, generator: generator))
        }
    }
}
