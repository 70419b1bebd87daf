import PlinthModels
import PlinthNN

// Legend: B batch, T image tokens (a class token, then G patches), L instruction tokens,
// W text token width, Q instruction queries, D backbone width, P state width.

/// Turns what a policy sees into one readout vector through the multimodal
/// model's shared backbone (Octo's readout token, Team et al. 2024).
///
/// The instruction arrives as the text tower's token features [B, L, W], not
/// its pooled sentence vector: a sentence encoder's vectors for "balance the
/// pole on the left side" and "... right side" are nearly parallel (cosine
/// 0.996 with all-MiniLM-L6-v2), while the words' own features differ. The
/// tokens, each scaled to unit length, are projected to D and layer-normed
/// (`instruction`, `instruction_ln`) and read by Q learned `queries`
/// (attention pooling over the real tokens, as a Perceiver resampler does), so
/// each query can pick out a word such as the colour or the shape.
///
/// The Q pooled tokens, the normalized state [B, P] (`state` projection) and a
/// readout token follow the image's vision-tower tokens through the shared
/// blocks, where attention mixes them; the readout's output, layer-normed
/// (`ln`), is what an action head reads. The pooled instruction enters three
/// more ways:
/// - it modulates every image token before the shared blocks (`film`: Q D ->
///   2D scale and shift, as in RT-1; zero at start), so each patch can tell
///   whether it shows the named object;
/// - it is added to the learned `readout` (`readout_instruction`: Q D -> D;
///   zero at start), so the readout's first attention already asks for the
///   named object;
/// - it points at the named object: each pooled query, projected
///   (`keypoint_query`), scores the image patches, and the softmax over the
///   patches weights their centres into one image point (a spatial soft-argmax
///   as in Levine et al. 2016, here conditioned on the instruction); the Q
///   points are added to the readout as well (`keypoints`: 2Q -> D). Positions
///   come out exact, so only the match of words to patches has to be learned.
/// On scenes shown under every instruction, behaviour cloning without the last
/// two paths stayed at the instruction-blind loss for thousands of steps; with
/// the readout path it left that loss after about 900 steps, and with the point
/// as well within 200.
///
/// Keys: `instruction.*`, `instruction_ln.*`, `queries` [Q, D], `film.*`, `state.*`, `readout` [1, D],
/// `readout_instruction.*`, `keypoint_query.*`, `keypoints.*`, `ln.*`.
public final class PolicyTrunk: Module {
    public let instruction: Linear
    public let instructionNorm: LayerNorm
    public let queries: Tensor
    public let film: Linear
    public let state: Linear
    public let readout: Tensor
    public let readoutInstruction: Linear
    public let keypointQuery: Linear
    public let keypoints: Linear
    public let ln: LayerNorm
    public var isTraining = true

    public init(width d: Int, instructionWidth w: Int, queries q: Int, stateDimension p: Int,
                generator: RandomGenerator = .default) {
        instruction = Linear(w, d, generator: generator)
        instructionNorm = LayerNorm(d)
        queries = .randn([q, d], std: 0.02, generator: generator, requiresGrad: true)
        film = Linear(q * d, 2 * d, generator: generator)
        film.weight.fill(0)
        film.bias?.fill(0)
        state = Linear(p, d, generator: generator)
        readout = .randn([1, d], std: 0.02, generator: generator, requiresGrad: true)
        readoutInstruction = Linear(q * d, d, generator: generator)
        readoutInstruction.weight.fill(0)
        readoutInstruction.bias?.fill(0)
        keypointQuery = Linear(d, d, generator: generator)
        keypoints = Linear(2 * q, d, generator: generator)
        ln = LayerNorm(d)
    }

    public var items: [(String, ModuleItem)] {
        [("instruction", .module(instruction)), ("instruction_ln", .module(instructionNorm)), ("queries", .parameter(queries)),
         ("film", .module(film)), ("state", .module(state)), ("readout", .parameter(readout)),
         ("readout_instruction", .module(readoutInstruction)), ("keypoint_query", .module(keypointQuery)),
         ("keypoints", .module(keypoints)), ("ln", .module(ln))]
    }

    /// images [B, 3, H, W], the instruction's text tokens, state [B, P] (normalized) -> [B, D].
    public func callAsFunction(_ model: MultimodalModel, images: Tensor, instruction text: TextTokens, state s: Tensor) -> Tensor {
        let b = images.shape[0], (q, d) = (queries.shape[0], queries.shape[1])
        let words = instructionNorm(instruction(text.tokens.l2Normalized()))                  // [B, L, D]
        let padding = Tensor(text.keep.toArray().map { $0 > 0 ? 0 : -Float.infinity }, shape: [b, 1, text.keep.shape[1]])
        let weights = (Tensor.matmul(queries, words.T) * (1 / Float(d).squareRoot()) + padding).softmax(dim: -1)   // [B, Q, L]
        let pooled = Tensor.matmul(weights, words)                                             // [B, Q, D]
        let flat = pooled.reshape([b, q * d])                                                  // [B, Q D]
        var image = model.imageTokens(images)                                                  // [B, T, D]
        let g = image.shape[1] - 1
        let asks = keypointQuery(pooled)                                                       // [B, Q, D]
        let scores = Tensor.matmul(asks, image.narrow(1, 1, g).T) * (1 / Float(d).squareRoot())   // [B, Q, G]
        let points = Tensor.matmul(scores.softmax(dim: -1), Self.patchCentres(g))              // [B, Q, 2]
        let asking = (readout + readoutInstruction(flat) + keypoints(points.reshape([b, 2 * q]))).unsqueeze(1)   // [B, 1, D]
        let extra = Tensor.concat([pooled, state(s).unsqueeze(1), asking], dim: 1)            // [B, Q + 2, D]
        let modulation = film(flat).chunk(2, dim: 1)                                           // 2 x [B, D]
        image = image * (1 + modulation[0].unsqueeze(1)) + modulation[1].unsqueeze(1)
        let tokens = model.joint(Tensor.concat([image, extra], dim: 1))                        // [B, T + Q + 2, D]
        return ln(tokens.narrow(1, tokens.shape[1] - 1, 1).reshape([b, d]))                   // [B, D]
    }

    /// The centres of G patches in row-major order on a square grid, in [-1, 1] (x right, y down) -> [G, 2].
    public static func patchCentres(_ g: Int) -> Tensor {
        let side = Int(Double(g).squareRoot())
        precondition(side * side == g, "PolicyTrunk: \(g) patches do not form a square grid")
        let at = { (i: Int) in (2 * Float(i) + 1) / Float(side) - 1 }
        return Tensor((0..<g).flatMap { [at($0 % side), at($0 / side)] }, shape: [g, 2])
    }
}
