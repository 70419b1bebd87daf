import PlinthKernels

typealias BinaryKernel = (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int64) -> Void
typealias UnaryKernel = (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int64) -> Void

/// Elements per parallel chunk for memory-bound kernels.
let elementGrain = 1 << 15

extension Tensor {
    /// The broadcast of two shapes (NumPy rules), or a trap naming both.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let n = Swift.max(a.count, b.count)
        return (0..<n).map { i in
            let x = i < n - a.count ? 1 : a[i - (n - a.count)]
            let y = i < n - b.count ? 1 : b[i - (n - b.count)]
            precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
            return x == 1 ? y : x
        }
    }

    /// Sums a broadcast gradient back down to `target` (the inverse of expand).
    public func sumTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        var dims = Array(0..<lead)
        for i in target.indices where target[i] == 1 && shape[lead + i] != 1 { dims.append(lead + i) }
        let reduced = dims.isEmpty ? self : sum(dims: dims, keepdim: true)
        return reduced.reshape(target)
    }

    /// Applies a same-shape kernel to contiguous operands, in parallel chunks.
    static func map(_ a: Tensor, _ b: Tensor, _ kernel: BinaryKernel) -> Tensor {
        let a = a.contiguousData(), b = b.contiguousData()
        let out = Tensor(uninitialized: a.shape)
        let (pa, pb, po) = (a.pointer, b.pointer, out.pointer)
        Threads.parallelFor(out.count, grain: elementGrain) { r in
            kernel(pa + r.lowerBound, pb + r.lowerBound, po + r.lowerBound, Int64(r.count))
        }
        return out
    }

    func map(_ kernel: UnaryKernel) -> Tensor {
        let a = contiguousData()
        let out = Tensor(uninitialized: shape)
        let (pa, po) = (a.pointer, out.pointer)
        Threads.parallelFor(count, grain: elementGrain) { r in
            kernel(pa + r.lowerBound, po + r.lowerBound, Int64(r.count))
        }
        return out
    }

    /// Broadcasting forward of a binary kernel. A contiguous operand that
    /// matches a suffix of the result (a bias row) is applied row by row
    /// without being materialized.
    static func broadcastForward(_ a: Tensor, _ b: Tensor, _ kernel: BinaryKernel) -> Tensor {
        let shape = broadcastShape(a.shape, b.shape)
        if a.shape == shape && b.shape == shape { return map(a, b, kernel) }
        func isRow(_ t: Tensor) -> Bool {
            let s = Array(t.shape.drop { $0 == 1 })
            return t.isContiguous && t.count > 1 && Array(shape.suffix(s.count)) == s
        }
        if a.shape == shape, isRow(b) || isRow(a) && b.shape == shape {
            let full = (a.shape == shape ? a : b).contiguousData(), row = a.shape == shape ? b : a
            let m = row.count
            let out = Tensor(uninitialized: shape)
            let (pf, pr, po, rowIsB) = (full.pointer, row.pointer, out.pointer, row === b)
            Threads.parallelFor(out.count / m, grain: Swift.max(1, elementGrain / m)) { rows in
                for i in rows {
                    if rowIsB { kernel(pf + i * m, pr, po + i * m, Int64(m)) }
                    else { kernel(pr, pf + i * m, po + i * m, Int64(m)) }
                }
            }
            return out
        }
        return map(a.expandView(shape), b.expandView(shape), kernel)
    }

    /// Fills every element with `value` (not recorded).
    public func fill(_ value: Float) {
        if isContiguous {
            let p = pointer
            Threads.parallelFor(count, grain: elementGrain) { r in pk_fill(p + r.lowerBound, value, Int64(r.count)) }
        } else {
            assign(Tensor.full([], value))
        }
    }

    /// self += other (broadcast to self's shape), in place, not recorded.
    /// Self must be contiguous.
    public func addInPlace(_ other: Tensor, alpha: Float = 1) {
        precondition(isContiguous, "addInPlace: target of shape \(shape) is not contiguous")
        let o = (other.shape == shape ? other : other.expandView(shape)).contiguousData()
        let (po, ps) = (o.pointer, pointer)
        Threads.parallelFor(count, grain: elementGrain) { r in
            pk_axpy(alpha, po + r.lowerBound, ps + r.lowerBound, Int64(r.count))
        }
    }
}

