// Legend: I input features, O output features, r rank.

/// A low-rank update of a frozen weight W [O, I] (LoRA, Hu et al. 2021), with
/// PEFT's keys `lora_A.weight` [r, I] and `lora_B.weight` [O, r].
///
/// The adapted map is y = x W^T + b + scale * (x A^T) B^T with
/// scale = alpha / r, i.e. W' = W + delta, delta = scale * B A [O, I].
/// As in PEFT, A starts Kaiming-uniform with a = sqrt(5) (U(-1/sqrt(I), 1/sqrt(I)))
/// and B at zero, so an adapted layer starts out equal to its base.
///
/// A host layer (``Linear/lora``, ``MultiheadAttention/inProjLoRA``) calls
/// ``adding(to:input:outputs:)``, which adds the update only while the adapter
/// is not merged. `merge(into:)` folds delta into the host weight for
/// inference; `unmerge(from:)` takes it out again. Do not step an optimizer
/// on A or B while merged: unmerge subtracts the current delta.
public final class LoRA: Module {
    /// `lora_A.weight` [r, I].
    public let loraA: Tensor
    /// `lora_B.weight` [O, r].
    public let loraB: Tensor
    public let alpha: Float
    /// Whether delta is currently folded into the host weight.
    public private(set) var isMerged = false
    public var isTraining = true

    /// A fresh adapter for a weight [outFeatures, inFeatures]: A Kaiming-uniform, B zero.
    public init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Float, generator: RandomGenerator = .default) {
        precondition(rank > 0 && inFeatures > 0 && outFeatures > 0,
                     "LoRA: rank \(rank), in \(inFeatures), out \(outFeatures) must all be positive")
        loraA = .zeros([rank, inFeatures], requiresGrad: true)
        Init.kaimingUniform(loraA, a: Float(5).squareRoot(), generator: generator)
        loraB = .zeros([outFeatures, rank], requiresGrad: true)
        self.alpha = alpha
    }

    /// An adapter around given tensors A [r, I] and B [O, r] (used as is, not copied).
    public init(loraA: Tensor, loraB: Tensor, alpha: Float) {
        precondition(loraA.rank == 2 && loraB.rank == 2 && loraB.shape[1] == loraA.shape[0],
                     "LoRA: lora_A \(loraA.shape) and lora_B \(loraB.shape) are not [r, I] and [O, r]")
        self.loraA = loraA
        self.loraB = loraB
        self.alpha = alpha
    }

    public var items: [(String, ModuleItem)] {
        [("lora_A.weight", .parameter(loraA)), ("lora_B.weight", .parameter(loraB))]
    }

    public var rank: Int { loraA.shape[0] }
    public var inFeatures: Int { loraA.shape[1] }
    public var outFeatures: Int { loraB.shape[0] }
    /// alpha / rank, the factor on B A.
    public var scale: Float { alpha / Float(rank) }

    /// The update's output, whether merged or not: x [..., I] -> scale * (x A^T) B^T [..., O].
    ///
    /// `outputs` selects rows of B (output features), giving [..., outputs.count]:
    /// the update of the weight rows `outputs` alone, as a packed projection's
    /// q, k or v slice needs.
    public func callAsFunction(_ x: Tensor, outputs: Range<Int>? = nil) -> Tensor {
        let b = outputs.map { loraB.slice(0, $0) } ?? loraB                     // [O', r]
        return Tensor.linear(Tensor.linear(x, loraA, nil) * scale, b, nil)       // [..., O']
    }

    /// `base + self(x, outputs:)` while unmerged; `base` unchanged while merged
    /// (the host weight already carries delta).
    public func adding(to base: Tensor, input x: Tensor, outputs: Range<Int>? = nil) -> Tensor {
        isMerged ? base : base + self(x, outputs: outputs)
    }

    /// delta = scale * B A [O, I], not recorded.
    public var delta: Tensor {
        withNoGrad { Tensor.matmul(loraB, loraA) * scale }
    }

    /// Adds delta to `weight` [O, I] in place (not recorded) and marks the adapter merged.
    public func merge(into weight: Tensor) {
        precondition(!isMerged, "LoRA.merge: the adapter is already merged; unmerge it before merging again")
        checkHost(weight, "merge")
        withNoGrad { weight.addInPlace(delta) }
        isMerged = true
    }

    /// Subtracts delta from `weight` [O, I] in place (not recorded) and marks the adapter unmerged.
    public func unmerge(from weight: Tensor) {
        precondition(isMerged, "LoRA.unmerge: the adapter is not merged")
        checkHost(weight, "unmerge")
        withNoGrad { weight.addInPlace(delta, alpha: -1) }
        isMerged = false
    }

    private func checkHost(_ weight: Tensor, _ op: String) {
        precondition(weight.shape == [outFeatures, inFeatures],
                     "LoRA.\(op): weight \(weight.shape) does not fit an adapter for [\(outFeatures), \(inFeatures)]")
    }
}
