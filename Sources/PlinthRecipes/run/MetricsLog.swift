import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends metrics records to a JSON Lines file, one object per line, keys in
/// the caller's order:
///
///     {"step": 10, "epoch": 0, "loss": 1.23, "lr": 0.0005, "time": "2026-11-21T22:00:00Z"}
///
/// Each record goes to the kernel in one `write(2)` on a descriptor opened with
/// `O_APPEND`, with no user-space buffer, so a crashed process loses nothing it
/// appended and a crashed machine at most the lines not yet on disk (``sync()``
/// forces them). A torn last line, left by a crash mid-write, is dropped when
/// the log is opened again.
///
/// Safe to share between threads: appends are serialized.
public final class MetricsLog: Sendable {
    /// The JSONL file.
    public let url: URL
    private let descriptor: Mutex<Int32>  // -1 once closed

    /// Opens `url` for appending, creating it (but not its directory) if needed.
    ///
    /// - Parameter step: for a resumed run, the checkpoint's step: records whose
    ///   `"step"` is greater are removed first (atomically), so steps the resumed
    ///   run repeats are not logged twice. Records without a `"step"` are kept.
    /// - Throws: ``RunError`` naming the file if it cannot be read, rewritten or
    ///   opened, or, when truncating, naming the line that is not a JSON object
    ///   or whose `"step"` is not an integer.
    public init(url: URL, truncatingAfter step: Int? = nil) throws {
        self.url = url
        try Self.repair(url, keepingThrough: step)
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunError.system("metrics log", path: url.path, "open for appending") }
        descriptor = Mutex(fd)
    }

    deinit { close() }

    /// Appends one record. Keys must be distinct.
    public func append(_ fields: [(String, MetricValue)]) throws {
        var seen = Set<String>()
        for (key, _) in fields {
            precondition(seen.insert(key).inserted, "metrics record has key '\(key)' twice")
        }
        let line = "{" + fields.map { "\(MetricValue.string($0.0).json): \($0.1.json)" }.joined(separator: ", ") + "}\n"
        try descriptor.withLock { fd in
            precondition(fd >= 0, "MetricsLog.append on closed log '\(url.path)'")
            try Array(line.utf8).withUnsafeBytes {
                try AtomicFile.writeAll($0, to: fd, path: url.path, subject: "metrics log")
            }
        }
    }

    /// Appends one record written as a dictionary literal: `["step": 10, "loss": .number(loss)]`.
    public func append(_ fields: KeyValuePairs<String, MetricValue>) throws {
        try append(fields.map { ($0.key, $0.value) })
    }

    /// Forces the appended lines to disk.
    public func sync() throws {
        try descriptor.withLock { fd in
            guard fd >= 0 else { return }
            guard fsync(fd) == 0 else { throw RunError.system("metrics log", path: url.path, "fsync") }
        }
    }

    /// Closes the file; appending afterwards is a programming error. Later calls do nothing.
    public func close() {
        descriptor.withLock { fd in
            if fd >= 0 { closeDescriptor(fd) }
            fd = -1
        }
    }

    /// Drops a torn last line and, when `step` is given, the records after it;
    /// rewrites the file atomically only if something was dropped.
    private static func repair(_ url: URL, keepingThrough step: Int?) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: url)) } catch {
            throw RunError("metrics log", path: url.path, "cannot read: \(error.localizedDescription)")
        }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var changed = lines.removeLast().count > 0  // text after the last newline is a torn record
        if let step {
            var kept: [ArraySlice<UInt8>] = []
            for (index, line) in lines.enumerated() {
                guard !line.isEmpty else { kept.append(line); continue }
                let object = try? JSONSerialization.jsonObject(with: Data(line))
                guard let record = object as? [String: Any] else {
                    throw RunError("metrics log", path: url.path, "line \(index + 1) is not a JSON object")
                }
                if let value = record["step"] {
                    guard let recordStep = value as? Int else {
                        throw RunError("metrics log", path: url.path, "line \(index + 1): \"step\" is \(value), expected an integer")
                    }
                    if recordStep > step { changed = true; continue }
                }
                kept.append(line)
            }
            lines = kept
        }
        guard changed else { return }
        let text = lines.flatMap { Array($0) + [UInt8(ascii: "\n")] }
        try AtomicFile.write(text, to: url, subject: "metrics log")
    }
}

/// The C library's `close`, which ``MetricsLog/close()`` hides inside the class.
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
