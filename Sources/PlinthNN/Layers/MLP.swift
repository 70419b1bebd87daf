/// The activation between the two layers of a transformer MLP.
public enum Activation: String, Codable, Sendable {
    /// Exact GELU (erf form), PyTorch's nn.GELU().
    case gelu
    /// GELU with the tanh approximation.
    case geluTanh = "gelu_tanh"
    /// x * sigmoid(1.702 x), as OpenAI's CLIP.
    case quickGELU = "quick_gelu"
    case relu
    case silu

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .gelu: x.gelu()
        case .geluTanh: x.gelu(approximateTanh: true)
        case .quickGELU: x * (x * 1.702).sigmoid()
        case .relu: x.relu()
        case .silu: x.silu()
        }
    }
}

/// The transformer feed-forward block with open_clip's keys:
/// `c_fc` (D -> hidden), activation, `c_proj` (hidden -> D). x [..., D] -> [..., D].
public final class MLP: Module {
    public let cFc: Linear
    public let cProj: Linear
    public let activation: Activation
    public var isTraining = true

    public init(_ dim: Int, hidden: Int, activation: Activation = .gelu, generator: RandomGenerator = .default) {
        cFc = Linear(dim, hidden, generator: generator)
        cProj = Linear(hidden, dim, generator: generator)
        self.activation = activation
    }

    public var items: [(String, ModuleItem)] { [("c_fc", .module(cFc)), ("c_proj", .module(cProj))] }

    public func callAsFunction(_ x: Tensor) -> Tensor { cProj(activation(cFc(x))) }
}
