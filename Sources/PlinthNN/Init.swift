import Foundation

/// In-place parameter initializers (PyTorch's `torch.nn.init`). Fan-in and
/// fan-out follow PyTorch: for a weight [out, in, ...], fan_in = in * receptive
/// field and fan_out = out * receptive field.
public enum Init {
    static func fans(_ t: Tensor) -> (fanIn: Int, fanOut: Int) {
        precondition(t.rank >= 2, "Init: fan in/out needs a tensor of rank >= 2, got \(t.shape)")
        let receptive = t.shape.dropFirst(2).reduce(1, *)
        return (t.shape[1] * receptive, t.shape[0] * receptive)
    }

    public static func normal(_ t: Tensor, mean: Float = 0, std: Float = 1, generator: RandomGenerator = .default) {
        t.assign(Tensor.randn(t.shape, mean: mean, std: std, generator: generator))
    }

    public static func uniform(_ t: Tensor, low: Float, high: Float, generator: RandomGenerator = .default) {
        t.assign(Tensor.rand(t.shape, low: low, high: high, generator: generator))
    }

    /// Normal samples redrawn until they fall in [a, b] (absolute bounds, as PyTorch's trunc_normal_).
    public static func truncatedNormal(_ t: Tensor, mean: Float = 0, std: Float = 1, a: Float = -2, b: Float = 2,
                                       generator: RandomGenerator = .default) {
        var values = [Float](repeating: 0, count: t.count)
        var one: [Float] = [0, 0]
        for i in values.indices {
            repeat {
                one.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: mean, std: std) }
            } while one[0] < a || one[0] > b
            values[i] = one[0]
        }
        t.assign(Tensor(values, shape: t.shape))
    }

    /// Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).
    public static func xavierUniform(_ t: Tensor, gain: Float = 1, generator: RandomGenerator = .default) {
        let (fi, fo) = fans(t)
        let a = gain * (6 / Float(fi + fo)).squareRoot()
        uniform(t, low: -a, high: a, generator: generator)
    }

    public static func xavierNormal(_ t: Tensor, gain: Float = 1, generator: RandomGenerator = .default) {
        let (fi, fo) = fans(t)
        normal(t, std: gain * (2 / Float(fi + fo)).squareRoot(), generator: generator)
    }

    /// He uniform on fan_in with leaky-ReLU slope `a`; `a = sqrt(5)` is
    /// PyTorch's default for Linear weights (giving U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
    public static func kaimingUniform(_ t: Tensor, a: Float = 0, generator: RandomGenerator = .default) {
        let gain = (2 / (1 + a * a)).squareRoot()
        let bound = gain * (3 / Float(fans(t).fanIn)).squareRoot()
        uniform(t, low: -bound, high: bound, generator: generator)
    }

    public static func kaimingNormal(_ t: Tensor, a: Float = 0, generator: RandomGenerator = .default) {
        let gain = (2 / (1 + a * a)).squareRoot()
        normal(t, std: gain / Float(fans(t).fanIn).squareRoot(), generator: generator)
    }

    public static func zeros(_ t: Tensor) { t.fill(0) }
    public static func ones(_ t: Tensor) { t.fill(1) }
}
