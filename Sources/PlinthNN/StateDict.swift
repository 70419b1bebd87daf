/// Why a state dict does not fit a module. All problems are listed together.
public struct StateDictError: Error, CustomStringConvertible {
    public var missing: [String] = []
    public var unexpected: [String] = []
    /// Key, expected shape, found shape.
    public var mismatched: [(String, [Int], [Int])] = []

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty }

    public var description: String {
        var lines = ["state dict does not match the module:"]
        if !missing.isEmpty { lines.append("  missing keys (\(missing.count)): \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { lines.append("  unexpected keys (\(unexpected.count)): \(unexpected.joined(separator: ", "))") }
        for (k, want, got) in mismatched { lines.append("  shape mismatch for \(k): module has \(want), state dict has \(got)") }
        return lines.joined(separator: "\n")
    }
}

extension Module {
    /// Parameters and buffers by key (the tensors themselves, not copies).
    public func stateDict() -> [String: Tensor] {
        Dictionary(namedTensors(), uniquingKeysWith: { a, _ in a })
    }

    /// Copies values into this module's parameters and buffers in place, so
    /// optimizers holding them stay valid.
    ///
    /// Strict (the default): missing keys, unexpected keys and shape mismatches
    /// are all reported together in one `StateDictError` and nothing is
    /// changed. Non-strict: loads the matching keys, returns the rest as an error
    /// value without throwing.
    @discardableResult
    public func load(stateDict: [String: Tensor], strict: Bool = true) throws -> StateDictError {
        var error = StateDictError()
        let own = namedTensors()
        let ownKeys = Set(own.map(\.0))
        for (key, t) in own {
            guard let src = stateDict[key] else { error.missing.append(key); continue }
            if src.shape != t.shape { error.mismatched.append((key, t.shape, src.shape)) }
        }
        error.unexpected = stateDict.keys.filter { !ownKeys.contains($0) }.sorted()
        if strict && !error.isEmpty { throw error }
        withNoGrad {
            for (key, t) in own {
                if let src = stateDict[key], src.shape == t.shape { t.assign(src) }
            }
        }
        return error
    }
}
