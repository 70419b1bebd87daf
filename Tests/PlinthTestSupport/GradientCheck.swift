import Foundation
import PlinthTensor

/// The largest disagreement found by `gradientCheck`.
public struct GradientCheckResult: CustomStringConvertible {
    public var worstInput = 0, worstIndex = 0
    public var analytic: Float = 0, numeric: Float = 0
    public var passed = true

    public var description: String {
        "input \(worstInput)[\(worstIndex)]: analytic \(analytic), numeric \(numeric)"
    }
}

/// Compares autograd gradients with central differences.
///
/// The scalar objective is `sum(f(inputs) * w)` for a fixed random `w`, so
/// every output element matters. Each input element is perturbed by ±eps in
/// double-checked Float32; an element passes when
/// |analytic - numeric| <= atol + rtol * |numeric|.
public func gradientCheck(_ inputs: [Tensor], eps: Float = 1e-3, atol: Float = 2e-3, rtol: Float = 2e-2,
                          seed: UInt64 = 7, _ f: ([Tensor]) -> Tensor) -> GradientCheckResult {
    let leaves = inputs.map { t -> Tensor in
        let c = t.copy()
        c.requiresGrad = true
        return c
    }
    let out = f(leaves)
    let weights = Tensor.randn(out.shape, generator: RandomGenerator(seed: seed))
    (out * weights).sum().backward()

    func objective() -> Double {
        let y = withNoGrad { f(leaves) }
        let a = y.toArray(), w = weights.toArray()
        return zip(a, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    var result = GradientCheckResult()
    var worst: Float = -1
    for (i, leaf) in leaves.enumerated() {
        let analytic = leaf.grad?.toArray() ?? [Float](repeating: 0, count: leaf.count)
        for j in 0..<leaf.count {
            let saved = leaf.pointer[j]
            leaf.pointer[j] = saved + eps
            let plus = objective()
            leaf.pointer[j] = saved - eps
            let minus = objective()
            leaf.pointer[j] = saved
            let numeric = Float((plus - minus) / (2 * Double(eps)))
            let err = abs(analytic[j] - numeric) - (atol + rtol * abs(numeric))
            if err > worst {
                worst = err
                result.worstInput = i
                result.worstIndex = j
                result.analytic = analytic[j]
                result.numeric = numeric
            }
        }
    }
    result.passed = worst <= 0
    return result
}
