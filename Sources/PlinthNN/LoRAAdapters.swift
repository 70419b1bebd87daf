import Foundation

/// Where LoRA adapters go and their size. JSON keys `rank`, `alpha`, `targets`;
/// unknown keys are rejected.
///
/// A target is a dotted key suffix matched on whole segments, `*` standing for
/// any one segment: `mlp.c_fc` matches every Linear whose key ends in `.mlp.c_fc`,
/// `visual.transformer.resblocks.*.attn.out_proj` only the vision tower's. A
/// target ending in `in_proj` names a MultiheadAttention's packed in-projection
/// (`attn.in_proj` for the module at `...attn`).
public struct LoRAConfig: Codable, Equatable, Sendable {
    public var rank: Int
    public var alpha: Float
    public var targets: [String]

    /// PEFT's defaults: r = 8, lora_alpha = 8.
    public init(rank: Int = 8, alpha: Float = 8, targets: [String] = LoRAConfig.transformerTargets) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
    }

    /// The four projections of every open_clip-style transformer block.
    public static let transformerTargets = ["attn.in_proj", "attn.out_proj", "mlp.c_fc", "mlp.c_proj"]

    private enum CodingKeys: String, CodingKey, CaseIterable { case rank, alpha, targets }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(rank: try c.decode(Int.self, forKey: .rank), alpha: try c.decode(Float.self, forKey: .alpha),
                  targets: try c.decode([String].self, forKey: .targets))
    }
}

/// Why adapters could not be attached, saved or loaded.
public struct LoRAError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public enum Kind: Sendable, Equatable {
        case invalidConfig, unmatchedTargets, alreadyAdapted, fileMismatch
    }
    public let kind: Kind
    public let description: String
    public var errorDescription: String? { description }
}

/// LoRA adapters attached to a model's Linear layers and attention in-projections
/// by ``LoRAConfig``, with the base model frozen (PEFT's `get_peft_model`).
///
/// Adapter keys are `<layer key>.lora_A.weight` [r, I] and `<layer key>.lora_B.weight`
/// [O, r]; an in-projection's layer key is `<attention key>.in_proj`. The model's
/// own keys and state dict do not change. Train with an optimizer over
/// ``parameters`` (or ``parameterGroup(weightDecay:)``).
///
/// Several sets may adapt disjoint layers of one model; detach them in reverse
/// order, since each restores the requiresGrad flags it found when attaching.
public final class LoRAAdapters {
    /// A layer weight that can carry an adapter.
    private enum Host {
        case linear(Linear)
        case inProj(MultiheadAttention)

        var weight: Tensor {
            switch self {
            case .linear(let l): l.weight
            case .inProj(let a): a.inProjWeight
            }
        }
        var lora: LoRA? {
            get {
                switch self {
                case .linear(let l): l.lora
                case .inProj(let a): a.inProjLoRA
                }
            }
            nonmutating set {
                switch self {
                case .linear(let l): l.lora = newValue
                case .inProj(let a): a.inProjLoRA = newValue
                }
            }
        }
    }

    public let config: LoRAConfig
    /// The adapters under their layer keys, in the model's module order.
    public var adapters: [(key: String, lora: LoRA)] { sites.map { ($0.key, $0.lora) } }
    public private(set) var isAttached = true

    private let sites: [(key: String, lora: LoRA, host: Host)]
    /// Every base parameter with the requiresGrad it had before attaching.
    private let baseGradFlags: [(Tensor, Bool)]

