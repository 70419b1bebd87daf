import Foundation
import PlinthData

/// The file formats the server takes as queries and serves as media, told
/// apart by their first bytes (a client's Content-Type is not trusted).
enum MediaKind: String, CaseIterable, Sendable {
    case png, jpeg, wav, ogg, flac

    /// The kind of a whole file's bytes, or nil for anything else.
    init?(sniffing bytes: some Collection<UInt8>) {
        let head = Array(bytes.prefix(12))
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<offset + magic.count]) == magic
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { self = .png }
        else if starts([0xFF, 0xD8, 0xFF]) { self = .jpeg }
        else if starts(Array("RIFF".utf8)) && starts(Array("WAVE".utf8), at: 8) { self = .wav }
        else if starts(Array("OggS".utf8)) { self = .ogg }
        else if starts(Array("fLaC".utf8)) { self = .flac }
        else { return nil }
    }

    /// The kind of a file on disk, by its extension.
    init?(path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        case "wav": self = .wav
        case "ogg": self = .ogg
        case "flac": self = .flac
        default: return nil
        }
    }

    var field: Field { self == .png || self == .jpeg ? .image : .audio }

    var contentType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .wav: "audio/wav"
        case .ogg: "audio/ogg"
        case .flac: "audio/flac"
        }
    }
}
