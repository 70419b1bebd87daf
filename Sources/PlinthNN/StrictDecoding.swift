/// A coding key for any string, to list the keys a container actually holds.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws if the current object holds a key that `Keys` does not name, so
    /// a misspelt config field is an error instead of a silently ignored line.
    public func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_: Keys.Type) throws {
        let known = Keys.allCases.map(\.stringValue)
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [key],
                debugDescription: "unknown key '\(key.stringValue)'; valid keys: \(known.joined(separator: ", "))"))
        }
    }
}
