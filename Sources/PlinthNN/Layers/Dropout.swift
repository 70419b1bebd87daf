/// Inverted dropout, active only in training mode.
public final class Dropout: StatelessModule {
    public let p: Float
    public var isTraining = true
    public let generator: RandomGenerator

    public init(_ p: Float, generator: RandomGenerator = .default) {
        self.p = p
        self.generator = generator
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.dropout(p, training: isTraining, generator: generator) }
}
