import PlinthModels
import PlinthNN

// Legend: B batch, T image tokens, D backbone width, E joint width, P state width.

/// Turns what a policy sees into one readout vector through the multimodal
/// model's shared backbone (Octo's readout token, Team et al. 2024).
///
/// The instruction's joint embedding [B, E] and the normalized state [B, P]
/// become one token each (`instruction`, `state` projections to D); they and
/// a learned `readout` token follow the image's vision-tower tokens through
/// the shared blocks, where attention mixes them; the readout's output,
/// layer-normed (`ln`), is what an action head reads. The instruction also
/// modulates every image token before the shared blocks (`film`: E -> 2D
/// scale and shift, zero at start, as in RT-1), so each patch can tell whether
/// it shows the named object.
///
/// Keys: `instruction.*`, `film.*`, `state.*`, `readout` [1, D], `ln.*`.
public final class PolicyTrunk: Module {
    public let instruction: Linear
    public let film: Linear
    public let state: Linear
    public let readout: Tensor
    public let ln: LayerNorm
    public var isTraining = true

    public init(width d: Int, instructionWidth e: Int, stateDimension p: Int, generator: RandomGenerator = .default) {
        instruction = Linear(e, d, generator: generator)
        film = Linear(e, 2 * d, generator: generator)
        film.weight.fill(0)
        film.bias?.fill(0)
        state = Linear(p, d, generator: generator)
        readout = .randn([1, d], std: 0.02, generator: generator, requiresGrad: true)
        ln = LayerNorm(d)
    }

    public var items: [(String, ModuleItem)] {
        [("instruction", .module(instruction)), ("film", .module(film)), ("state", .module(state)), ("readout", .parameter(readout)), ("ln", .module(ln))]
    }

    /// images [B, 3, H, W], instruction [B, E], state [B, P] (normalized) -> [B, D].
    public func callAsFunction(_ model: MultimodalModel, images: Tensor, instruction text: Tensor, state s: Tensor) -> Tensor {
        let b = images.shape[0], d = readout.shape[1]
        let extra = Tensor.concat([instruction(text).unsqueeze(1), state(s).unsqueeze(1),
                                   readout.unsqueeze(0).expand([b, 1, d])], dim: 1)       // [B, 3, D]
        let modulation = film(text).chunk(2, dim: 1)                                        // 2 x [B, D]
        let tokens = model.tokens(images: images, appending: extra, film: (modulation[0], modulation[1]))   // [B, T + 3, D]
        return ln(tokens.narrow(1, tokens.shape[1] - 1, 1).reshape([b, d]))                 // [B, D]
    }
}
