import Foundation

/// Writes files so that readers see the old file or the complete new one,
/// never a partial file: the content goes to a temporary sibling that is then
/// renamed over the destination (rename is atomic within a file system).
enum AtomicFile {
    /// Writes `data` to `url`, creating the parent folder.
    static func write(_ data: Data, to url: URL) throws {
        try produce(url) { temp in
            do { try data.write(to: temp) } catch {
                throw DataError(.io, source: url.path, "cannot write: \(error.localizedDescription)")
            }
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
