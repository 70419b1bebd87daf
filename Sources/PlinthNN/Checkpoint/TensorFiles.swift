import Foundation

extension SafetensorsFile {
    /// The named tensor as Float32 (F16, BF16 and I64 are converted).
    public func tensor(_ name: String) throws -> Tensor {
        let e = try entry(name)
        let t = Tensor(uninitialized: e.shape)
        try copyFloats(name, into: UnsafeMutableBufferPointer(start: t.pointer, count: t.count))
        return t
    }

    /// Every tensor whose name starts with `prefix`, keyed without the prefix.
    public func tensors(prefix: String = "") throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for name in names where name.hasPrefix(prefix) && entries[name] != nil {
            out[String(name.dropFirst(prefix.count))] = try tensor(name)
        }
        return out
    }
}

/// Storage precision for saved tensors; compute stays Float32.
public enum SavedPrecision: String, Codable, Sendable {
    case f32, f16, bf16
}

/// Writes tensors to a safetensors file atomically (temporary file, then rename).
public func saveTensors(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:],
                        precision: SavedPrecision = .f32) throws {
    let entries = tensors.sorted { $0.key < $1.key }.map { name, t -> SafetensorsWriter.Tensor in
        let values = t.toArray()
        switch precision {
        case .f32: return .f32(name, shape: t.shape, values)
        case .f16: return .f16(name, shape: t.shape, values)
        case .bf16: return .bf16(name, shape: t.shape, values)
        }
    }
    try writeSafetensors(to: url, tensors: entries, metadata: metadata)
}

extension Module {
    /// Saves parameters and buffers under their state-dict keys.
    public func save(to url: URL, metadata: [String: String] = [:], precision: SavedPrecision = .f32) throws {
        try saveTensors(stateDict(), to: url, metadata: metadata, precision: precision)
    }

    /// Loads a safetensors file written by `save` (or by PyTorch with the same
    /// keys), strictly by default.
    public func load(from url: URL, strict: Bool = true) throws {
        try load(stateDict: SafetensorsFile(contentsOf: url).tensors(), strict: strict)
    }
}
