import Foundation

/// An n-dimensional array of Float32 values: storage plus shape, strides and offset.
///
/// Reshape, transpose, permute, slicing and expand return views that share the
/// storage. Kernels that need a dense row-major layout call `contiguous()`.
/// A tensor with `requiresGrad` records the operations applied to it (see
/// `Autograd.swift`) so that `backward()` can compute gradients.
///
/// Shapes are `[Int]`, outermost first; a scalar has shape `[]`.
public final class Tensor: @unchecked Sendable {
    public let storage: Storage
    public let shape: [Int]
    public let strides: [Int]
    public let offset: Int

    /// Whether gradients flow to this tensor. Set it on leaves (parameters,
    /// inputs); results of operations inherit it from their inputs.
    public var requiresGrad: Bool
    /// The accumulated gradient of a leaf after `backward()`.
    public var grad: Tensor?
    /// The recorded operation that produced this tensor, if any.
    var node: Node?

    public init(storage: Storage, shape: [Int], strides: [Int]? = nil, offset: Int = 0, requiresGrad: Bool = false) {
        let strides = strides ?? Tensor.contiguousStrides(shape)
        precondition(strides.count == shape.count, "Tensor: \(strides.count) strides for shape \(shape)")
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.requiresGrad = requiresGrad
    }

    /// An uninitialized contiguous tensor.
    public convenience init(uninitialized shape: [Int]) {
        self.init(storage: Storage(count: Tensor.count(shape)), shape: shape)
    }

    /// A contiguous tensor holding `values` in row-major order.
    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        precondition(values.count == Tensor.count(shape),
                     "Tensor: \(values.count) values for shape \(shape) (\(Tensor.count(shape)) elements)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
        self.requiresGrad = requiresGrad
    }

    /// A scalar (shape `[]`).
    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    public var rank: Int { shape.count }
    public var count: Int { Tensor.count(shape) }

    public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { strides[i] = s; s *= shape[i] }
        return strides
    }

    /// True when the elements are dense and row-major from `offset`.
    public var isContiguous: Bool {
        var expected = 1
        for i in stride(from: rank - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// The first element of a view.
    public var pointer: UnsafeMutablePointer<Float> { storage.pointer + offset }

    /// Normalizes a possibly negative axis.
    public func axis(_ a: Int) -> Int {
        let r = a < 0 ? a + rank : a
        precondition(r >= 0 && r < Swift.max(rank, 1), "axis \(a) out of range for shape \(shape)")
        return r
    }

    /// The values in row-major order.
    public func toArray() -> [Float] {
        let c = contiguousData()
        return Array(UnsafeBufferPointer(start: c.pointer, count: c.count))
    }

    /// The single value of a one-element tensor.
    public func item() -> Float {
        precondition(count == 1, "item(): tensor of shape \(shape) has \(count) elements")
        return pointer[0]
    }

    /// A contiguous tensor with the same values, without recording autograd
    /// (self when already contiguous).
    func contiguousData() -> Tensor {
        if isContiguous { return self }
        let out = Tensor(uninitialized: shape)
        stridedCopy(shape: shape, from: pointer, strides: strides, to: out.pointer, strides: out.strides)
        return out
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = toArray()
        let shown = values.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(values.count > 8 ? ", ..." : "")])"
    }
}

/// Copies the elements of a strided layout into another strided layout of the
/// same shape. Dimensions that are mergeable on both sides are merged first, so
/// dense blocks become single runs.
func stridedCopy(shape: [Int], from src: UnsafePointer<Float>, strides ss: [Int],
                 to dst: UnsafeMutablePointer<Float>, strides ds: [Int]) {
    var dims: [(n: Int, s: Int, d: Int)] = []
    for i in shape.indices where shape[i] != 1 {
        if let last = dims.last, last.s == ss[i] * shape[i], last.d == ds[i] * shape[i] {
            dims[dims.count - 1] = (last.n * shape[i], ss[i], ds[i])
        } else {
            dims.append((shape[i], ss[i], ds[i]))
        }
    }
    if shape.contains(0) { return }
    guard let inner = dims.popLast() else { dst[0] = src[0]; return }
    let outerCount = dims.reduce(1) { $0 * $1.n }
    let copyRun: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void =
        inner.s == 1 && inner.d == 1
        ? { s, d in d.update(from: s, count: inner.n) }
        : { s, d in for k in 0..<inner.n { d[k * inner.d] = s[k * inner.s] } }
    let grain = Swift.max(1, 65536 / Swift.max(inner.n, 1))
    let srcAddr = UInt(bitPattern: src), dstAddr = UInt(bitPattern: dst)
    Threads.parallelFor(outerCount, grain: grain) { range in
        for o in range {
            var rem = o, so = 0, dof = 0
            for dim in dims.reversed() {
                let idx = rem % dim.n
                rem /= dim.n
                so += idx * dim.s
                dof += idx * dim.d
            }
            copyRun(UnsafePointer(bitPattern: srcAddr)! + so, UnsafeMutablePointer(bitPattern: dstAddr)! + dof)
        }
    }
}
