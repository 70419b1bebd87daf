import Foundation
import PlinthNN

/// JSON for one manifest line: decoding rejects unknown keys and bad values
/// with the field named; encoding writes keys in manifest order.
extension ManifestRecord: Decodable {
    enum Key: String, CodingKey, CaseIterable {
        case id, image, audio, speech, text, label, labelName = "label_name", category, split
    }

    /// Any key of a JSON object, to find the ones a record does not have.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A bad value found after JSON parsing, with the field it belongs to.
    struct FieldError: Error {
        let field: String
        let message: String
    }

    public init(from decoder: Decoder) throws {
        let keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        if let unknown = keys.filter({ Key(stringValue: $0) == nil }).sorted().first {
            throw FieldError(field: unknown, message: "unknown key; valid keys: \(Key.allCases.map(\.stringValue).joined(separator: ", "))")
        }
        let c = try decoder.container(keyedBy: Key.self)
        id = try c.decode(String.self, forKey: .id)
        if id.isEmpty { throw FieldError(field: "id", message: "must not be empty") }
        image = try c.decodeIfPresent(String.self, forKey: .image)
        audio = try c.decodeIfPresent(String.self, forKey: .audio)
        speech = try c.decodeIfPresent(String.self, forKey: .speech)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        label = try c.decodeIfPresent(Int.self, forKey: .label)
        if let label, label < 0 { throw FieldError(field: "label", message: "must be >= 0, got \(label)") }
        labelName = try c.decodeIfPresent(String.self, forKey: .labelName)
        category = try c.decodeIfPresent(String.self, forKey: .category)
        let s = try c.decode(String.self, forKey: .split)
        guard let split = Split(rawValue: s) else {
            throw FieldError(field: "split", message: "'\(s)' is not one of: \(Split.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.split = split
    }

    /// The record as one JSON object on one line (no newline); absent fields are omitted.
    public var jsonLine: String {
        var parts = ["\"id\": \(jsonQuoted(id))"]
        func add(_ key: Key, _ value: String?) { if let value { parts.append("\"\(key.stringValue)\": \(value)") } }
        add(.image, image.map(jsonQuoted))
        add(.audio, audio.map(jsonQuoted))
        add(.speech, speech.map(jsonQuoted))
        add(.text, text.map(jsonQuoted))
        add(.label, label.map(String.init))
        add(.labelName, labelName.map(jsonQuoted))
        add(.category, category.map(jsonQuoted))
        add(.split, jsonQuoted(split.rawValue))
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
