import PlinthTensor
import XCTest

final class AutogradTests: XCTestCase {
    func testReuseAccumulatesAndBackwardAddsToGrad() {
        let x = Tensor([1, 2, 3], shape: [3], requiresGrad: true)
        let y = (x * x + x).sum()  // dy/dx = 2x + 1
        y.backward()
        XCTAssertEqual(x.grad!.toArray(), [3, 5, 7])
        (x * 2).sum().backward()  // accumulates across calls
        XCTAssertEqual(x.grad!.toArray(), [5, 7, 9])
        x.zeroGrad()
        XCTAssertNil(x.grad)
    }

    func testUpstreamGradientAndBroadcastReduction() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], requiresGrad: true)
        let b = Tensor([10, 20, 30], shape: [3], requiresGrad: true)
        (a * b).backward(Tensor.ones([2, 3]) * 2)
        XCTAssertEqual(a.grad!.toArray(), [20, 40, 60, 20, 40, 60])
        XCTAssertEqual(b.grad!.toArray(), [10, 14, 18])
    }

    func testSharedGradientIsNotAliased() {
        // add returns the same gradient tensor for both inputs; each leaf must own its copy.
        let a = Tensor.ones([2], requiresGrad: true), b = Tensor.ones([2], requiresGrad: true)
        (a + b).sum().backward()
        a.grad!.addInPlace(Tensor.ones([2]))
        XCTAssertEqual(b.grad!.toArray(), [1, 1])
    }

    func testNoGradDetachAndViews() {
        let x = Tensor([1, 2, 3, 4], shape: [2, 2], requiresGrad: true)
        let y = withNoGrad { x * 3 }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(Autograd.isEnabled)
        XCTAssertFalse(x.detach().requiresGrad)
        // A gradient through a transposed, sliced view lands in the right places.
        x.T.narrow(0, 1, 1).sum().backward()  // second row of x^T = second column of x
        XCTAssertEqual(x.grad!.toArray(), [0, 1, 0, 1])
    }

    func testGraphIsFreedUnlessRetained() {
        let x = Tensor([2], shape: [1], requiresGrad: true)
        let y = (x * x).sum()
        y.backward(retainGraph: true)
        y.backward()
        XCTAssertEqual(x.grad!.toArray(), [8])
    }

    func testViewsShareStorage() {
        let x = Tensor.arange(0, 12).reshape([3, 4])
        let t = x.T
        XCTAssertEqual(t.shape, [4, 3])
        XCTAssertFalse(t.isContiguous)
        XCTAssertTrue(t.storage === x.storage)
        XCTAssertEqual(t.contiguous().toArray(), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        XCTAssertEqual(x.narrow(1, 1, 2).toArray(), [1, 2, 5, 6, 9, 10])
        XCTAssertEqual(Tensor([1, 2], shape: [2, 1]).expand([2, 3]).toArray(), [1, 1, 1, 2, 2, 2])
        XCTAssertEqual(x.permute([1, 0]).reshape([-1]).toArray(), t.contiguous().toArray())
    }

    func testReshapeKeepsViewsWhenStridesAllow() {
        let x = Tensor.arange(0, 24).reshape([2, 3, 4])
        let slice = x.narrow(2, 1, 2)                     // [2, 3, 2], not contiguous
        let unsqueezed = slice.unsqueeze(1).squeeze(1)
        XCTAssertTrue(unsqueezed.storage === x.storage)
        let merged = x.narrow(0, 1, 1).reshape([3, 4])    // dense run: still a view
        XCTAssertTrue(merged.storage === x.storage)
        XCTAssertEqual(merged.toArray(), Array(12..<24).map(Float.init))
        let copied = x.transpose(1, 2).reshape([2, 12])   // no view possible: a copy with the right order
        XCTAssertFalse(copied.storage === x.storage)
        XCTAssertEqual(copied.toArray().prefix(4), [0, 4, 8, 1])
    }

    func testPackedSelfAttentionMatchesHeadViews() {
        let (b, t, h, e) = (2, 5, 3, 4)
        let qkv = Tensor.randn([b, t, 3 * h * e], generator: RandomGenerator(seed: 8))
        let heads = qkv.reshape([b, t, 3, h, e]).permute([2, 0, 3, 1, 4])      // [3, B, H, T, E]
        let (q, k, v) = (heads.narrow(0, 0, 1).squeeze(0), heads.narrow(0, 1, 1).squeeze(0), heads.narrow(0, 2, 1).squeeze(0))
        let reference = Tensor.scaledDotProductAttention(q, k, v, causal: true).transpose(1, 2).reshape([b, t, h * e])
        let packed = Tensor.selfAttention(packed: qkv, heads: h, causal: true)
        XCTAssertLessThanOrEqual(zip(reference.toArray(), packed.toArray()).map { abs($0 - $1) }.max()!, 1e-6)
    }

    func testCreationAndDeterminism() {
        XCTAssertEqual(Tensor.eye(2).toArray(), [1, 0, 0, 1])
        XCTAssertEqual(Tensor.arange(1, 2, step: 0.25).toArray(), [1, 1.25, 1.5, 1.75])
        XCTAssertEqual(Tensor.full([2], 7).toArray(), [7, 7])
        let a = Tensor.randn([1000], generator: RandomGenerator(seed: 5))
        let b = Tensor.randn([1000], generator: RandomGenerator(seed: 5))
        XCTAssertEqual(a.toArray(), b.toArray())
        XCTAssertEqual(a.mean().item(), 0, accuracy: 0.1)
        XCTAssertEqual(a.variance(dim: 0).item(), 1, accuracy: 0.15)
        let u = Tensor.rand([1000], low: 2, high: 3, generator: RandomGenerator(seed: 1)).toArray()
        XCTAssertTrue(u.allSatisfy { $0 >= 2 && $0 < 3 })
        let g = RandomGenerator(seed: 9)
        let saved = g.state
        let first = g.next()
        g.state = saved
        XCTAssertEqual(g.next(), first)
    }

    func testInvariants() {
        let x = Tensor.randn([4, 7], generator: RandomGenerator(seed: 2))
        for row in x.softmax().sum(dim: 1).toArray() { XCTAssertEqual(row, 1, accuracy: 1e-6) }
        let bias = Tensor([0.5, -1, 2, 0, 0, 0, 1], shape: [7])
        let y = Tensor.layerNorm(x, weight: Tensor.ones([7]), bias: bias)
        XCTAssertEqual(y.mean(dim: 1).toArray().reduce(0, +) / 4, bias.mean().item(), accuracy: 1e-5)
        XCTAssertEqual(x.logSoftmax().exp().sum(dim: 1).toArray()[0], 1, accuracy: 1e-5)
        // Large inputs stay finite (max-subtracted).
        XCTAssertFalse(Tensor([1000, 1001], shape: [1, 2]).softmax().toArray().contains { $0.isNaN })
    }

    func testReleasedBuffersAreReused() {
        var first: UnsafeMutablePointer<Float>?
        do { first = Storage(count: 12345).pointer }
        XCTAssertEqual(Storage(count: 12345).pointer, first, "a released buffer of the same size comes back")
    }

    func testThreadCountDoesNotChangeElementwiseResults() {
        let x = Tensor.randn([300_000], generator: RandomGenerator(seed: 4))
        let before = Threads.count
        let multi = x.gelu().toArray()
        Threads.setCount(1)
        let single = x.gelu().toArray()
        Threads.setCount(before)
        XCTAssertEqual(multi, single)
    }
}
