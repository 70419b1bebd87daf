/// Parameters that share optimizer settings, each under its state-dict key
/// (the key names its optimizer state in checkpoints).
public struct ParameterGroup {
    public var parameters: [(String, Tensor)]
    public var weightDecay: Float
    /// Multiplies the optimizer's learning rate for this group.
    public var lrScale: Float

    public init(_ parameters: [(String, Tensor)], weightDecay: Float = 0, lrScale: Float = 1) {
        self.parameters = parameters
        self.weightDecay = weightDecay
        self.lrScale = lrScale
    }

    /// A group of unnamed parameters, keyed by position ("0", "1", ...).
    public init(positional parameters: [Tensor], weightDecay: Float = 0) {
        self.init(parameters.enumerated().map { ("\($0.offset)", $0.element) }, weightDecay: weightDecay)
    }
}

extension Module {
    /// Splits the trainable parameters into a decayed group and a no-decay
    /// group (CLIP's recipe): no decay for tensors of rank < 2 (biases, norm
    /// gains, logit scale) and for keys naming an embedding, a norm or a token.
    public func parameterGroups(weightDecay: Float,
                                noDecay: (String, Tensor) -> Bool = ParameterGroup.defaultNoDecay) -> [ParameterGroup] {
        let trainable = namedParameters().filter { $0.1.requiresGrad }
        return [
            ParameterGroup(trainable.filter { !noDecay($0.0, $0.1) }, weightDecay: weightDecay),
            ParameterGroup(trainable.filter { noDecay($0.0, $0.1) }, weightDecay: 0),
        ]
    }
}

extension ParameterGroup {
    public static func defaultNoDecay(_ key: String, _ t: Tensor) -> Bool {
        t.rank < 2 || ["embedding", "norm", "ln_", "bias", "logit_scale", "token"].contains { key.contains($0) }
    }
}
