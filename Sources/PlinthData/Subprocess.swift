import Foundation

/// Runs an external program (gzip, espeak-ng) and collects its output.
enum Subprocess {
    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    /// The executable `name` on `PATH`, or nil.
    static func find(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs `executable` with `arguments` (standard input empty) and returns its
    /// exit status and output. Standard output beyond `limit` bytes stops the program
    /// and throws `.tooLarge` naming `source`.
    static func run(_ executable: URL, _ arguments: [String], limit: Int = 1 << 20,
                    source: String) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw DataError(.tool, source: executable.path, "cannot start: \(error.localizedDescription)")
        }
        // stderr drains on its own thread (not a GCD worker, which callers may
        // all be using) so a chatty program cannot block on a full pipe.
        let errorText = ErrorText()
        let drained = DispatchSemaphore(value: 0)
        Thread {
            errorText.set(String(decoding: err.fileHandleForReading.readDataToEndOfFile().prefix(4096), as: UTF8.self))
            drained.signal()
        }.start()
        var data = Data()
        let reader = out.fileHandleForReading
        while true {
            let chunk = reader.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            data.append(chunk)
            if data.count > limit {
                process.terminate()
                _ = reader.readDataToEndOfFile()
                process.waitUntilExit()
                drained.wait()
                throw DataError(.tooLarge, source: source, "\(executable.lastPathComponent) output exceeds \(limit) bytes")
            }
        }
        process.waitUntilExit()
        drained.wait()
        return Output(status: process.terminationStatus, stdout: data, stderr: errorText.value)
    }

    private final class ErrorText: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func set(_ s: String) { lock.lock(); text = s; lock.unlock() }
        var value: String { lock.lock(); defer { lock.unlock() }; return text }
    }
}