// MARK: - Tensor-tensor arithmetic

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return broadcastForward(a, b, pk_add).recorded("add", [a, b]) { g in [g.sumTo(sa), g.sumTo(sb)] }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return broadcastForward(a, b, pk_sub).recorded("sub", [a, b]) { g in [g.sumTo(sa), (-g).sumTo(sb)] }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        broadcastForward(a, b, pk_mul).recorded("mul", [a, b]) { g in
            [a.requiresGrad ? (g * b).sumTo(a.shape) : nil, b.requiresGrad ? (g * a).sumTo(b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        broadcastForward(a, b, pk_div).recorded("div", [a, b]) { g in
            let gb = g / b
            return [a.requiresGrad ? gb.sumTo(a.shape) : nil, b.requiresGrad ? (-(gb * a) / b).sumTo(b.shape) : nil]
        }
    }

    /// Elementwise maximum; the gradient goes to the larger input (to `b` on ties).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        broadcastForward(a, b, pk_maximum).recorded("maximum", [a, b]) { g in
            let mask = a.gt(b)
            return [(g * mask).sumTo(a.shape), (g * (1 - mask)).sumTo(b.shape)]
        }
    }

    /// Elementwise minimum; the gradient goes to the smaller input (to `b` on ties).
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
        broadcastForward(a, b, pk_minimum).recorded("minimum", [a, b]) { g in
            let mask = a.lt(b)
            return [(g * mask).sumTo(a.shape), (g * (1 - mask)).sumTo(b.shape)]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        a.map(pk_neg).recorded("neg", [a]) { g in [-g] }
    }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
}

// MARK: - Tensor-scalar arithmetic

extension Tensor {
    func mapScalar(_ s: Float, _ kernel: (UnsafePointer<Float>?, Float, UnsafeMutablePointer<Float>?, Int64) -> Void) -> Tensor {
        let a = contiguousData()
        let out = Tensor(uninitialized: shape)
        let (pa, po) = (a.pointer, out.pointer)
        Threads.parallelFor(count, grain: elementGrain) { r in
            kernel(pa + r.lowerBound, s, po + r.lowerBound, Int64(r.count))
        }
        return out
    }

    public static func + (a: Tensor, s: Float) -> Tensor {
        a.mapScalar(s, pk_add_scalar).recorded("add_scalar", [a]) { g in [g] }
    }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

    public static func - (s: Float, a: Tensor) -> Tensor {
        a.mapScalar(s, pk_rsub_scalar).recorded("rsub_scalar", [a]) { g in [-g] }
    }

    public static func * (a: Tensor, s: Float) -> Tensor {
        a.mapScalar(s, pk_mul_scalar).recorded("mul_scalar", [a]) { g in [g * s] }
    }
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    public static func / (s: Float, a: Tensor) -> Tensor {
        let y = a.mapScalar(s, pk_rdiv_scalar)
        return y.recorded("rdiv_scalar", [a]) { g in [-(g * y) / a] }
    }
}

// MARK: - Unary math

extension Tensor {
    public func exp() -> Tensor {
        let y = map(pk_exp)
        return y.recorded("exp", [self]) { g in [g * y] }
    }

    public func log() -> Tensor {
        map(pk_log).recorded("log", [self]) { g in [g / self] }
    }

    public func sqrt() -> Tensor {
        let y = map(pk_sqrt)
        return y.recorded("sqrt", [self]) { g in [(g / y) * 0.5] }
    }

    public func rsqrt() -> Tensor {
        let y = map(pk_rsqrt)
        return y.recorded("rsqrt", [self]) { g in [g * (y * y * y) * -0.5] }
    }

    public func tanh() -> Tensor {
        let y = map(pk_tanh)
        return y.recorded("tanh", [self]) { g in [Tensor.map(y, g, pk_tanh_backward)] }
    }

    public func sigmoid() -> Tensor {
        let y = map(pk_sigmoid)
        return y.recorded("sigmoid", [self]) { g in [Tensor.map(y, g, pk_sigmoid_backward)] }
    }

    public func relu() -> Tensor {
        map(pk_relu).recorded("relu", [self]) { g in [Tensor.map(self, g, pk_relu_backward)] }
    }

