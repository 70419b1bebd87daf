import Foundation
import PlinthNN

/// A foreign checkpoint translated for Plinth: the config of the
/// `MultimodalModel` it becomes and its state dict under Plinth's keys.
public struct ImportedModel {
    public var config: ModelConfig
    public var tensors: [String: Tensor]

    /// Builds the model and loads the tensors strictly; a shape that does not
    /// fit the config is an `ImportError` naming the source.
    public func model(source: String) throws -> MultimodalModel {
        let model = try MultimodalModel(config)
        do { try model.load(stateDict: tensors) } catch let error as StateDictError {
            throw ImportError(source: source, message: "the tensors do not fit the config read from it: \(error)")
        }
        model.eval()
        return model
    }
}

/// A checkpoint Plinth cannot import; names the file and lists what was expected.
public struct ImportError: Error, CustomStringConvertible {
    public let source: String
    public let message: String
    public init(source: String, message: String) { (self.source, self.message) = (source, message) }
    public var description: String { "import '\(source)': \(message)" }
}

/// Moves tensors from a foreign state dict to Plinth keys, recording every
/// source key it asked for, so that missing and left-over tensors are
/// reported together once the whole map has run.
struct KeyMapping {
    let source: [String: Tensor]
    let file: String
    private(set) var out: [String: Tensor] = [:]
    private var missing: [String] = []
    private var used: Set<String> = []

    init(_ source: [String: Tensor], file: String) { (self.source, self.file) = (source, file) }

    private mutating func take(_ key: String) -> Tensor? {
        used.insert(key)
        guard let t = source[key] else { missing.append(key); return nil }
        return t
    }

    /// out[key] = source[from].
    mutating func copy(_ key: String, from: String) {
        if let t = take(from) { out[key] = t }
    }

    /// out[key] = source[from]ᵀ (a [O, I] Linear weight to a [I, O] projection matrix).
    mutating func transposed(_ key: String, from: String) {
        if let t = take(from) { out[key] = t.transpose(0, 1).contiguous() }
    }

    /// out[key] = the sources stacked along dim 0 (separate q, k, v to a packed projection).
    mutating func stacked(_ key: String, from keys: [String]) {
        let parts = keys.map { take($0) }
        if parts.allSatisfy({ $0 != nil }) { out[key] = Tensor.concat(parts.map { $0! }, dim: 0) }
    }

    /// The Plinth state dict; throws if a source tensor was missing or one was
    /// left over that `ignored` does not cover.
    func finish(ignoring ignored: (String) -> Bool = { _ in false }) throws -> [String: Tensor] {
        let unexpected = source.keys.filter { !used.contains($0) && !ignored($0) }.sorted()
        var problems: [String] = []
        if !missing.isEmpty {
            problems.append("missing tensors (\(missing.count) of the \(used.count) expected): \(missing.joined(separator: ", "))")
        }
        if !unexpected.isEmpty {
            problems.append("unexpected tensors (\(unexpected.count)): \(unexpected.joined(separator: ", "))")
        }
        guard problems.isEmpty else { throw ImportError(source: file, message: problems.joined(separator: "; ")) }
        return out
    }
}

/// All tensors of a safetensors file as Float32; errors name the file.
func safetensors(_ url: URL) throws -> [String: Tensor] {
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw ImportError(source: url.path, message: "not found (a PyTorch .bin checkpoint must be converted to safetensors first)")
    }
    return try SafetensorsFile(contentsOf: url).tensors()
}

/// Reads a JSON object file of a model directory; errors name the file.
public func readJSONObject(_ url: URL) throws -> [String: Any] {
    var isDirectory: ObjCBool = false
    let folder = url.deletingLastPathComponent()
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ImportError(source: folder.path, message: "is not a directory: this format is a Hugging Face model directory")
    }
    guard FileManager.default.fileExists(atPath: url.path) else { throw ImportError(source: url.path, message: "not found") }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw ImportError(source: url.path, message: "cannot read: \(error.localizedDescription)")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw ImportError(source: url.path, message: "is not a JSON object")
    }
    return object
}

/// Typed access to a JSON config's fields, each error naming the file and field.
struct JSONFields {
    let object: [String: Any]
    let file: String
    let prefix: String

    init(_ object: [String: Any], file: String, prefix: String = "") { (self.object, self.file, self.prefix) = (object, file, prefix) }

    func int(_ key: String, default value: Int? = nil) throws -> Int {
        if let n = object[key] as? NSNumber, n.doubleValue == n.doubleValue.rounded() { return n.intValue }
        if object[key] == nil || object[key] is NSNull, let value { return value }
        throw ImportError(source: file, message: "field '\(prefix)\(key)' must be an integer, got \(object[key].map { "\($0)" } ?? "nothing")")
    }

    func float(_ key: String, default value: Float? = nil) throws -> Float {
        if let n = object[key] as? NSNumber { return n.floatValue }
        if object[key] == nil || object[key] is NSNull, let value { return value }
        throw ImportError(source: file, message: "field '\(prefix)\(key)' must be a number, got \(object[key].map { "\($0)" } ?? "nothing")")
    }

    func string(_ key: String, default value: String? = nil) throws -> String {
        if let s = object[key] as? String { return s }
        if object[key] == nil || object[key] is NSNull, let value { return value }
        throw ImportError(source: file, message: "field '\(prefix)\(key)' must be a string, got \(object[key].map { "\($0)" } ?? "nothing")")
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        if object[key] == nil || object[key] is NSNull { return value }
        guard let b = object[key] as? Bool else {
            throw ImportError(source: file, message: "field '\(prefix)\(key)' must be true or false, got \(object[key]!)")
        }
        return b
    }

    func object(_ key: String) throws -> JSONFields {
        guard let o = object[key] as? [String: Any] else {
            throw ImportError(source: file, message: "field '\(prefix)\(key)' must be an object")
        }
        return JSONFields(o, file: file, prefix: "\(prefix)\(key).")
    }

    /// An activation by its Hugging Face name ("gelu" is exact GELU, "quick_gelu" CLIP's).
    func activation(_ key: String) throws -> Activation {
        let name = try string(key, default: "gelu")
        let known: [String: Activation] = ["gelu": .gelu, "quick_gelu": .quickGELU, "gelu_new": .geluTanh,
                                           "gelu_pytorch_tanh": .geluTanh, "relu": .relu, "silu": .silu]
        guard let a = known[name] else {
            throw ImportError(source: file, message: "field '\(prefix)\(key)' is '\(name)'; supported: \(known.keys.sorted().joined(separator: ", "))")
        }
        return a
    }
}
