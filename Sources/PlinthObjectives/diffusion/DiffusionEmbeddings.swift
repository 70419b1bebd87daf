import Foundation
import PlinthNN

// Legend: B batch, D embedding width, G grid side (patches per row), P = G * G patches.

/// DiT's sinusoidal timestep features (diffusers get_timestep_embedding with flip_sin_to_cos=true, downscale_freq_shift=0, max_period 10000):
/// [cos(t f_i), sin(t f_i)], f_i = exp(-ln(10000) i / (dim/2)). timesteps [B] -> [B, dim].
///
/// With `downscaleFreqShift` s the frequencies are f_i = exp(-ln(maxPeriod) · i / (dim/2 - s)),
/// i in 0..<dim/2 (diffusers' own DiT, CombinedTimestepLabelEmbeddings, uses s = 1; the original DiT
/// and the default here use 0). Columns [0, dim/2) hold the cosines, [dim/2, 2·(dim/2)) the sines;
/// an odd `dim` gets a last column of zeros. Timesteps may be fractional. The exponents, frequencies
/// and products t · f_i are rounded to Float32 as diffusers' float32 tensors are; torch's vectorized
/// exp is sometimes one ulp off the correctly rounded f_i used here, so features can differ from
/// diffusers by up to about t · 6e-8. Vaswani et al. 2017; Peebles & Xie 2023.
public func timestepEmbedding(_ timesteps: [Float], dim: Int, maxPeriod: Float = 10000,
                              downscaleFreqShift: Float = 0) -> Tensor {
    let half = dim / 2
    precondition(half >= 1 && Float(half) - downscaleFreqShift > 0,
                 "timestepEmbedding: dim \(dim) is too small for downscaleFreqShift \(downscaleFreqShift)")
    precondition(maxPeriod > 0, "timestepEmbedding: maxPeriod must be positive, got \(maxPeriod)")
    let logPeriod = Float(-Foundation.log(Double(maxPeriod)))
    let frequencies = (0..<half).map { i in
        Float(Foundation.exp(Double(logPeriod * Float(i) / (Float(half) - downscaleFreqShift))))
    }
    var values = [Float](repeating: 0, count: timesteps.count * dim)   // [B, dim]
    for (b, t) in timesteps.enumerated() {
        for (i, f) in frequencies.enumerated() {
            let angle = Double(t * f)
            values[b * dim + i] = Float(Foundation.cos(angle))
            values[b * dim + half + i] = Float(Foundation.sin(angle))
        }
    }
    return Tensor(values, shape: [timesteps.count, dim])
}

/// DiT's fixed 2D sin-cos position embedding (diffusers/MAE get_2d_sincos_pos_embed, grid of gridSize x gridSize,
/// row-major over (h, w) as patches are ordered) -> [gridSize * gridSize, dim].
///
/// Row p = h · G + w (h the patch row, w the column, as a [B, C, G, G] feature map flattens) holds
///     [sin(w ω_i), cos(w ω_i), sin(h ω_i), cos(h ω_i)],  ω_i = 10000^(-i / (dim/4)),  i in 0..<dim/4,
/// each block dim/4 wide: the first half encodes the column index, the second half the row index
/// (MAE's `emb_h` is computed from the meshgrid's x coordinate). Positions are the integers 0..<G, as
/// in diffusers' PatchEmbed, which passes base_size = G (the function's default base_size of 16
/// would rescale them to i · 16 / G). Computed in Double and rounded, as diffusers does.
/// `dim` must be a multiple of 4. He et al. 2022 (MAE); Peebles & Xie 2023 (DiT).
public func sinCosPositionEmbedding2D(dim: Int, gridSize: Int) -> Tensor {
    precondition(dim > 0 && dim % 4 == 0, "sinCosPositionEmbedding2D: dim must be a positive multiple of 4, got \(dim)")
    precondition(gridSize >= 1, "sinCosPositionEmbedding2D: gridSize must be at least 1, got \(gridSize)")
    let quarter = dim / 4
    let omega = (0..<quarter).map { 1 / Foundation.pow(10000.0, Double($0) / Double(quarter)) }
    var values = [Float](repeating: 0, count: gridSize * gridSize * dim)   // [P, D]
    for h in 0..<gridSize {
        for w in 0..<gridSize {
            let row = (h * gridSize + w) * dim
            for (i, o) in omega.enumerated() {
                values[row + i] = Float(Foundation.sin(Double(w) * o))
                values[row + quarter + i] = Float(Foundation.cos(Double(w) * o))
                values[row + 2 * quarter + i] = Float(Foundation.sin(Double(h) * o))
                values[row + 3 * quarter + i] = Float(Foundation.cos(Double(h) * o))
            }
        }
    }
    return Tensor(values, shape: [gridSize * gridSize, dim])
}
