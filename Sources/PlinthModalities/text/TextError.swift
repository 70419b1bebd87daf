import Foundation

/// Errors thrown by the text front end (tokenizers, vocabularies, the BPE trainer).
///
/// Bad data is a thrown error that names where it went wrong (DESIGN.md section 7):
/// - `invalidUTF8`: raw input bytes that are not UTF-8, with the byte offset of the first bad
///   sequence (0-based, from the start of the input).
/// - `vocabulary`: a missing, unreadable or malformed vocabulary/merges file, with the file
///   path and the 1-based line number (0 when the problem concerns the whole file).
/// - `invalidArgument`: a caller-supplied setting outside its valid range (a context length
///   below 2, a vocabulary size smaller than the byte alphabet, too long an input).
public enum TextError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    case invalidUTF8(offset: Int, reason: String)
    case vocabulary(file: String, line: Int, message: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .invalidUTF8(offset, reason):
            return "invalid UTF-8 at byte offset \(offset): \(reason)"
        case let .vocabulary(file, line, message):
            return line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
        case let .invalidArgument(message):
            return message
        }
    }

    public var errorDescription: String? { description }
}

/// Strict UTF-8 decoding of raw bytes, reporting the offset of the first invalid sequence.
///
/// Rejects what Python's `bytes.decode("utf-8")` (strict) rejects: stray continuation bytes,
/// truncated sequences, overlong forms (C0, C1, E0 80..9F, F0 80..8F), UTF-16 surrogates
/// (ED A0..BF) and scalars above U+10FFFF (F4 90.., F5..FF).
public enum UTF8Validation {
    /// Decodes `bytes` or throws `TextError.invalidUTF8` naming the first bad byte's offset.
    public static func decode<C: Collection>(_ bytes: C) throws -> String where C.Element == UInt8 {
        let b = Array(bytes)
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let need: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            case 0x80...0xBF:
                throw TextError.invalidUTF8(offset: i, reason: String(format: "unexpected continuation byte 0x%02X", c))
            default:
                throw TextError.invalidUTF8(offset: i, reason: String(format: "byte 0x%02X never starts a UTF-8 sequence", c))
            }
            for k in 1...need {
                guard i + k < b.count else {
                    throw TextError.invalidUTF8(offset: i, reason: "truncated \(need + 1)-byte sequence at end of input")
                }
                let d = b[i + k]
                let (l, h) = k == 1 ? (lo, hi) : (UInt8(0x80), UInt8(0xBF))
                guard d >= l && d <= h else {
                    throw TextError.invalidUTF8(
                        offset: i, reason: String(format: "invalid continuation byte 0x%02X at offset %d", d, i + k))
                }
            }
            i += need + 1
        }
        return String(decoding: b, as: UTF8.self)
    }

    /// The text of a vocabulary or merges file (`what` names it in errors): a missing file or
    /// invalid UTF-8 throws `TextError.vocabulary` with the file and line.
    static func readVocabulary(path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextError.vocabulary(
                file: path, line: 0, message: "cannot read the \(what) (run scripts/setup.sh to fetch vocabularies)")
        }
        do {
            return try decode(data)
        } catch let TextError.invalidUTF8(offset, reason) {
            let line = data.prefix(offset).reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw TextError.vocabulary(file: path, line: line, message: "not UTF-8 (byte offset \(offset): \(reason))")
        }
    }
}
