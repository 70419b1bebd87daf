/// Tensor constructors. Random ones draw from a `RandomGenerator`
/// (the process default unless one is given).
extension Tensor {
    public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.fill(value)
        t.requiresGrad = requiresGrad
        return t
    }

    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 0, requiresGrad: requiresGrad)
    }

    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, requiresGrad: requiresGrad)
    }

    /// Values `start, start + step, ...` below `end` (shape `[n]`).
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange: step must be non-zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<n).map { start + Float($0) * step }, shape: [n])
    }

    /// The n x n identity.
    public static func eye(_ n: Int) -> Tensor {
        let t = zeros([n, n])
        for i in 0..<n { t.pointer[i * n + i] = 1 }
        return t
    }

    /// Normal samples with the given mean and standard deviation.
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1,
                             generator: RandomGenerator = .default, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape)
        generator.fillNormal(UnsafeMutableBufferPointer(start: t.pointer, count: t.count), mean: mean, std: std)
        t.requiresGrad = requiresGrad
        return t
    }

    /// Uniform samples in [low, high).
    public static func rand(_ shape: [Int], low: Float = 0, high: Float = 1,
                            generator: RandomGenerator = .default, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape)
        generator.fillUniform(UnsafeMutableBufferPointer(start: t.pointer, count: t.count), low: low, high: high)
        t.requiresGrad = requiresGrad
        return t
    }

    public static func zeros(like t: Tensor) -> Tensor { zeros(t.shape) }
    public static func ones(like t: Tensor) -> Tensor { ones(t.shape) }

    /// A contiguous copy of the values, not connected to the graph.
    public func copy() -> Tensor {
        let out = Tensor(uninitialized: shape)
        stridedCopy(shape: shape, from: pointer, strides: strides, to: out.pointer, strides: out.strides)
        return out
    }

    /// A contiguous copy that stays connected to the graph.
    public func clone() -> Tensor {
        copy().recorded("clone", [self]) { g in [g] }
    }
}
