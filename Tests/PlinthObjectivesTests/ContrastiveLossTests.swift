import Foundation
import PlinthNN
import PlinthObjectives
import PlinthTestSupport
import XCTest

final class ContrastiveLossTests: XCTestCase {
    let generator = RandomGenerator(seed: 3)

    func testSymmetricInArguments() {
        let a = Tensor.randn([6, 8], generator: generator), b = Tensor.randn([6, 8], generator: generator)
        let s = Tensor(scalar: 2.5)
        XCTAssertEqual(contrastiveLoss(a, b, logitScale: s).item(), contrastiveLoss(b, a, logitScale: s).item(), accuracy: 1e-6)
    }

    func testMatchesDirectFormula() {
        let a = Tensor.randn([4, 5], generator: generator), b = Tensor.randn([4, 5], generator: generator)
        let (x, y) = (a.toArray(), b.toArray())
        func unit(_ v: ArraySlice<Float>) -> [Double] {
            let n = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            return v.map { Double($0) / n }
        }
        let ua = (0..<4).map { unit(x[$0 * 5..<($0 + 1) * 5]) }, ub = (0..<4).map { unit(y[$0 * 5..<($0 + 1) * 5]) }
        let scale = 10.0
        let logits = ua.map { r in ub.map { c in scale * zip(r, c).reduce(0) { $0 + $1.0 * $1.1 } } }
        func ce(_ rows: [[Double]]) -> Double {
            rows.enumerated().reduce(0) { acc, e in
                acc - (e.element[e.offset] - Foundation.log(e.element.reduce(0) { $0 + Foundation.exp($1) }))
            } / Double(rows.count)
        }
        let transposed = (0..<4).map { j in (0..<4).map { i in logits[i][j] } }
        let expected = (ce(logits) + ce(transposed)) / 2
        let loss = contrastiveLoss(a, b, logitScale: Tensor(scalar: Float(Foundation.log(scale)))).item()
        XCTAssertEqual(Double(loss), expected, accuracy: 1e-5)
    }

    func testPerfectAlignmentGivesLowLossAtHighScale() {
        let a = Tensor.eye(5)
        XCTAssertLessThan(contrastiveLoss(a, a, logitScale: Tensor(scalar: maximumLogitScale)).item(), 1e-6)
    }

    func testGradientCheck() {
        let a = Tensor.randn([4, 6], generator: generator), b = Tensor.randn([4, 6], generator: generator)
        let result = gradientCheck([a, b, Tensor(scalar: 1.2)]) { contrastiveLoss($0[0], $0[1], logitScale: $0[2]) }
        XCTAssertTrue(result.passed, "\(result)")
    }

    func testLocalRowsAverageToTheFullLoss() {
        let a = Tensor.randn([6, 8], generator: generator), b = Tensor.randn([6, 8], generator: generator)
        let s = Tensor(scalar: 2)
        let full = contrastiveLoss(a, b, logitScale: s).item()
        XCTAssertEqual(contrastiveLoss(a, b, logitScale: s, rows: Array(0..<6)).item(), full, accuracy: 1e-5)
        // Two "ranks" with three anchor rows each, as the local loss splits a gathered batch.
        let halves = contrastiveLoss(a, b, logitScale: s, rows: [0, 1, 2]).item() + contrastiveLoss(a, b, logitScale: s, rows: [3, 4, 5]).item()
        XCTAssertEqual(halves / 2, full, accuracy: 1e-5)
    }

    func testLocalRowsGradientCheck() {
        let a = Tensor.randn([5, 6], generator: generator), b = Tensor.randn([5, 6], generator: generator)
        let result = gradientCheck([a, b, Tensor(scalar: 1.2)]) { contrastiveLoss($0[0], $0[1], logitScale: $0[2], rows: [3, 1]) }
        XCTAssertTrue(result.passed, "\(result)")
    }

    func testClampLogitScale() {
        let s = Tensor(scalar: 7)
        clampLogitScale(s)
        XCTAssertEqual(s.item(), maximumLogitScale, accuracy: 1e-6)
    }
}
