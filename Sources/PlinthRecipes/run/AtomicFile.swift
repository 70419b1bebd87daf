import Foundation
import PlinthNN
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Atomic file replacement: every write goes to a hidden temporary sibling
/// (`.<name>.tmp-<pid>-<random>` in the destination's directory), is fsynced,
/// and is renamed over the destination, so readers see the old file or the new
/// one, never a partial one. On any error the temporary file is removed.
enum AtomicFile {
    /// Replaces `url` with `bytes`.
    static func write(_ bytes: [UInt8], to url: URL, subject: String) throws {
        try replace(url, subject: subject) { temporary in
            let fd = try create(temporary, subject: subject)
            defer { close(fd) }
            try bytes.withUnsafeBytes { try writeAll($0, to: fd, path: temporary, subject: subject) }
            try sync(fd, path: temporary, subject: subject)
        }
    }

    /// Replaces `destination` with the contents of `source`: a hard link to the
    /// same file when the file system allows one, else a streamed copy.
    ///
    /// `source` must not be rewritten in place afterwards (writers that rename
    /// into place, like the safetensors writer, are fine): a hard link shares it.
    static func publish(_ source: URL, as destination: URL, subject: String) throws {
        try replace(destination, subject: subject) { temporary in
            if link(source.path, temporary) == 0 { return }
            let input = open(source.path, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw RunError.system(subject, path: source.path, "open for reading") }
            defer { close(input) }
            let output = try create(temporary, subject: subject)
            defer { close(output) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else { throw RunError.system(subject, path: source.path, "read") }
                if count == 0 { break }
                try buffer.withUnsafeBytes {
                    try writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<count]), to: output, path: temporary, subject: subject)
                }
            }
            try sync(output, path: temporary, subject: subject)
        }
    }

    /// Runs `fill` on a fresh temporary path, then renames it over `url`.
    private static func replace(_ url: URL, subject: String, _ fill: (String) throws -> Void) throws {
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + String(url.lastPathComponent.prefix(100))
            + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(temporary) }  // after a successful rename there is nothing left to remove
        try fill(temporary)
        guard rename(temporary, url.path) == 0 else {
            throw RunError.system(subject, path: url.path, "rename '\(temporary)' onto it")
        }
        // Make the rename itself durable; best effort, the file is already in place.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    private static func create(_ path: String, subject: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunError.system(subject, path: path, "create temporary file") }
        return fd
    }

    private static func sync(_ fd: Int32, path: String, subject: String) throws {
        guard fsync(fd) == 0 else { throw RunError.system(subject, path: path, "fsync") }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and `EINTR`.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String, subject: String) throws {
        let code = writeFully(fd, bytes)
        guard code == 0 else { throw RunError.system(subject, path: path, "write", errno: code) }
    }
}
