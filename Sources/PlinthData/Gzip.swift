import Foundation

/// gzip decompression through the system `gzip` (always present on Debian).
enum Gzip {
    /// The decompressed bytes of the gzip file at `url`; at most `limit` bytes.
    static func decompress(_ url: URL, limit: Int) throws -> Data {
        guard let gzip = Subprocess.find("gzip") else {
            throw DataError(.tool, source: url.path, "gzip is not on PATH; install the Debian package gzip")
        }
        let result = try Subprocess.run(gzip, ["-dc", url.path], limit: limit, source: url.path)
        guard result.status == 0 else {
            throw DataError(.corrupt, source: url.path, "gzip failed (status \(result.status)): \(result.stderr)")
        }
        return result.stdout
    }
}
