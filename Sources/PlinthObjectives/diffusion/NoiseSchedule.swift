import Foundation
import PlinthNN

// Legend: B batch, T training timesteps.

/// The forward-process variances of DDPM (Ho et al. 2020) and their cumulative products.
///
/// `betas[t]` is β_t and `alphasCumprod[t]` is ᾱ_t = Π_{s ≤ t} (1 - β_s), for t in 0..<T, both [T].
/// `.linear` spaces β evenly from `betaStart` to `betaEnd` (diffusers' "linear", DDPM's schedule);
/// `.cosine` is diffusers' "squaredcos_cap_v2" (Nichol & Dhariwal 2021): β_t = min(1 - ᾱ(t+1)/ᾱ(t), 0.999)
/// with ᾱ(t) = cos²(((t/T) + 0.008) / 1.008 · π/2); it ignores `betaStart` and `betaEnd`.
///
/// The values are those diffusers' schedulers hold: β is computed in Double and rounded to Float32
/// (diffusers stores `torch.float32` betas), 1 - β is rounded to Float32, the product is accumulated
/// in Double (as torch's CPU `cumprod` does) and each ᾱ_t is rounded to Float32. Both arrays are
/// Float32 values widened to Double, so the samplers see exactly diffusers' ᾱ.
public struct NoiseSchedule: Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case linear, cosine }

    public let kind: Kind
    /// β_t, [T].
    public let betas: [Double]
    /// ᾱ_t, [T], strictly decreasing in (0, 1).
    public let alphasCumprod: [Double]
    /// T, the number of training timesteps.
    public var steps: Int { betas.count }

    public init(kind: Kind, steps: Int = 1000, betaStart: Double = 1e-4, betaEnd: Double = 0.02) {
        precondition(steps >= 1, "NoiseSchedule: steps must be at least 1, got \(steps)")
        let raw: [Double]
        switch kind {
        case .linear:
            precondition(betaStart > 0 && betaEnd < 1 && betaStart <= betaEnd,
                         "NoiseSchedule: need 0 < betaStart <= betaEnd < 1, got \(betaStart) and \(betaEnd)")
            // torch.linspace's symmetric form: exact at both ends.
            let delta = steps > 1 ? (betaEnd - betaStart) / Double(steps - 1) : 0
            raw = (0..<steps).map { i in
                i < steps / 2 ? betaStart + delta * Double(i) : betaEnd - delta * Double(steps - 1 - i)
            }
        case .cosine:
            // Same expression order as diffusers' betas_for_alpha_bar, so the Double values are identical.
            func alphaBar(_ t: Double) -> Double {
                let c = Foundation.cos((t + 0.008) / 1.008 * Double.pi / 2)
                return c * c
            }
            raw = (0..<steps).map { i in
                let t1 = Double(i) / Double(steps), t2 = Double(i + 1) / Double(steps)
                return Swift.min(1 - alphaBar(t2) / alphaBar(t1), 0.999)
            }
        }
        self.kind = kind
        betas = raw.map { Double(Float($0)) }
        var product = 1.0
        alphasCumprod = betas.map { beta in
            product *= Double(Float(1 - beta))
            return Double(Float(product))
        }
    }

    /// x_t = sqrt(ᾱ_t) x0 + sqrt(1 - ᾱ_t) ε, one timestep per row. x0, noise [B, ...], timesteps.count == B.
    /// Differentiable in x0 and noise (diffusers `add_noise`).
    public func addNoise(_ x0: Tensor, noise: Tensor, timesteps: [Int]) -> Tensor {
        let (signal, noiseScale) = rowCoefficients(x0, noise, timesteps, "addNoise")
        return signal * x0 + noiseScale * noise
    }

    /// The v-prediction target v = sqrt(ᾱ_t) ε - sqrt(1 - ᾱ_t) x0 (diffusers get_velocity).
    /// x0, noise [B, ...], timesteps.count == B -> [B, ...]; differentiable in x0 and noise.
    /// Salimans & Ho 2022, "Progressive Distillation", section 4.
    public func velocity(_ x0: Tensor, noise: Tensor, timesteps: [Int]) -> Tensor {
        let (signal, noiseScale) = rowCoefficients(x0, noise, timesteps, "velocity")
        return signal * noise - noiseScale * x0
    }

    /// ᾱ_t as Float32, the value diffusers computes with.
    func alphaCumprod(_ t: Int) -> Float {
        precondition(t >= 0 && t < steps, "NoiseSchedule: timestep \(t) outside 0..<\(steps)")
        return Float(alphasCumprod[t])
    }

    /// sqrt(ᾱ_t) and sqrt(1 - ᾱ_t) per row, each [B, 1, ..., 1] to broadcast over `x`.
    private func rowCoefficients(_ x: Tensor, _ noise: Tensor, _ timesteps: [Int], _ name: String) -> (Tensor, Tensor) {
        precondition(x.shape == noise.shape, "NoiseSchedule.\(name): x0 \(x.shape) and noise \(noise.shape) differ")
        precondition(x.rank >= 1 && timesteps.count == x.shape[0],
                     "NoiseSchedule.\(name): \(timesteps.count) timesteps for a batch of shape \(x.shape)")
        let shape = [timesteps.count] + [Int](repeating: 1, count: x.rank - 1)   // [B, 1, ..., 1]
        let a = timesteps.map(alphaCumprod)
        return (Tensor(a.map { $0.squareRoot() }, shape: shape), Tensor(a.map { (1 - $0).squareRoot() }, shape: shape))
    }
}
