import Foundation

/// A failure of the run infrastructure: the run directory, its checkpoints
/// folder, the metrics log or the recipe copy.
///
/// ``description`` is a complete sentence naming what was being handled
/// (``subject``, for example "metrics log"), the file or directory, and what
/// went wrong or was expected.
public struct RunError: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// What the path is: "run directory", "metrics log", "checkpoint"...
    public let subject: String
    /// The file or directory concerned.
    public let path: String
    /// What went wrong, without the subject and path.
    public let message: String

    public init(_ subject: String, path: String, _ message: String) {
        self.subject = subject
        self.path = path
        self.message = message
    }

    /// An error for a failed system call, with `errno`'s text appended to `action`.
    static func system(_ subject: String, path: String, _ action: String, errno code: Int32 = errno) -> RunError {
        RunError(subject, path: path, "cannot \(action): \(String(cString: strerror(code))) (errno \(code))")
    }

    public var description: String { "\(subject) '\(path)': \(message)" }

    public var errorDescription: String? { description }
}
