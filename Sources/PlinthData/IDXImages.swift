import Foundation
import PlinthModalities

/// An uncompressed IDX file of unsigned bytes (the MNIST / Fashion-MNIST format).
///
/// Layout: bytes 0-1 are zero, byte 2 is the element type (0x08, unsigned
/// byte), byte 3 the rank R; then R big-endian UInt32 dimensions; then the
/// elements, row-major. The file size must equal the header plus the product
/// of the dimensions. Errors name the file and the byte offset.
struct IDXFile: Sendable {
    let path: String
    let data: Data
    /// Dimensions, outermost first (`[N, rows, columns]` for images).
    let dims: [Int]
    /// Offset of the first element.
    let headerBytes: Int

    init(data: Data, path: String, rank: Int) throws {
        func fail(_ offset: Int, _ message: String) -> DataError {
            DataError(.corrupt, source: path, "offset \(offset): \(message)")
        }
        let bytes = [UInt8](data.prefix(4 + 4 * rank))
        guard bytes.count >= 4 else { throw fail(0, "truncated: \(data.count) bytes, an IDX header needs 4") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw fail(0, String(format: "magic bytes %02X %02X, expected 00 00 (not an uncompressed IDX file)", bytes[0], bytes[1]))
        }
        guard bytes[2] == 0x08 else { throw fail(2, String(format: "element type 0x%02X, expected 0x08 (unsigned byte)", bytes[2])) }
        guard Int(bytes[3]) == rank else { throw fail(3, "rank \(bytes[3]), expected \(rank)") }
        headerBytes = 4 + 4 * rank
        guard bytes.count == headerBytes else { throw fail(4, "truncated: the \(rank) dimensions need \(headerBytes) header bytes") }
        let dims = (0..<rank).map { d in bytes[(4 + 4 * d)..<(8 + 4 * d)].reduce(0) { $0 << 8 | Int($1) } }
        var elements = 1
        for (d, n) in dims.enumerated() {
            let (product, overflow) = elements.multipliedReportingOverflow(by: n)
            guard !overflow, product <= data.count else {
                throw fail(4 + 4 * d, "dimensions \(dims) exceed the file's \(data.count) bytes")
            }
            elements = product
        }
        guard data.count == headerBytes + elements else {
            throw fail(headerBytes, "\(data.count - headerBytes) element bytes, dimensions \(dims) need \(elements)")
        }
        self.path = path
        self.data = data
        self.dims = dims
    }

    /// Reads (memory-maps) the file at `path`.
    init(contentsOf path: String, rank: Int) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DataError(.io, source: path, "cannot read the IDX file: \(error.localizedDescription)")
        }
        try self.init(data: data, path: path, rank: rank)
    }

    /// `count` elements from element `start`.
    func elements(from start: Int, count: Int) -> [UInt8] {
        data.withUnsafeBytes { raw in Array(raw[(headerBytes + start)..<(headerBytes + start + count)]) }
    }
}

/// The images of an IDX file `[N, rows, columns]`, read once and shared
/// read-only between loader threads.
public final class IDXImages: Sendable {
    public let path: String
    public let count: Int
    public let rows: Int
    public let columns: Int
    private let file: IDXFile

    /// Memory-maps and validates the IDX image file at `path`.
    public convenience init(contentsOf path: String) throws {
        try self.init(IDXFile(contentsOf: path, rank: 3))
    }

    init(_ file: IDXFile) {
        self.file = file
        path = file.path
        (count, rows, columns) = (file.dims[0], file.dims[1], file.dims[2])
    }

    /// Image `index` as a gray ``ImageBuffer`` (rows x columns).
    public func image(at index: Int) throws -> ImageBuffer {
        guard index >= 0, index < count else {
            throw DataError(.invalidArgument, source: path, "image index \(index) is out of range (the file holds \(count))")
        }
        let n = rows * columns
        return ImageBuffer(width: columns, height: rows, layout: .gray, pixels: file.elements(from: index * n, count: n))
    }
}
