import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The element types Plinth decodes from safetensors files.
///
/// A file may also contain tensors of the other dtypes the format defines
/// (`BOOL`, `U8`, `I8`, `I16`, `U16`, `I32`, `U32`, `U64`, `F64`, `C64`, the `F8_*`,
/// `F6_*` and `F4` formats). Such a file still opens, and its layout is fully
/// validated; those tensors are listed in ``SafetensorsFile/names`` and
/// ``SafetensorsFile/unsupportedDTypes`` but not in ``SafetensorsFile/entries``,
/// and every attempt to read one throws a ``SafetensorsError`` of kind
/// `.unsupportedDType` naming the tensor and its dtype. A dtype string the
/// format does not define makes the file invalid.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"

    /// The size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .i64: 8
        }
    }
}

/// One tensor of a ``SafetensorsFile`` whose dtype is supported.
public struct SafetensorsEntry: Sendable, Equatable {
    /// The tensor's name (its key in the header).
    public let name: String
    /// The element type.
    public let dtype: SafetensorsDType
    /// The dimensions, outermost first; `[]` is a scalar. Every dimension is >= 0.
    public let shape: [Int]
    /// The tensor's bytes as absolute offsets into the file;
    /// `byteRange.count == elementCount * dtype.byteSize`.
    public let byteRange: Range<Int>

    /// The product of ``shape`` (1 for a scalar); validated not to overflow.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A read-only, memory-mapped safetensors file whose header has been fully validated.
///
/// `init(contentsOf:)` maps the file and checks everything up front: the header
/// length, that the header is a UTF-8 JSON object, every entry's fields and types,
/// its dtype, shape and `data_offsets`, that each byte range holds exactly
/// `product(shape) * dtype size` bytes, and, as the reference implementation
/// requires, that the tensors tile the data section contiguously from offset 0 to its
/// end with no overlap, gap or trailing bytes. Any violation throws a
/// ``SafetensorsError``; once open, reads only fail for a missing name, an
/// unsupported dtype, or a mismatched request.
///
/// Tensor data is read straight from the mapping (unaligned loads, little-endian
/// host assumed). The mapping is immutable and released in `deinit`, so an instance
/// may be shared across threads. As with any mapping, truncating the file on disk
/// while it is open is undefined (the process may receive SIGBUS).
public final class SafetensorsFile: @unchecked Sendable {
    /// Header lengths above this are rejected before anything is allocated (as in the reference).
    public static let maxHeaderLength = 100_000_000

    /// The file this was opened from.
    public let url: URL
    /// The header's `__metadata__` map (empty if absent or `null`).
    public let metadata: [String: String]
    /// The tensors whose dtype is a ``SafetensorsDType``, by name.
    public let entries: [String: SafetensorsEntry]
    /// The tensors whose dtype is valid but unsupported: name to dtype string (e.g. `"I32"`).
    public let unsupportedDTypes: [String: String]
    /// The names of all tensors in the file, supported or not, sorted.
    public let names: [String]

    private let mapping: UnsafeRawBufferPointer

