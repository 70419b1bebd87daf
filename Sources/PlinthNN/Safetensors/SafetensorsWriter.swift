import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Namespace for the tensors given to ``writeSafetensors(to:tensors:metadata:)``.
public enum SafetensorsWriter {
    /// One tensor to write: its name, dtype, shape and little-endian bytes.
    ///
    /// Nothing is checked on construction; ``writeSafetensors(to:tensors:metadata:)``
    /// rejects an empty name, the reserved name `__metadata__`, a negative dimension,
    /// or `bytes.count != product(shape) * dtype.byteSize`.
    public struct Tensor: Sendable {
        public var name: String
        public var dtype: SafetensorsDType
        public var shape: [Int]
        public var bytes: [UInt8]

        /// A tensor from raw little-endian bytes.
        public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// An F32 tensor holding `values` unchanged.
        public static func f32(_ name: String, shape: [Int], _ values: [Float]) -> Tensor {
            Tensor(name: name, dtype: .f32, shape: shape, bytes: littleEndianBytes(values.map(\.bitPattern)))
        }

        /// An F16 tensor: `values` rounded to nearest, ties to even (overflow becomes
        /// infinity; NaN stays NaN, sign and high payload bits kept).
        public static func f16(_ name: String, shape: [Int], _ values: [Float]) -> Tensor {
            Tensor(name: name, dtype: .f16, shape: shape, bytes: littleEndianBytes(values.map(halfBits)))
        }

        /// A BF16 tensor: `values` rounded to nearest, ties to even (overflow becomes
        /// infinity; NaN stays a quiet NaN with its sign).
        public static func bf16(_ name: String, shape: [Int], _ values: [Float]) -> Tensor {
            Tensor(name: name, dtype: .bf16, shape: shape, bytes: littleEndianBytes(values.map(bfloat16Bits)))
        }

        /// An I64 tensor holding `values`.
        public static func i64(_ name: String, shape: [Int], _ values: [Int64]) -> Tensor {
            Tensor(name: name, dtype: .i64, shape: shape, bytes: littleEndianBytes(values))
        }
    }

    /// The IEEE binary16 bit pattern nearest to `value` (round to nearest, ties to even).
    static func halfBits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let exponent = Int(bits >> 23) & 0xFF
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {  // infinity or NaN; a NaN keeps its top payload bits and stays NaN
            return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(mantissa >> 13)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }  // too large: infinity
        if halfExponent <= 0 {
            // Subnormal (or zero) in binary16: value = significand * 2^(halfExponent - 14 - 10).
            let shift = 14 - halfExponent  // >= 14
            guard shift <= 24 else { return sign }  // below half the smallest subnormal
            let significand = mantissa | 0x80_0000
            return sign | UInt16(roundShiftRightEven(significand, by: UInt32(shift)))
        }
        // Normal: a carry out of the mantissa correctly bumps the exponent (up to infinity).
        let combined = UInt32(halfExponent) << 23 | mantissa
        return sign | UInt16(roundShiftRightEven(combined, by: 13))
    }

    /// The bfloat16 bit pattern nearest to `value` (round to nearest, ties to even).
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        return UInt16((bits + 0x7FFF + (bits >> 16 & 1)) >> 16)
    }

    private static func roundShiftRightEven(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let truncated = value >> shift
        let remainder = value & ((1 << shift) - 1)
        let half: UInt32 = 1 << (shift - 1)
        return remainder > half || (remainder == half && truncated & 1 == 1) ? truncated + 1 : truncated
    }

    private static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * MemoryLayout<T>.size)
        for value in values {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }
}

