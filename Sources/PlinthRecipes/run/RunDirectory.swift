import Foundation

/// The layout of a training run's output directory:
///
///     <out>/recipe.yaml                          the recipe text as run
///     <out>/metrics.jsonl                        one JSON record per logged step (``MetricsLog``)
///     <out>/checkpoints/step-000123.safetensors  training checkpoints, pruned by ``keepLast(_:)``
///     <out>/checkpoints/latest.safetensors       the newest checkpoint: a hard link or a copy
///     <out>/final/model.safetensors              the trained weights
///
/// Every file this type writes is replaced atomically (a temporary sibling,
/// fsync, rename), so a crash leaves the previous version or the new one.
/// Checkpoints themselves are written by their own (atomic) writer at
/// ``checkpointURL(step:)``; ``publishLatest(step:)`` then points `latest` at one,
/// and ``saveCheckpoint(step:keepLast:_:)`` does all three steps of a save.
public struct RunDirectory: Sendable, Equatable {
    /// The run's root directory.
    public let url: URL

    /// The layout under `url`, for a run that already exists; touches nothing on
    /// disk (``init(_:resuming:)`` creates a run directory).
    public init(url: URL) {
        self.url = url
    }

    public var checkpointsURL: URL { url.appendingPathComponent("checkpoints", isDirectory: true) }
    public var latestCheckpointURL: URL { checkpointsURL.appendingPathComponent("latest.safetensors") }
    public var metricsURL: URL { url.appendingPathComponent("metrics.jsonl") }
    public var recipeURL: URL { url.appendingPathComponent("recipe.yaml") }
    public var finalModelURL: URL { url.appendingPathComponent("final/model.safetensors") }

    /// Creates the run directory at `url` with its `checkpoints/` and `final/` folders.
    ///
    /// - Parameter resuming: whether the run continues one already there. A new
    ///   run needs the directory to be absent or empty (empty `checkpoints/` and
    ///   `final/` folders, left by a run that saved nothing, count as empty); a
    ///   resumed one accepts anything (or nothing: it then starts from scratch).
    /// - Throws: ``RunError`` naming the path if it is not a directory, if it is
    ///   not empty and `resuming` is false, or if a folder cannot be created.
    public init(_ url: URL, resuming: Bool) throws {
        self.init(url: url)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw RunError("run directory", path: url.path, "exists and is not a directory")
            }
            if !resuming {
                let ownEmptyFolders = [checkpointsURL, finalModelURL.deletingLastPathComponent()]
                    .filter { (try? Self.list($0).isEmpty) ?? false }.map(\.lastPathComponent)
                let entries = try Self.list(url).filter { !ownEmptyFolders.contains($0) }.sorted()
                if !entries.isEmpty {
                    let shown = entries.prefix(3).joined(separator: ", ") + (entries.count > 3 ? ", ..." : "")
                    throw RunError("run directory", path: url.path,
                                   "exists and is not empty (\(shown)); resume the run or choose another output directory")
                }
            }
        }
        for folder in [url, checkpointsURL, finalModelURL.deletingLastPathComponent()] {
            do { try manager.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw RunError("run directory", path: folder.path, "cannot create: \(error.localizedDescription)")
            }
        }
    }

    /// `checkpoints/step-<step>.safetensors`, the step zero-padded to 6 digits
    /// (more when it needs them).
    public func checkpointURL(step: Int) -> URL {
        precondition(step >= 0, "checkpoint step must be >= 0, got \(step)")
        let digits = String(step)
        let name = "step-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".safetensors"
        return checkpointsURL.appendingPathComponent(name)
    }

    /// The step in a name made by ``checkpointURL(step:)``; nil for any other name.
    public static func step(ofCheckpointNamed name: String) -> Int? {
        guard name.hasPrefix("step-"), name.hasSuffix(".safetensors") else { return nil }
        let digits = name.dropFirst("step-".count).dropLast(".safetensors".count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// The steps of the step checkpoints present, ascending.
    public func checkpointSteps() throws -> [Int] {
        guard FileManager.default.fileExists(atPath: checkpointsURL.path) else { return [] }
        return try Self.list(checkpointsURL).compactMap(Self.step(ofCheckpointNamed:)).sorted()
    }

    /// The checkpoint to resume from: the highest-numbered step checkpoint, else
    /// `latest.safetensors` if present (for example after ``keepLast(_:)`` with 0),
    /// else nil.
    public func latestCheckpoint() throws -> URL? {
        if let step = try checkpointSteps().last { return checkpointURL(step: step) }
        return FileManager.default.fileExists(atPath: latestCheckpointURL.path) ? latestCheckpointURL : nil
    }

    /// Atomically replaces `latest.safetensors` with the checkpoint of `step`
    /// (a hard link, or a copy where the file system has none); never a symlink,
    /// so pruning cannot leave it dangling.
    public func publishLatest(step: Int) throws {
        try AtomicFile.publish(checkpointURL(step: step), as: latestCheckpointURL, subject: "checkpoint")
    }

    /// Saves the checkpoint of `step`: `write` writes the file at the URL it is
    /// given (``checkpointURL(step:)``; atomically, as the safetensors writer
    /// does), then it becomes `latest.safetensors` and step checkpoints beyond
    /// the newest `keepLast` are removed. Returns the checkpoint's URL.
    @discardableResult
    public func saveCheckpoint(step: Int, keepLast: Int, _ write: (URL) throws -> Void) throws -> URL {
        let url = checkpointURL(step: step)
        try write(url)
        try publishLatest(step: step)
        try self.keepLast(keepLast)
        return url
    }

    /// Removes all but the `count` highest-numbered step checkpoints;
    /// `latest.safetensors` is kept. Returns the removed files, ascending.
    @discardableResult
    public func keepLast(_ count: Int) throws -> [URL] {
        precondition(count >= 0, "keepLast needs count >= 0, got \(count)")
        let doomed = try checkpointSteps().dropLast(count).map(checkpointURL(step:))
        for file in doomed {
            do { try FileManager.default.removeItem(at: file) } catch {
                throw RunError("checkpoint", path: file.path, "cannot remove: \(error.localizedDescription)")
            }
        }
        return doomed
    }

    /// Writes the recipe text as run to `recipe.yaml`, atomically.
    public func writeRecipe(_ text: String) throws {
        try AtomicFile.write(Array(text.utf8), to: recipeURL, subject: "recipe")
    }

    /// The recipe text in `recipe.yaml`, or nil if there is none.
    public func readRecipe() throws -> String? {
        guard FileManager.default.fileExists(atPath: recipeURL.path) else { return nil }
        do { return try String(contentsOf: recipeURL, encoding: .utf8) } catch {
            throw RunError("recipe", path: recipeURL.path, "cannot read as UTF-8 text: \(error.localizedDescription)")
        }
    }

    private static func list(_ directory: URL) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw RunError("run directory", path: directory.path, "cannot list: \(error.localizedDescription)")
        }
    }
}
