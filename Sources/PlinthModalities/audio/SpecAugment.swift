import PlinthTensor

/// SpecAugment masking with torchaudio's `TimeMasking` / `FrequencyMasking`
/// semantics, drawn from a seeded `RandomGenerator` (same seed, same masks).
///
/// One mask along `axis` of a spectrogram of size S on that axis
/// (`torchaudio.functional.mask_along_axis`):
///   v = u1 * maskParam,  m = u2 * (S - v)      (u1, u2 uniform in [0, 1))
///   start = floor(m), end = floor(m) + floor(v); entries with start <= i < end get `maskValue`
/// so the width is uniform in [0, maskParam) and the start uniform over the rest.
/// Spectrograms are `[..., M, T]` (M mel bins, T frames, ImageBind and Whisper
/// layout): frequency masks act on axis -2, time masks on axis -1. Leading axes
/// share one mask unless `iidMasks` draws one per leading index, in row-major order.
public struct SpecAugmentMask: Sendable {
    public enum Axis: Sendable { case frequency, time }

    public let axis: Axis
    /// Upper bound (exclusive) of the mask width.
    public let maskParam: Int
    /// Draw an independent mask for each leading index (torchaudio `iid_masks`).
    public let iidMasks: Bool
    /// Time masks only: width is at most floor(p * T) (torchaudio `p`, default 1).
    public let p: Double
    public let maskValue: Float

    public init(axis: Axis, maskParam: Int, iidMasks: Bool = false, p: Double = 1, maskValue: Float = 0) {
        precondition(maskParam >= 0, "SpecAugmentMask: maskParam must be >= 0, got \(maskParam)")
        precondition(p >= 0 && p <= 1, "SpecAugmentMask: p must be in [0, 1], got \(p)")
        precondition(axis == .time || p == 1, "SpecAugmentMask: p applies to time masks only")
        self.axis = axis
        self.maskParam = maskParam
        self.iidMasks = iidMasks
        self.p = p
        self.maskValue = maskValue
    }

    /// torchaudio `FrequencyMasking(freq_mask_param)`.
    public static func frequency(_ maskParam: Int, iidMasks: Bool = false) -> SpecAugmentMask {
        SpecAugmentMask(axis: .frequency, maskParam: maskParam, iidMasks: iidMasks)
    }

    /// torchaudio `TimeMasking(time_mask_param, p=p)`.
    public static func time(_ maskParam: Int, iidMasks: Bool = false, p: Double = 1) -> SpecAugmentMask {
        SpecAugmentMask(axis: .time, maskParam: maskParam, iidMasks: iidMasks, p: p)
    }

    /// Draws one mask `[start, end)` for an axis of `size` entries.
    public func drawRange(size: Int, generator: RandomGenerator) -> Range<Int> {
        var param = Double(maskParam)
        if axis == .time && p < 1 { param = min(param, (Double(size) * p).rounded(.down)) }
        let value = Double(generator.nextFloat()) * param
        let minValue = Double(generator.nextFloat()) * (Double(size) - value)
        let start = max(0, Int(minValue.rounded(.down)))
        let end = min(size, start + Int(value.rounded(.down)))
        return start..<max(start, end)
    }

    /// A masked copy of `spec` (`[..., M, T]`, rank >= 2).
    public func callAsFunction(_ spec: Tensor, generator: RandomGenerator) -> Tensor {
        precondition(spec.rank >= 2, "SpecAugmentMask: need [..., M, T], got \(spec.shape)")
        let out = spec.copy()
        let m = spec.shape[spec.rank - 2], t = spec.shape[spec.rank - 1]
        let lead = spec.count / max(m * t, 1)
        guard m * t > 0 else { return out }
        let size = axis == .frequency ? m : t
        var shared: Range<Int>? = nil
        let o = out.pointer
        for b in 0..<lead {
            let r: Range<Int>
            if iidMasks || shared == nil { r = drawRange(size: size, generator: generator); shared = r } else { r = shared! }
            let base = o + b * m * t
            switch axis {
            case .frequency:
                for i in r { for j in 0..<t { base[i * t + j] = maskValue } }
            case .time:
                for i in 0..<m { for j in r { base[i * t + j] = maskValue } }
            }
        }
        return out
    }
}

/// A SpecAugment policy: `frequencyMasks` masks of width < `frequencyMaskParam`,
/// then `timeMasks` masks of width < `timeMaskParam`, applied in that order
/// (AST fine-tuning uses one of each, freqm 48 and timem 192 on 128 x 1024).
public struct SpecAugment: Sendable {
    public let frequency: SpecAugmentMask
    public let time: SpecAugmentMask
    public let frequencyMasks: Int
    public let timeMasks: Int

    public init(frequencyMaskParam: Int, timeMaskParam: Int, frequencyMasks: Int = 1, timeMasks: Int = 1,
                iidMasks: Bool = false, maskValue: Float = 0) {
        frequency = SpecAugmentMask(axis: .frequency, maskParam: frequencyMaskParam, iidMasks: iidMasks, maskValue: maskValue)
        time = SpecAugmentMask(axis: .time, maskParam: timeMaskParam, iidMasks: iidMasks, maskValue: maskValue)
        self.frequencyMasks = frequencyMasks
        self.timeMasks = timeMasks
    }

    /// A masked copy of `spec` (`[..., M, T]`).
    public func callAsFunction(_ spec: Tensor, generator: RandomGenerator) -> Tensor {
        var x = spec
        for _ in 0..<frequencyMasks { x = frequency(x, generator: generator) }
        for _ in 0..<timeMasks { x = time(x, generator: generator) }
        return x
    }
}
