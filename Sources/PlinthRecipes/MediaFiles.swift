import Foundation
import PlinthAdapters
import PlinthData
import PlinthTensor

/// Image and sound files, sorted into fields by their extension.
public enum MediaFiles {
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
    public static let audioExtensions: Set<String> = ["wav", "ogg", "flac"]

    /// The field a file is embedded as (image or audio), or nil for other files.
    public static func field(of path: String) -> Field? {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        if imageExtensions.contains(ext) { return .image }
        if audioExtensions.contains(ext) { return .audio }
        return nil
    }

    /// Every image and sound file under `paths` (folders walked recursively), sorted.
    ///
    /// - Throws: ``MediaFilesError`` for a path that does not exist, or a file
    ///   named directly that is neither an image nor a sound.
    public static func collect(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw MediaFilesError(description: "no such file or folder: \(path)")
            }
            if !isDirectory.boolValue {
                guard field(of: path) != nil else {
                    throw MediaFilesError(description: "\(path): not an image (png, jpg) or sound (wav, ogg, flac)")
                }
                out.append(path)
                continue
            }
            let walker = FileManager.default.enumerator(atPath: path)
            while let item = walker?.nextObject() as? String {
                let full = (path as NSString).appendingPathComponent(item)
                if field(of: full) != nil { out.append(full) }
            }
        }
        return out.sorted()
    }

    /// A record holding one file as its `field` (image, or audio for sounds and spoken clips).
    public static func record(_ path: String, as field: Field, split: Split = .test) -> ManifestRecord {
        ManifestRecord(id: path, image: field == .image ? path : nil, audio: field == .audio ? path : nil, split: split)
    }

    /// An index entry for a file: its modality, its path and its caption.
    public static func metadata(of path: String) -> EmbeddingIndex.ItemMetadata {
        EmbeddingIndex.ItemMetadata(modality: field(of: path)?.modality.rawValue, path: path, caption: caption(of: path))
    }

    /// The distinct captions of `files`, sorted.
    public static func captions(of files: [String]) -> [String] {
        Array(Set(files.compactMap(caption(of:)))).sorted()
    }

    /// The first line of a Tux Paint-style caption file beside `path` (NAME.txt), if any.
    public static func caption(of path: String) -> String? {
        let txt = URL(fileURLWithPath: path).deletingPathExtension().appendingPathExtension("txt")
        guard let text = try? String(contentsOf: txt, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// A media path that does not exist or is not an image or sound file.
public struct MediaFilesError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public var errorDescription: String? { description }
}

extension Embedder {
    /// Image and sound files -> [N, E] in file order; each field is one batched pass.
    public func embed(files: [String]) throws -> Tensor {
        var rows = [Tensor?](repeating: nil, count: files.count)
        for field in [Field.image, .audio] {
            let picked = files.indices.filter { MediaFiles.field(of: files[$0]) == field }
            guard !picked.isEmpty else { continue }
            let embedded = try embed(records: picked.map { MediaFiles.record(files[$0], as: field) }, field: field)
            for (row, i) in picked.enumerated() { rows[i] = embedded.narrow(0, row, 1) }
        }
        guard rows.allSatisfy({ $0 != nil }) else {
            throw EmbedderError("not an image (png, jpg) or sound (wav, ogg, flac): \(files[rows.firstIndex { $0 == nil }!])")
        }
        return Tensor.concat(rows.map { $0! }, dim: 0)
    }
}
