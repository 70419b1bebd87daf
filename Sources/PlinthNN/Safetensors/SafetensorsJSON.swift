// The strict JSON reader behind safetensors headers.

/// A parsed JSON value. Numbers keep their source text so integers are exact.
indirect enum JSONValue: Sendable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// The value as an `Int`, if it is a JSON integer (no fraction or exponent) that fits.
    var integer: Int? {
        guard case .number(let text) = self, !text.contains(where: { ".eE".contains($0) }) else { return nil }
        return Int(text)
    }

    var kindDescription: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string(let text): "the string \"\(Self.abbreviated(text))\""
        case .number(let text): "the number \(Self.abbreviated(text))"
        case .bool(let value): "\(value)"
        case .null: "null"
        }
    }

    private static func abbreviated(_ text: String) -> String {
        text.count > 40 ? text.prefix(40) + "..." : text
    }
}

/// A strict RFC 8259 parser over already UTF-8-validated bytes, with a nesting limit
/// so hostile headers cannot exhaust the stack.
struct JSONParser {
    struct Failure: Error {
        var offset: Int
        var expected: String
        var found: String
    }

    static let maxDepth = 64

    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(Failure) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw failure("end of header after the top-level value") }
        return value
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func failure(_ expected: String) -> Failure {
        let found: String
        if let byte = current {
            found = byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        } else {
            found = "end of header"
        }
        return Failure(offset: index, expected: expected, found: found)
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ description: String) throws(Failure) {
        guard current == byte else { throw failure(description) }
        index += 1
    }

    private mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
        guard depth < Self.maxDepth else { throw failure("at most \(Self.maxDepth) levels of nesting") }
        switch current ?? 0 {  // 0 (end of input) falls to default
        case UInt8(ascii: "{"):
            index += 1
            var members: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if current == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw failure("a string key") }
                let key = try parseString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':'")
                skipWhitespace()
                members.append((key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return .object(members)
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return .array(items)
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw failure("a JSON value")
        }
    }

    private mutating func parseLiteral(_ word: StaticString) throws(Failure) {
        let start = index
        for byte in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard current == byte else { index = start; throw failure("a JSON value") }
            index += 1
        }
    }

    private mutating func parseNumber() throws(Failure) -> JSONValue {
        let start = index
        func digits(_ parser: inout JSONParser) -> Int {
            let first = parser.index
            while let byte = parser.current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { parser.index += 1 }
            return parser.index - first
        }
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else if digits(&self) == 0 {
            throw failure("a digit")
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw failure("a digit after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw failure("a digit in the exponent") }
        }
        return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    /// Parses a string starting at its opening quote.
    private mutating func parseString() throws(Failure) -> String {
        index += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else { throw failure("'\"' closing the string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { throw failure("an escape character") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if 0xD800..<0xDC00 ~= code {
                        guard current == UInt8(ascii: "\\") else { throw failure("'\\u' low surrogate") }
                        index += 1
                        try expect(UInt8(ascii: "u"), "'\\u' low surrogate")
                        let low = try parseHex4()
                        guard 0xDC00..<0xE000 ~= low else { index -= 4; throw failure("a low surrogate (DC00-DFFF)") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { index -= 4; throw failure("a valid Unicode scalar") }
                    utf8.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    index -= 1
                    throw failure("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)")
                }
            case 0x00..<0x20:
                throw failure("an escaped character (control characters must be escaped in strings)")
            default:
                utf8.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
                throw failure("four hex digits after '\\u'")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