    /// Maps and validates the safetensors file at `url`.
    ///
    /// - Throws: ``SafetensorsError`` if the file cannot be opened or mapped, is empty,
    ///   is a directory, or is not a well-formed safetensors file.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SafetensorsError(.io, path: path, "cannot open for reading: \(errnoText())")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafetensorsError(.io, path: path, "cannot stat: \(errnoText())")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            let what = (info.st_mode & S_IFMT) == S_IFDIR ? "a directory" : "not a regular file"
            throw SafetensorsError(.io, path: path, "is \(what); expected a safetensors file")
        }
        let size = Int(info.st_size)
        guard size >= 8 else {
            throw SafetensorsError(
                .truncated, path: path,
                "file is \(size) bytes long; expected at least 8 bytes (the little-endian UInt64 header length at byte offset 0)")
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              base != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw SafetensorsError(.io, path: path, "cannot mmap \(size) bytes: \(errnoText())")
        }
        let mapping = UnsafeRawBufferPointer(start: base, count: size)
        let header: Header
        do {
            header = try Header(parsing: mapping, path: path)
        } catch {
            munmap(base, size)
            throw error
        }
        self.url = url
        self.mapping = mapping
        self.metadata = header.metadata
        self.entries = header.entries
        self.unsupportedDTypes = header.unsupported
        self.names = (Array(header.entries.keys) + Array(header.unsupported.keys)).sorted()
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), mapping.count)
    }

    /// The entry named `name`.
    ///
    /// - Throws: `.tensorNotFound` (listing a few available names) if there is no such
    ///   tensor, `.unsupportedDType` if its dtype is not a ``SafetensorsDType``.
    public func entry(_ name: String) throws -> SafetensorsEntry {
        if let entry = entries[name] { return entry }
        if let dtype = unsupportedDTypes[name] {
            throw SafetensorsError(
                .unsupportedDType, path: url.path,
                "tensor \"\(name)\" has dtype \(dtype), which Plinth cannot read (supported: \(Self.supportedList))")
        }
        let sample = names.prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")
        let available = names.isEmpty
            ? "the file has no tensors"
            : "the file has \(names.count) tensor(s): \(sample)\(names.count > 5 ? ", ..." : "")"
        throw SafetensorsError(.tensorNotFound, path: url.path, "no tensor named \"\(name)\"; \(available)")
    }

    /// The tensor's elements as `Float`, in row-major order.
    ///
    /// F32 is copied; F16 and BF16 are widened exactly (NaN payloads, infinities,
    /// subnormals and signed zeros preserved); I64 is converted with `Float(_:)`
    /// (round to nearest even above 2^24).
    public func floats(_ name: String) throws -> [Float] {
        let entry = try entry(name)
        let count = entry.elementCount
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            decodeFloats(entry, into: buffer)
            initialized = count
        }
    }

    /// Decodes the tensor as by ``floats(_:)`` into `destination`, whose count must
    /// equal the tensor's element count (else `.countMismatch`).
    public func copyFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let entry = try entry(name)
        guard destination.count == entry.elementCount else {
            throw SafetensorsError(
                .countMismatch, path: url.path,
                "tensor \"\(name)\" has \(entry.elementCount) elements (shape \(entry.shape)) but the destination buffer holds \(destination.count)")
        }
        decodeFloats(entry, into: destination)
    }

    /// The elements of an I64 tensor (any other dtype throws `.dtypeMismatch`).
    public func int64s(_ name: String) throws -> [Int64] {
        let entry = try entry(name)
        guard entry.dtype == .i64 else {
            throw SafetensorsError(
                .dtypeMismatch, path: url.path,
                "tensor \"\(name)\" has dtype \(entry.dtype.rawValue); int64s(_:) requires I64")
        }
        let bytes = bytes(of: entry)
        return (0..<entry.elementCount).map {
            Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))
        }
    }

    /// Calls `body` with the tensor's raw little-endian bytes as stored in the file
    /// (`entry(name).byteRange`). The buffer may be unaligned and is valid only
    /// during the call; do not write through it or let it escape.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try body(bytes(of: entry(name)))
    }

    // MARK: - Decoding

    private func bytes(of entry: SafetensorsEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping[entry.byteRange])
    }

    /// Writes `entry.elementCount` floats; `destination.count` must equal it.
    private func decodeFloats(_ entry: SafetensorsEntry, into destination: UnsafeMutableBufferPointer<Float>) {
        let source = bytes(of: entry)
        switch entry.dtype {
        case .f32:
            UnsafeMutableRawBufferPointer(destination).copyMemory(from: source)
        case .f16:
            for i in destination.indices {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                destination[i] = Self.float(fromHalf: bits)
            }
        case .bf16:
            for i in destination.indices {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                destination[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .i64:
            for i in destination.indices {
                destination[i] = Float(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
            }
        }
    }

    /// Widens an IEEE binary16 bit pattern to `Float` exactly.
    static func float(fromHalf bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0x1F:  // infinity or NaN (payload kept)
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        case 0:     // zero or subnormal: mantissa * 2^-24, exact in Float
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    private static let supportedList = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
}

private func errnoText() -> String {
    let code = errno
    return "\(String(cString: strerror(code))) (errno \(code))"
}

// MARK: - Header parsing and validation

/// The validated contents of a header.
private struct Header {
    var metadata: [String: String] = [:]
    var entries: [String: SafetensorsEntry] = [:]
    var unsupported: [String: String] = [:]

    /// Bits per element of every dtype the format defines.
    static let dtypeBits: [String: Int] = [
        "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
        "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
        "I32": 32, "U32": 32, "F32": 32, "I64": 64, "U64": 64, "F64": 64, "C64": 64,
        "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
    ]

    private struct Tensor {
        var name: String
        var dtype: String
        var shape: [Int]
        var begin: Int  // relative to the data section
        var end: Int
    }

    init(parsing file: UnsafeRawBufferPointer, path: String) throws {
        func failure(_ kind: SafetensorsError.Kind, _ message: String) -> SafetensorsError {
            SafetensorsError(kind, path: path, message)
        }
        let declared = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard declared <= UInt64(SafetensorsFile.maxHeaderLength) else {
            throw failure(.invalidHeader, "header length \(declared) (the UInt64 at byte offset 0) exceeds the limit of \(SafetensorsFile.maxHeaderLength) bytes")
        }
        let headerLength = Int(declared)
        guard headerLength <= file.count - 8 else {
            throw failure(.truncated, "header length \(headerLength) (the UInt64 at byte offset 0) runs past the end of the file: the header would end at byte offset \(8 + headerLength) but the file is \(file.count) bytes long")
        }
        let dataStart = 8 + headerLength
        let dataLength = file.count - dataStart
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<dataStart])

        if let bad = Self.firstInvalidUTF8(headerBytes) {
            throw failure(.invalidHeader, "header is not valid UTF-8 at byte offset \(8 + bad)")
        }
        var parser = JSONParser(bytes: headerBytes)
        let root: JSONValue
        do {
            root = try parser.parseDocument()
        } catch {
            throw failure(.invalidHeader, "header is not valid JSON at byte offset \(8 + error.offset): expected \(error.expected), found \(error.found)")
        }
        guard case .object(let members) = root else {
            throw failure(.invalidHeader, "header JSON is \(root.kindDescription); expected an object mapping tensor names to entries")
        }

        // Entries.
        var tensors: [Tensor] = []
        var seen = Set<String>()
        for (key, value) in members {
            guard seen.insert(key).inserted else {
                throw failure(.invalidEntry, "header key \"\(key)\" appears more than once")
            }
            if key == "__metadata__" {
                metadata = try Self.metadata(from: value, failure)
                continue
            }
            let tensor = try Self.tensor(key, from: value, dataStart: dataStart, dataLength: dataLength, failure)
            tensors.append(tensor)
            if let dtype = SafetensorsDType(rawValue: tensor.dtype) {
                entries[key] = SafetensorsEntry(
                    name: key, dtype: dtype, shape: tensor.shape,
                    byteRange: dataStart + tensor.begin ..< dataStart + tensor.end)
            } else {
                unsupported[key] = tensor.dtype
            }
        }

        // Layout: like the reference `validate`, tensors sorted by offsets must tile
        // the data section exactly: each begins where the previous one ends.
        tensors.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        var previous: String?
        for tensor in tensors {
            if tensor.begin < covered {
                throw failure(.invalidLayout, "tensor \"\(tensor.name)\": data_offsets [\(tensor.begin), \(tensor.end)] (file byte offset \(dataStart + tensor.begin)) overlap tensor \"\(previous ?? "")\", which ends at data offset \(covered); expected tensors not to overlap")
            }
            if tensor.begin > covered {
                throw failure(.invalidLayout, "data bytes \(covered)..<\(tensor.begin) (file byte offset \(dataStart + covered)) before tensor \"\(tensor.name)\" are not covered by any tensor; expected tensors to cover the data section contiguously")
            }
            covered = tensor.end
            previous = tensor.name
        }
        if covered != dataLength {
            throw failure(.invalidLayout, "data section is \(dataLength) bytes but the tensors cover only \(covered); bytes from file byte offset \(dataStart + covered) to the end are not covered by any tensor")
        }
    }

    private static func metadata(
        from value: JSONValue, _ failure: (SafetensorsError.Kind, String) -> SafetensorsError
    ) throws -> [String: String] {
        if case .null = value { return [:] }
        guard case .object(let members) = value else {
            throw failure(.invalidEntry, "field \"__metadata__\" is \(value.kindDescription); expected an object of strings")
        }
        var result: [String: String] = [:]
        for (key, item) in members {
            guard case .string(let text) = item else {
                throw failure(.invalidEntry, "field \"__metadata__\": value of \"\(key)\" is \(item.kindDescription); expected a string")
            }
            guard result.updateValue(text, forKey: key) == nil else {
                throw failure(.invalidEntry, "field \"__metadata__\": key \"\(key)\" appears more than once")
            }
        }
        return result
    }

    private static func tensor(
        _ name: String, from value: JSONValue, dataStart: Int, dataLength: Int,
        _ failure: (SafetensorsError.Kind, String) -> SafetensorsError
    ) throws -> Tensor {
        func invalid(_ message: String) -> SafetensorsError {
            failure(.invalidEntry, "tensor \"\(name)\": \(message)")
        }
        guard case .object(let members) = value else {
            throw invalid("entry is \(value.kindDescription); expected an object with fields dtype, shape and data_offsets")
        }
        func field(_ key: String) throws -> JSONValue {
            let matches = members.filter { $0.key == key }
            guard matches.count == 1 else {
                throw invalid(matches.isEmpty ? "missing field \"\(key)\"" : "field \"\(key)\" appears more than once")
            }
            return matches[0].value
        }

        guard case .string(let dtype) = try field("dtype") else {
            throw invalid("field \"dtype\" is \(try field("dtype").kindDescription); expected a string such as \"F32\"")
        }
        guard let bits = dtypeBits[dtype] else {
            throw invalid("field \"dtype\": unknown dtype \"\(dtype)\"; expected one of \(dtypeBits.keys.sorted().joined(separator: ", "))")
        }

        func integers(_ key: String) throws -> [Int] {
            let value = try field(key)
            guard case .array(let items) = value else {
                throw invalid("field \"\(key)\" is \(value.kindDescription); expected an array of non-negative integers")
            }
            return try items.enumerated().map { index, item in
                guard let number = item.integer, number >= 0 else {
                    throw invalid("field \"\(key)\": element \(index) is \(item.kindDescription); expected a non-negative integer")
                }
                return number
            }
        }

        let shape = try integers("shape")
        var elements = 1
        for dim in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw invalid("field \"shape\": element count of \(shape) overflows") }
            elements = product
        }

        let offsets = try integers("data_offsets")
        guard offsets.count == 2 else {
            throw invalid("field \"data_offsets\" has \(offsets.count) elements; expected two integers [begin, end]")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw invalid("field \"data_offsets\": end \(end) is before begin \(begin) (file byte offset \(dataStart + begin)); expected begin <= end")
        }
        guard end <= dataLength else {
            throw invalid("field \"data_offsets\": end \(end) is past the end of the data section (\(dataLength) bytes, ending at file byte offset \(dataStart + dataLength))")
        }

        let (totalBits, overflow) = elements.multipliedReportingOverflow(by: bits)
        guard !overflow, totalBits % 8 == 0 else {
            throw invalid("shape \(shape) with dtype \(dtype) (\(bits) bits each) does not occupy a whole number of bytes")
        }
        guard end - begin == totalBits / 8 else {
            throw invalid("data_offsets [\(begin), \(end)] (file byte offset \(dataStart + begin)) span \(end - begin) bytes; expected \(totalBits / 8) bytes for shape \(shape) of \(dtype)")
        }
        return Tensor(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// The offset of the first byte that is not part of well-formed UTF-8, or nil.
    private static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
