import Foundation
import Yams

/// A named preset of one modality card (modalities/<modality>.yaml): the
/// constants a preprocessing pipeline uses. Keys are snake_case, as in the file.
public protocol ModalityPreset: Decodable, Sendable {
    /// The card's file name without extension ("image").
    static var modality: String { get }
    /// Every field a preset may set.
    static var fields: [String] { get }
}

/// Why a card could not be used; names the file, preset and field.
public struct ModalityCardError: Error, CustomStringConvertible {
    public let file: String
    public let message: String
    public var description: String { "modality card '\(file)': \(message)" }
}

/// Loads presets from the cards in `modalities/`.
public enum ModalityCards {
    /// `PLINTH_MODALITIES` if set, else the `modalities/` folder of the Plinth
    /// source tree this module was built from (a checkout or a dependency's).
    public static var directory: URL {
        if let env = ProcessInfo.processInfo.environment["PLINTH_MODALITIES"] { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("modalities")
    }

    /// The names of the presets in a card.
    public static func presets(_ modality: String, directory: URL = directory) throws -> [String] {
        try presetNodes(modality, directory: directory).nodes.keys.sorted()
    }

    /// Loads `preset` from the card of `P.modality`. An unknown preset or an
    /// unknown field is an error that lists the valid ones.
    public static func load<P: ModalityPreset>(_ type: P.Type, preset: String, directory: URL = directory) throws -> P {
        let (file, nodes) = try presetNodes(P.modality, directory: directory)
        func fail(_ message: String) -> ModalityCardError { ModalityCardError(file: file, message: message) }
        guard let node = nodes[preset] else {
            throw fail("no preset '\(preset)'; valid presets: \(nodes.keys.sorted().joined(separator: ", "))")
        }
        guard let mapping = node.mapping else { throw fail("preset '\(preset)' is not a mapping") }
        let unknown = mapping.keys.compactMap(\.string).filter { !P.fields.contains($0) }
        if !unknown.isEmpty {
            throw fail("preset '\(preset)' has unknown field(s) \(unknown.joined(separator: ", ")); valid fields: \(P.fields.joined(separator: ", "))")
        }
        do {
            return try YAMLDecoder().decode(P.self, from: node)
        } catch let DecodingError.keyNotFound(key, _) {
            throw fail("preset '\(preset)' lacks field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw fail("preset '\(preset)' field '\(field)': \(context.debugDescription)")
        }
    }

    private static func presetNodes(_ modality: String, directory: URL) throws -> (file: String, nodes: [String: Node]) {
        let url = directory.appendingPathComponent("\(modality).yaml")
        let file = url.path
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ModalityCardError(file: file, message: "cannot read the card (set PLINTH_MODALITIES to the modalities/ folder)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ModalityCardError(file: file, message: "invalid YAML: \(error)")
        }
        guard let presets = root?["presets"]?.mapping else {
            throw ModalityCardError(file: file, message: "expected a top-level 'presets' mapping")
        }
        var nodes: [String: Node] = [:]
        for (key, value) in presets { if let name = key.string { nodes[name] = value } }
        return (file, nodes)
    }
}
