import Foundation

/// A seeded pseudo-random generator (xoshiro256**), the single source of
/// randomness for initialization, dropout, shuffling and augmentation.
///
/// Not thread-safe: use one generator per thread. Its `state` can be saved in a
/// checkpoint and restored for exact resume.
public final class RandomGenerator: @unchecked Sendable {
    /// The process-wide default generator (seed 0 until reseeded).
    public static let `default` = RandomGenerator(seed: 0)

    public var state: [UInt64] {
        get { [s0, s1, s2, s3] }
        set {
            precondition(newValue.count == 4 && newValue.contains { $0 != 0 },
                         "RandomGenerator: state must be 4 words, not all zero")
            (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    private var s0: UInt64 = 0, s1: UInt64 = 0, s2: UInt64 = 0, s3: UInt64 = 0

    public init(seed: UInt64) { self.seed(seed) }

    /// Resets the generator; the state is expanded from the seed by SplitMix64.
    public func seed(_ seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        (s0, s1, s2, s3) = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    public func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform integer in `0..<bound` (bound > 0), without modulo bias.
    public func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "RandomGenerator.nextInt: bound must be positive")
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        var r = next()
        while r >= limit { r = next() }
        return Int(r % b)
    }

    /// Fills `buffer` with standard normal values (Box-Muller on pairs, in double).
    public func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1) {
        var i = 0
        while i < buffer.count {
            let u1 = (Double(next() >> 11) + 1) * 0x1p-53  // (0, 1]: log stays finite
            let u2 = Double(next() >> 11) * 0x1p-53
            let r = (-2 * log(u1)).squareRoot()
            let theta = 2 * Double.pi * u2
            buffer[i] = mean + std * Float(r * cos(theta))
            if i + 1 < buffer.count { buffer[i + 1] = mean + std * Float(r * sin(theta)) }
            i += 2
        }
    }

    /// Fills `buffer` with uniform values in [low, high).
    public func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float = 0, high: Float = 1) {
        for i in buffer.indices { buffer[i] = low + (high - low) * nextFloat() }
    }

    /// A random permutation of `0..<n` (Fisher-Yates).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 { for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, nextInt(below: i + 1)) } }
        return p
    }
}


/// Lets the standard library's random APIs (`Float.random(in:using:)`, `shuffled(using:)`) draw from it.
extension RandomGenerator: RandomNumberGenerator {}
