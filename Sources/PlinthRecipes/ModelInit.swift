import Foundation
import PlinthModels
import PlinthNN

/// Where a recipe's model starts: parts of it taken from a pretrained file,
/// optionally locked (frozen, as LiT locks its text tower).
///
/// ```yaml
/// init: {from: assets/pretrained/all-MiniLM-L6-v2, parts: [text], lock: true}
/// ```
public struct InitSection: Codable, Sendable {
    /// A Plinth model file, or anything `plinth import` reads (a Hugging Face
    /// directory, an open_clip state dict). Relative paths are tried against the
    /// working directory, then the repository root.
    public var from: String
    /// The parts to take (default: every part the file has).
    public var parts: Set<ModelPart>?
    /// Whether the taken parts stay frozen in training.
    public var lock: Bool

    enum CodingKeys: String, CodingKey, CaseIterable { case from, parts, lock }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        from = try c.decode(String.self, forKey: .from)
        parts = try c.decodeIfPresent(Set<ModelPart>.self, forKey: .parts)
        lock = try c.decodeIfPresent(Bool.self, forKey: .lock) ?? false
    }

    /// The source path, resolved.
    public var url: URL { Assets.resolve(from) }

    /// The source's tensors under Plinth keys.
    func tensors() throws -> [String: Tensor] {
        let url = self.url
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
           (try? SafetensorsFile(contentsOf: url).metadata["format"]) == ModelFile.format {
            return try SafetensorsFile(contentsOf: url).tensors()
        }
        return try ModelImport(source: url).read().tensors
    }

    /// Copies the parts into `model` and locks them if asked; returns the parts taken.
    /// Every tensor of a taken part must be in the source with the same shape.
    @discardableResult
    public func apply(to model: MultimodalModel, recipe: String) throws -> Set<ModelPart> {
        let source = try tensors()
        let available = Set(source.keys.compactMap(ModelPart.init(key:)))
        let taken = parts ?? available
        let targets = model.namedTensors(of: taken)
        var problems: [String] = []
        for part in taken.sorted(by: { $0.rawValue < $1.rawValue }) where !targets.contains(where: { ModelPart(key: $0.0) == part }) {
            problems.append("the model has no \(part.rawValue) part")
        }
        for (key, t) in targets {
            guard let s = source[key] else { problems.append("\(key) is missing"); continue }
            if s.shape != t.shape { problems.append("\(key) is \(s.shape) in the file, \(t.shape) in the model") }
        }
        guard problems.isEmpty else {
            throw RecipeError(file: recipe, field: "init", message: "'\(url.path)' does not fit: \(problems.prefix(12).joined(separator: "; "))\(problems.count > 12 ? "; ... (\(problems.count) problems)" : "")")
        }
        withNoGrad { for (key, t) in targets { t.assign(source[key]!) } }
        if lock { for (_, t) in targets { t.requiresGrad = false } }
        return taken
    }
}
