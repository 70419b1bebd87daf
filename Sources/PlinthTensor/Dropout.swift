extension Tensor {
    /// Zeroes each element with probability `p` and scales the rest by
    /// 1 / (1 - p) (inverted dropout, Srivastava et al. 2014). Identity when
    /// `p` is 0 or `training` is false.
    public func dropout(_ p: Float, training: Bool = true, generator: RandomGenerator = .default) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout: p must be in [0, 1), got \(p)")
        guard training && p > 0 else { return self }
        let mask = Tensor(uninitialized: shape)
        let keep = 1 / (1 - p)
        for i in 0..<count { mask.pointer[i] = generator.nextFloat() < p ? 0 : keep }
        return self * mask
    }
}
