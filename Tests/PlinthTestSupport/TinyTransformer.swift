import PlinthNN

/// A tiny sequence model for regression tests: token embedding + learned
/// positions -> Transformer -> LayerNorm -> Linear to the vocabulary.
/// tokens [B*T] -> logits [B, T, V].
public final class TinyTransformer: Module {
    public let tokenEmbedding: Embedding
    public let positionalEmbedding: Tensor
    public let transformer: Transformer
    public let lnFinal: LayerNorm
    public let head: Linear
    public let dropout: Dropout
    public var isTraining = true

    public init(vocab: Int, length: Int, width: Int, layers: Int, heads: Int, dropout p: Float = 0,
                generator: RandomGenerator) {
        tokenEmbedding = Embedding(vocab, width, generator: generator)
        positionalEmbedding = .randn([length, width], std: 0.1, generator: generator, requiresGrad: true)
        transformer = Transformer(width: width, layers: layers, heads: heads, generator: generator)
        lnFinal = LayerNorm(width)
        head = Linear(width, vocab, generator: generator)
        dropout = Dropout(p, generator: generator)
    }

    public var items: [(String, ModuleItem)] {
        [("token_embedding", .module(tokenEmbedding)), ("positional_embedding", .parameter(positionalEmbedding)),
         ("transformer", .module(transformer)), ("ln_final", .module(lnFinal)), ("head", .module(head))]
    }

    public func callAsFunction(_ tokens: [Int], batch: Int) -> Tensor {
        let t = tokens.count / batch
        let x = tokenEmbedding(tokens, shape: [batch, t]) + positionalEmbedding  // [B, T, D]
        return head(lnFinal(transformer(dropout(x))))                           // [B, T, V]
    }
}

/// Sequence reversal: inputs of `length` random tokens, targets reversed.
public func reversalBatch(batch: Int, length: Int, vocab: Int, generator: RandomGenerator) -> (inputs: [Int], targets: [Int]) {
    var inputs: [Int] = [], targets: [Int] = []
    for _ in 0..<batch {
        let seq = (0..<length).map { _ in generator.nextInt(below: vocab) }
        inputs += seq
        targets += seq.reversed()
    }
    return (inputs, targets)
}
