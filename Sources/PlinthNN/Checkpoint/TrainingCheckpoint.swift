import Foundation

/// Everything needed to resume training exactly: model weights, optimizer
/// state, step, the random generator's state and the config that produced the
/// run, in one safetensors file (`model.*` and `optimizer.*` tensors; step,
/// RNG state and config in the metadata), so standard tools can open it.
public struct TrainingCheckpoint {
    public static let format = "plinth-training-checkpoint/1"

    public var step: Int
    public var rngState: [UInt64]
    /// The recipe or config, serialized by the caller (JSON or YAML text).
    public var config: String

    public init(step: Int, rngState: [UInt64], config: String) {
        self.step = step
        self.rngState = rngState
        self.config = config
    }

    /// Writes the checkpoint atomically: an interrupted save leaves the previous file intact.
    public static func save(to url: URL, model: any Module, optimizer: any Optimizer, step: Int,
                            generator: RandomGenerator = .default, config: String = "") throws {
        var tensors: [String: Tensor] = [:]
        for (k, t) in model.stateDict() { tensors["model.\(k)"] = t }
        for (k, t) in optimizer.stateDict() { tensors["optimizer.\(k)"] = t }
        let metadata = [
            "format": format,
            "step": String(step),
            "rng_state": generator.state.map { String($0) }.joined(separator: ","),
            "config": config,
        ]
        try saveTensors(tensors, to: url, metadata: metadata)
    }

    /// Restores model weights (strictly), optimizer state and the generator's
    /// state; returns the step and config.
    public static func load(from url: URL, model: any Module, optimizer: any Optimizer,
                            generator: RandomGenerator = .default) throws -> TrainingCheckpoint {
        let file = try SafetensorsFile(contentsOf: url)
        func field(_ key: String) throws -> String {
            guard let v = file.metadata[key] else {
                throw CheckpointError(path: url.path, message: "metadata field '\(key)' is missing")
            }
            return v
        }
        guard try field("format") == format else {
            throw CheckpointError(path: url.path, message: "metadata field 'format' is '\(file.metadata["format"] ?? "")', expected '\(format)'")
        }
        guard let step = Int(try field("step")) else {
            throw CheckpointError(path: url.path, message: "metadata field 'step' is not an integer")
        }
        let rng = try field("rng_state").split(separator: ",").compactMap { UInt64($0) }
        guard rng.count == 4, rng.contains(where: { $0 != 0 }) else {
            throw CheckpointError(path: url.path, message: "metadata field 'rng_state' must hold 4 integers, not all zero")
        }
        try model.load(stateDict: file.tensors(prefix: "model."))
        try optimizer.load(stateDict: file.tensors(prefix: "optimizer."))
        generator.state = rng
        return TrainingCheckpoint(step: step, rngState: rng, config: try field("config"))
    }
}

/// A checkpoint that is readable safetensors but not a valid Plinth checkpoint.
public struct CheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "checkpoint '\(path)': \(message)" }
}
