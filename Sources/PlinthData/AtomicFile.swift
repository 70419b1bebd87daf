import Foundation
import PlinthNN

/// Writes files so that readers see the old file or the complete new one,
/// never a partial file: the content goes to a temporary sibling that is then
/// renamed over the destination (rename is atomic within a file system).
enum AtomicFile {
    /// Writes `data` to `url`, creating the parent folder.
    static func write(_ data: Data, to url: URL) throws {
        try produce(url) { temp in try data.withUnsafeBytes { try writeNew([$0], to: temp) } }
    }

    /// Writes `parts` one after another into a new file at `url` (not atomic by itself: give it a
    /// temporary path) through ``writeFully``; Foundation's `Data.write(to:)` on Linux garbles
    /// every byte past the first 0x7ffff000.
    static func writeNew(_ parts: [UnsafeRawBufferPointer], to url: URL) throws {
        func failure(_ action: String, _ code: Int32 = errno) -> DataError {
            DataError(.io, source: url.path, "cannot \(action): \(String(cString: strerror(code)))")
        }
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("create the file") }
        defer { close(fd) }
        for part in parts {
            let code = writeFully(fd, part)
            guard code == 0 else { throw failure("write \(part.count) bytes", code) }
        }
    }

    /// Calls `body` with a temporary path next to `url`, then renames it to
    /// `url`. The temporary file is removed if `body` or the rename fails.
    static func produce(_ url: URL, _ body: (URL) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw DataError(.io, source: folder.path, "cannot create the folder: \(error.localizedDescription)")
        }
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try body(temp)
            guard rename(temp.path, url.path) == 0 else {
                throw DataError(.io, source: url.path, "cannot rename \(temp.path) into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
    }
}