    /// GELU, `x * Φ(x)` with the exact erf form, or the tanh approximation.
    public func gelu(approximateTanh: Bool = false) -> Tensor {
        if approximateTanh {
            return map(pk_gelu_tanh).recorded("gelu_tanh", [self]) { g in [Tensor.map(self, g, pk_gelu_tanh_backward)] }
        }
        return map(pk_gelu_erf).recorded("gelu", [self]) { g in [Tensor.map(self, g, pk_gelu_erf_backward)] }
    }

    /// SiLU (swish): `x * sigmoid(x)`.
    public func silu() -> Tensor {
        map(pk_silu).recorded("silu", [self]) { g in [Tensor.map(self, g, pk_silu_backward)] }
    }

    public func abs() -> Tensor {
        map(pk_abs).recorded("abs", [self]) { g in [g * self.sign()] }
    }

    /// -1, 0 or 1 per element (no gradient).
    public func sign() -> Tensor {
        elementwise { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
    }

    /// `x^p` elementwise for a scalar exponent.
    public func pow(_ p: Float) -> Tensor {
        mapScalar(p, pk_pow_scalar).recorded("pow", [self]) { g in [g * self.pow(p - 1) * p] }
    }

    public func square() -> Tensor { self * self }

    /// Clamps to [low, high]; the gradient passes where the input is inside.
    public func clamp(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        let a = contiguousData()
        let out = Tensor(uninitialized: shape)
        let (pa, po) = (a.pointer, out.pointer)
        Threads.parallelFor(count, grain: elementGrain) { r in
            pk_clamp(pa + r.lowerBound, low, high, po + r.lowerBound, Int64(r.count))
        }
        return out.recorded("clamp", [self]) { g in
            [g * self.elementwise { $0 >= low && $0 <= high ? 1 : 0 }]
        }
    }

    /// Applies a scalar function to every element (no gradient; not for hot paths).
    public func elementwise(_ f: (Float) -> Float) -> Tensor {
        let a = contiguousData()
        let out = Tensor(uninitialized: shape)
        for i in 0..<count { out.pointer[i] = f(a.pointer[i]) }
        return out
    }
}

// MARK: - Comparisons and selection (no gradient through the condition)

extension Tensor {
    static func compare(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Bool) -> Tensor {
        let shape = broadcastShape(a.shape, b.shape)
        let x = a.expandView(shape).contiguousData(), y = b.expandView(shape).contiguousData()
        let out = Tensor(uninitialized: shape)
        for i in 0..<out.count { out.pointer[i] = f(x.pointer[i], y.pointer[i]) ? 1 : 0 }
        return out
    }

    /// 1 where self > other, else 0.
    public func gt(_ other: Tensor) -> Tensor { Tensor.compare(self, other, >) }
    public func ge(_ other: Tensor) -> Tensor { Tensor.compare(self, other, >=) }
    public func lt(_ other: Tensor) -> Tensor { Tensor.compare(self, other, <) }
    public func le(_ other: Tensor) -> Tensor { Tensor.compare(self, other, <=) }
    public func eq(_ other: Tensor) -> Tensor { Tensor.compare(self, other, ==) }
    public func gt(_ s: Float) -> Tensor { gt(Tensor(scalar: s)) }
    public func lt(_ s: Float) -> Tensor { lt(Tensor(scalar: s)) }
    public func eq(_ s: Float) -> Tensor { eq(Tensor(scalar: s)) }

    /// `a` where `condition` is non-zero, else `b` (all three broadcast).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = broadcastShape(condition.shape, broadcastShape(a.shape, b.shape))
        let c = condition.expandView(shape).contiguousData()
        let x = a.expandView(shape).contiguousData(), y = b.expandView(shape).contiguousData()
        let out = Tensor(uninitialized: shape)
        for i in 0..<out.count { out.pointer[i] = c.pointer[i] != 0 ? x.pointer[i] : y.pointer[i] }
        return out.recorded("where", [a, b]) { g in
            let mask = c.ne0()
            return [(g * mask).sumTo(a.shape), (g * (1 - mask)).sumTo(b.shape)]
        }
    }

    func ne0() -> Tensor { elementwise { $0 != 0 ? 1 : 0 } }
}