/// Writes `tensors` and `metadata` to `url` as a safetensors file, atomically.
///
/// The header is compact JSON with `__metadata__` first (omitted when empty) and then
/// the tensors sorted by name, padded with spaces to a multiple of 8 bytes as the
/// reference implementation does; the data follows in the same name order. The file
/// is written to a temporary file in the destination's directory, fsynced, and
/// renamed over `url`, so an interrupted or failed save never leaves a partial file
/// at `url` and never disturbs a file already there. On any error the temporary
/// file is removed.
///
/// - Throws: ``SafetensorsError`` of kind `.invalidArgument` for an empty, reserved
///   (`__metadata__`) or duplicate name, a negative dimension, an element-count
///   overflow or a byte count inconsistent with shape and dtype (all checked before
///   anything touches the disk), and `.io` if the file cannot be written or renamed.
public func writeSafetensors(
    to url: URL, tensors: [SafetensorsWriter.Tensor], metadata: [String: String] = [:]
) throws {
    let path = url.path
    func invalid(_ message: String) -> SafetensorsError { SafetensorsError(.invalidArgument, path: path, message) }

    // Validate and lay out.
    var names = Set<String>()
    for tensor in tensors {
        guard !tensor.name.isEmpty else { throw invalid("a tensor has an empty name") }
        guard tensor.name != "__metadata__" else { throw invalid("tensor name \"__metadata__\" is reserved for the metadata map") }
        guard names.insert(tensor.name).inserted else { throw invalid("tensor name \"\(tensor.name)\" is used more than once") }
        var count = 1
        for dim in tensor.shape {
            guard dim >= 0 else { throw invalid("tensor \"\(tensor.name)\": shape \(tensor.shape) has a negative dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw invalid("tensor \"\(tensor.name)\": element count of shape \(tensor.shape) overflows") }
            count = product
        }
        let (expected, overflow) = count.multipliedReportingOverflow(by: tensor.dtype.byteSize)
        guard !overflow, tensor.bytes.count == expected else {
            throw invalid("tensor \"\(tensor.name)\" has \(tensor.bytes.count) bytes; shape \(tensor.shape) of \(tensor.dtype.rawValue) needs \(overflow ? "more than Int.max" : String(expected))")
        }
    }
    let ordered = tensors.sorted { $0.name < $1.name }

    var json = "{"
    var fields: [String] = []
    if !metadata.isEmpty {
        let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonQuoted($0.key)):\(jsonQuoted($0.value))" }
        fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
    }
    var offset = 0
    for tensor in ordered {
        let shape = tensor.shape.map(String.init).joined(separator: ",")
        fields.append("\(jsonQuoted(tensor.name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.bytes.count)]}")
        offset += tensor.bytes.count
    }
    json += fields.joined(separator: ",") + "}"
    var header = Array(json.utf8)
    header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

    // Write to a temporary sibling, fsync, rename into place.
    let directory = url.deletingLastPathComponent().path
    let temporary = directory + "/." + String(url.lastPathComponent.prefix(100))
        + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    func ioError(_ action: String, _ code: Int32 = errno) -> SafetensorsError {
        SafetensorsError(.io, path: path, "cannot \(action): \(String(cString: strerror(code))) (errno \(code))")
    }
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw ioError("create temporary file '\(temporary)'") }
    var isOpen = true
    var renamed = false
    defer {
        if isOpen { close(fd) }
        if !renamed { unlink(temporary) }
    }

    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        let code = writeFully(fd, bytes)
        guard code == 0 else { throw ioError("write to temporary file '\(temporary)'", code) }
    }
    try withUnsafeBytes(of: UInt64(header.count).littleEndian) { try writeAll($0) }
    try header.withUnsafeBytes { try writeAll($0) }
    for tensor in ordered {
        try tensor.bytes.withUnsafeBytes { try writeAll($0) }
    }
    guard fsync(fd) == 0 else { throw ioError("fsync temporary file '\(temporary)'") }
    isOpen = false
    guard close(fd) == 0 else { throw ioError("close temporary file '\(temporary)'") }
    guard rename(temporary, path) == 0 else { throw ioError("rename '\(temporary)' to the destination") }
    renamed = true

    // Make the rename itself durable; best effort, the file is already in place.
    let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryFD >= 0 {
        _ = fsync(directoryFD)
        close(directoryFD)
    }
}