    /// Attaches a fresh adapter (A Kaiming-uniform, B zero) to every layer a
    /// target matches and freezes all of `model`'s parameters.
    ///
    /// - Throws: ``LoRAError`` for a rank below 1, a non-finite alpha, no targets,
    ///   targets that match nothing (listing the model's candidate keys), or a
    ///   layer that already has an adapter. The model is unchanged on error.
    public init(attachingTo model: any Module, config: LoRAConfig, generator: RandomGenerator = .default) throws {
        guard config.rank >= 1, config.alpha.isFinite, !config.targets.isEmpty else {
            throw LoRAError(kind: .invalidConfig, description:
                "LoRA config needs rank >= 1, a finite alpha and at least one target; got rank \(config.rank), alpha \(config.alpha), targets \(config.targets)")
        }
        var candidates: [(key: String, host: Host)] = []
        var seen = Set<ObjectIdentifier>()
        for (key, module) in model.namedModules() where seen.insert(ObjectIdentifier(module)).inserted {
            if let linear = module as? Linear { candidates.append((key, .linear(linear))) }
            if let attention = module as? MultiheadAttention { candidates.append((Self.join(key, "in_proj"), .inProj(attention))) }
        }
        let unmatched = config.targets.filter { t in !candidates.contains { Self.matches($0.key, target: t) } }
        guard unmatched.isEmpty else {
            var patterns: [String] = []
            for c in candidates {
                let p = c.key.split(separator: ".").map { Int($0) == nil ? String($0) : "*" }.joined(separator: ".")
                if !patterns.contains(p) { patterns.append(p) }
            }
            throw LoRAError(kind: .unmatchedTargets, description:
                "LoRA targets \(unmatched.map { "\"\($0)\"" }.joined(separator: ", ")) match no layer; targets are key suffixes of Linear layers or of attention in-projections (`<attn>.in_proj`), `*` for any one segment; this model's \(candidates.count) candidates: \(patterns.isEmpty ? "none" : patterns.joined(separator: ", "))")
        }
        let chosen = candidates.filter { c in config.targets.contains { Self.matches(c.key, target: $0) } }
        if let taken = chosen.first(where: { $0.host.lora != nil }) {
            throw LoRAError(kind: .alreadyAdapted, description: "LoRA: layer \"\(taken.key)\" already has an adapter; detach the other adapters first")
        }
        sites = chosen.map { c in
            let w = c.host.weight
            let lora = LoRA(inFeatures: w.shape[1], outFeatures: w.shape[0], rank: config.rank, alpha: config.alpha,
                            generator: generator)
            c.host.lora = lora
            return (c.key, lora, c.host)
        }
        self.config = config
        baseGradFlags = model.parameters().map { ($0, $0.requiresGrad) }
        model.freeze()
    }

    /// Every adapter parameter under its key (`<layer key>.lora_A.weight`, ...).
    public var namedParameters: [(String, Tensor)] {
        sites.flatMap { site in site.lora.namedParameters().map { (Self.join(site.key, $0.0), $0.1) } }
    }

    public var parameters: [Tensor] { namedParameters.map(\.1) }

    /// r * (I + O) summed over the adapters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// The adapter parameters as one optimizer group, keyed as ``namedParameters``.
    public func parameterGroup(weightDecay: Float = 0) -> ParameterGroup {
        ParameterGroup(namedParameters, weightDecay: weightDecay)
    }

    /// Folds every adapter into its layer weight (W += scale * B A); traps if one is merged already.
    public func mergeAll() {
        checkAttached("mergeAll")
        for site in sites { site.lora.merge(into: site.host.weight) }
    }

    /// Takes every adapter out of its layer weight; traps if one is not merged.
    public func unmergeAll() {
        checkAttached("unmergeAll")
        for site in sites { site.lora.unmerge(from: site.host.weight) }
    }

    /// Removes the adapters, unmerging any that are merged, and restores each base
    /// parameter's requiresGrad: the model is its base again (within float rounding).
    public func detach() {
        checkAttached("detach")
        for site in sites where site.lora.isMerged { site.lora.unmerge(from: site.host.weight) }
        release()
    }

    /// Merges the adapters that are not merged yet and removes them, leaving their
    /// updates in the base weights (PEFT's `merge_and_unload`).
    public func mergeAndDetach() {
        checkAttached("mergeAndDetach")
        for site in sites where !site.lora.isMerged { site.lora.merge(into: site.host.weight) }
        release()
    }

    private func release() {
        for site in sites { site.host.lora = nil }
        for (p, flag) in baseGradFlags { p.requiresGrad = flag }
        isAttached = false
    }

    private func checkAttached(_ op: String) {
        precondition(isAttached, "LoRAAdapters.\(op): the adapters were already detached from the model")
    }

    // MARK: - Files

    /// The metadata key holding the ``LoRAConfig`` as JSON.
    public static let configMetadataKey = "lora_config"

    /// Writes the adapter parameters to a safetensors file (atomically), with the
    /// config as JSON under ``configMetadataKey`` and `format` = `plinth-lora/1`
    /// added to `metadata` (overriding those keys).
    public func save(to url: URL, metadata: [String: String] = [:], precision: SavedPrecision = .f32) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var meta = metadata
        meta[Self.configMetadataKey] = String(decoding: try encoder.encode(config), as: UTF8.self)
        meta["format"] = "plinth-lora/1"
        try saveTensors(Dictionary(uniqueKeysWithValues: namedParameters), to: url, metadata: meta, precision: precision)
    }

    /// The config stored in an adapter file written by ``save(to:metadata:precision:)``.
    public static func config(from url: URL) throws -> LoRAConfig {
        let file = try SafetensorsFile(contentsOf: url)
        guard let config = try config(in: file) else {
            throw LoRAError(kind: .fileMismatch, description: "LoRA adapter file '\(url.path)': no \"\(configMetadataKey)\" in its metadata")
        }
        return config
    }

    /// The file's stored config; nil when it has none.
    private static func config(in file: SafetensorsFile) throws -> LoRAConfig? {
        guard let json = file.metadata[configMetadataKey] else { return nil }
        do {
            return try JSONDecoder().decode(LoRAConfig.self, from: Data(json.utf8))
        } catch {
            throw LoRAError(kind: .fileMismatch, description: "LoRA adapter file '\(file.url.path)': metadata \"\(configMetadataKey)\" is not a LoRA config: \(error)")
        }
    }

    /// Copies an adapter file's tensors into the adapters, in place (optimizers
    /// holding them stay valid); merged adapters stay merged with the new values.
    ///
    /// Strict: missing keys, unexpected keys, shape mismatches and a stored rank or
    /// alpha that differs from ``config`` are reported together in one ``LoRAError``
    /// naming the file, and nothing changes.
    public func load(from url: URL) throws {
        checkAttached("load")
        let file = try SafetensorsFile(contentsOf: url)
        let own = namedParameters
        var problems = StateDictError()
        for (key, t) in own {
            guard let entry = file.entries[key] else {
                // A tensor of an unreadable dtype is reported by `file.tensor` below.
                if file.unsupportedDTypes[key] == nil { problems.missing.append(key) }
                continue
            }
            if entry.shape != t.shape { problems.mismatched.append((key, t.shape, entry.shape)) }
        }
        let ownKeys = Set(own.map(\.0))
        problems.unexpected = file.names.filter { !ownKeys.contains($0) }
        var lines = problems.isEmpty ? [] : Array(problems.description.split(separator: "\n").dropFirst().map(String.init))
        if let saved = try Self.config(in: file), saved.rank != config.rank || saved.alpha != config.alpha {
            lines.append("  saved with rank \(saved.rank), alpha \(saved.alpha); the adapters have rank \(config.rank), alpha \(config.alpha)")
        }
        guard lines.isEmpty else {
            throw LoRAError(kind: .fileMismatch, description:
                (["LoRA adapter file '\(url.path)' does not fit the attached adapters:"] + lines).joined(separator: "\n"))
        }
        var values = try own.map { try file.tensor($0.0) }.makeIterator()  // in `sites` order
        for site in sites {
            let merged = site.lora.isMerged
            if merged { site.lora.unmerge(from: site.host.weight) }
            for t in site.lora.parameters() { t.assign(values.next()!) }
            if merged { site.lora.merge(into: site.host.weight) }
        }
    }

    // MARK: - Keys

    private static func join(_ prefix: String, _ key: String) -> String {
        prefix.isEmpty ? key : "\(prefix).\(key)"
    }

    /// Whether `target`'s segments equal the last segments of `key` (`*` matches any one).
    static func matches(_ key: String, target: String) -> Bool {
        let k = key.split(separator: ".", omittingEmptySubsequences: false)
        let t = target.split(separator: ".", omittingEmptySubsequences: false)
        guard !target.isEmpty, t.count <= k.count else { return false }
        return zip(k.suffix(t.count), t).allSatisfy { $1 == "*" || $0 == $1 }
    }
}
