import PlinthNN
import PlinthTestSupport
import XCTest

/// One open_clip ResidualAttentionBlock against PyTorch, forward and every
/// gradient (Tests/Fixtures/residual_block.safetensors).
final class ResidualBlockGoldenTests: XCTestCase {
    func testMatchesPyTorch() throws {
        let file = try Fixtures.open("residual_block.safetensors")
        let block = ResidualAttentionBlock(32, heads: 4)
        let params = try file.tensors(prefix: "params.")
        XCTAssertEqual(Set(block.stateDict().keys), Set(params.keys), "key set equals PyTorch's")
        try block.load(stateDict: params)

        for variant in ["plain", "causal"] {
            block.zeroGrad()
            let x = try file.tensor("x")
            x.requiresGrad = true
            let y = block(x, mask: variant == "causal" ? Tensor.causalMask(7) : nil)
            XCTAssertLessThanOrEqual(maxAbsDifference(y, try file.tensor("\(variant).out")), 2e-5, variant)
            y.backward(try file.tensor("gout"))
            XCTAssertLessThanOrEqual(maxAbsDifference(x.grad!, try file.tensor("\(variant).grad.x")), 1e-4, "\(variant) dx")
            for (key, p) in block.namedParameters() {
                let want = try file.tensor("\(variant).grad.\(key)")
                XCTAssertLessThanOrEqual(maxAbsDifference(p.grad!, want), 1e-4, "\(variant) d\(key)")
            }
        }
        // The causal flag and the explicit additive mask agree.
        let x = try file.tensor("x")
        XCTAssertLessThanOrEqual(maxAbsDifference(block(x, causal: true), block(x, mask: Tensor.causalMask(7))), 1e-6)
    }
}
