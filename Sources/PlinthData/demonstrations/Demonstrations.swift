import Foundation
import PlinthNN

// Legend: S recorded steps, H = W image size, P state width, A action width, E episodes.

/// Recorded episodes of a control task, as written by `plinth demos`: one
/// folder of three files that open in common tools.
///
/// - `frames.idx`: IDX unsigned bytes [S, H, W, 3], the camera image each step saw
///   (the format of MNIST, big-endian dimensions; `idx2numpy` and friends read it).
/// - `steps.safetensors`: `state` F32 [S, P] (proprioception), `action` F32 [S, A]
///   (the expert's action, the training label), `episode` I64 [S]; metadata
///   `format` (`plinth-demos/1`), `task` and `image_size`.
/// - `episodes.jsonl`: one JSON object per episode in order: `episode`, `seed`,
///   `instruction`, `variant`, `start` (its first step's row), `length`, `success`.
///
/// Steps of an episode are consecutive rows; the frame of a row is the
/// observation before its action.
public struct Demonstrations: Sendable {
    public static let format = "plinth-demos/1"

    public struct Episode: Codable, Sendable, Equatable {
        public var episode: Int
        public var seed: UInt64
        public var instruction: String
        public var variant: Int
        public var start: Int
        public var length: Int
        public var success: Bool

        public init(episode: Int, seed: UInt64, instruction: String, variant: Int, start: Int, length: Int, success: Bool) {
            (self.episode, self.seed, self.instruction, self.variant) = (episode, seed, instruction, variant)
            (self.start, self.length, self.success) = (start, length, success)
        }
    }

    public var task: String
    public var imageSize: Int
    public var stateDimension: Int
    public var actionDimension: Int
    /// [S, H, W, 3] bytes.
    public var frames: [UInt8]
    /// [S, P].
    public var states: [Float]
    /// [S, A].
    public var actions: [Float]
    public var episodes: [Episode]

    public var stepCount: Int { states.count / stateDimension }

    public init(task: String, imageSize: Int, stateDimension: Int, actionDimension: Int) {
        (self.task, self.imageSize, self.stateDimension, self.actionDimension) = (task, imageSize, stateDimension, actionDimension)
        (frames, states, actions, episodes) = ([], [], [], [])
    }

    /// The episode each row belongs to, [S].
    public var episodeOfStep: [Int] {
        episodes.indices.flatMap { e in Array(repeating: e, count: episodes[e].length) }
    }

    /// Writes the folder atomically: the files go to a temporary sibling folder that is renamed into
    /// place, replacing an existing folder only once the new one is complete.
    public func save(to folder: URL) throws {
        let fm = FileManager.default
        let parent = folder.deletingLastPathComponent()
        let temp = parent.appendingPathComponent(".\(folder.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try fm.createDirectory(at: temp, withIntermediateDirectories: true)
            let pixels = imageSize * imageSize * 3
            var header: [UInt8] = [0, 0, 0x08, 4]
            for d in [stepCount, imageSize, imageSize, 3] { withUnsafeBytes(of: UInt32(d).bigEndian) { header += $0 } }
            precondition(frames.count == stepCount * pixels, "Demonstrations: \(frames.count) frame bytes for \(stepCount) steps")
            try header.withUnsafeBytes { h in
                try frames.withUnsafeBytes { f in try AtomicFile.writeNew([h, f], to: temp.appendingPathComponent("frames.idx")) }
            }
            try writeSafetensors(to: temp.appendingPathComponent("steps.safetensors"), tensors: [
                .f32("state", shape: [stepCount, stateDimension], states),
                .f32("action", shape: [stepCount, actionDimension], actions),
                .i64("episode", shape: [stepCount], episodeOfStep.map(Int64.init)),
            ], metadata: ["format": Self.format, "task": task, "image_size": String(imageSize)])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let lines = try episodes.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
            try Array((lines.joined(separator: "\n") + "\n").utf8).withUnsafeBytes {
                try AtomicFile.writeNew([$0], to: temp.appendingPathComponent("episodes.jsonl"))
            }
            var old: URL?
            if fm.fileExists(atPath: folder.path) {
                old = parent.appendingPathComponent(".\(folder.lastPathComponent).\(UUID().uuidString).old")
                try fm.moveItem(at: folder, to: old!)
            }
            try fm.moveItem(at: temp, to: folder)
            if let old { try? fm.removeItem(at: old) }
        } catch {
            try? fm.removeItem(at: temp)
            if let dataError = error as? DataError { throw dataError }
            throw DataError(.io, source: folder.path, "cannot write the demonstrations: \(error)")
        }
    }

    /// Reads a folder written by `save`; a missing or inconsistent file is an error naming it.
    public static func load(from folder: URL) throws -> Demonstrations {
        let stepsURL = folder.appendingPathComponent("steps.safetensors")
        guard FileManager.default.fileExists(atPath: stepsURL.path) else {
            throw DataError(.io, source: folder.path, "no steps.safetensors here; record demonstrations with `plinth demos`")
        }
        let file = try SafetensorsFile(contentsOf: stepsURL)
        guard file.metadata["format"] == format, let task = file.metadata["task"],
              let imageSize = file.metadata["image_size"].flatMap(Int.init), (1...1024).contains(imageSize) else {
            throw DataError(.corrupt, source: stepsURL.path, field: "__metadata__",
                            "expected format '\(format)' with 'task' and an 'image_size' in 1...1024")
        }
        let state = try file.tensor("state"), action = try file.tensor("action")
        guard state.rank == 2, action.rank == 2, state.shape[0] == action.shape[0] else {
            throw DataError(.corrupt, source: stepsURL.path, field: "state", "state \(state.shape) and action \(action.shape) must be [S, P] and [S, A]")
        }
        var demos = Demonstrations(task: task, imageSize: imageSize, stateDimension: state.shape[1], actionDimension: action.shape[1])
        (demos.states, demos.actions) = (state.toArray(), action.toArray())

        let episodesURL = folder.appendingPathComponent("episodes.jsonl")
        let text: String
        do { text = try String(contentsOf: episodesURL, encoding: .utf8) } catch {
            throw DataError(.io, source: episodesURL.path, "cannot read: \(error.localizedDescription)")
        }
        var next = 0
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let episode: Episode
            do { episode = try JSONDecoder().decode(Episode.self, from: Data(line.utf8)) } catch {
                throw DataError(.corrupt, source: episodesURL.path, line: n + 1, "not an episode record: \(error)")
            }
            guard episode.start == next, episode.length > 0 else {
                throw DataError(.corrupt, source: episodesURL.path, line: n + 1, field: "start",
                                "episode starts at row \(episode.start) with length \(episode.length); expected row \(next) and a positive length")
            }
            next += episode.length
            demos.episodes.append(episode)
        }
        guard next == demos.stepCount else {
            throw DataError(.corrupt, source: episodesURL.path, "the episodes cover \(next) rows but steps.safetensors has \(demos.stepCount)")
        }
        let idx = try IDXFile(contentsOf: folder.appendingPathComponent("frames.idx").path, rank: 4)
        guard idx.dims == [demos.stepCount, imageSize, imageSize, 3] else {
            throw DataError(.corrupt, source: idx.path, "dimensions \(idx.dims), expected \([demos.stepCount, imageSize, imageSize, 3])")
        }
        demos.frames = idx.elements(from: 0, count: idx.dims.reduce(1, *))
        return demos
    }
}
