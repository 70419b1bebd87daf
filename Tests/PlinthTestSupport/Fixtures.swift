import Foundation
import PlinthNN

/// Golden fixtures under Tests/Fixtures, made by scripts/fixtures/*.py.
public enum Fixtures {
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    public static func open(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(contentsOf: directory.appendingPathComponent(name))
    }
}

/// Largest absolute difference between two tensors of the same shape.
public func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "maxAbsDifference: shapes \(a.shape) and \(b.shape)")
    return zip(a.toArray(), b.toArray()).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
