import PlinthNN
import PlinthTestSupport
import XCTest

/// Tests/Fixtures/diffusion/schedules.safetensors, made by scripts/fixtures/gen_diffusion.py (diffusers 0.37.1).
enum DiffusionFixture {
    static let file = try! Fixtures.open("diffusion/schedules.safetensors")
    static func tensor(_ key: String) -> Tensor { try! file.tensor(key) }
    static func floats(_ key: String) -> [Float] { try! file.floats(key) }
    /// Integers stored as F32.
    static func ints(_ key: String) -> [Int] { floats(key).map { Int($0) } }
}

/// Asserts |actual - expected| <= atol + rtol |expected| elementwise and returns the worst excess ratio
/// (error / allowed; <= 1 passes).
@discardableResult
func assertAllClose(_ actual: [Float], _ expected: [Float], atol: Float, rtol: Float, _ message: String,
                    file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(actual.count, expected.count, "\(message): counts differ", file: file, line: line)
    var worst: Float = 0, worstIndex = 0
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let ratio = abs(a - e) / (atol + rtol * abs(e))
        if !(ratio <= worst) { worst = ratio; worstIndex = i }
    }
    if !(worst <= 1) {
        XCTFail("\(message): element \(worstIndex) is \(actual[worstIndex]), expected \(expected[worstIndex])",
                file: file, line: line)
    }
    return worst
}

func assertAllClose(_ actual: Tensor, _ expected: Tensor, atol: Float, rtol: Float, _ message: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, "\(message): shapes differ", file: file, line: line)
    assertAllClose(actual.toArray(), expected.toArray(), atol: atol, rtol: rtol, message, file: file, line: line)
}
