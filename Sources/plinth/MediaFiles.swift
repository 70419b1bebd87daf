import ArgumentParser
import Foundation
import Plinth

/// Files named on the command line, sorted into images and sounds by extension.
enum MediaFiles {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
    static let audioExtensions: Set<String> = ["wav", "ogg", "flac"]

    /// The field a file is embedded as, or nil for other files.
    static func field(of path: String) -> Field? {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        if imageExtensions.contains(ext) { return .image }
        if audioExtensions.contains(ext) { return .audio }
        return nil
    }

    /// Every image and sound file under `paths` (folders walked recursively), sorted.
    static func collect(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("no such file or folder: \(path)")
            }
            if !isDirectory.boolValue {
                guard field(of: path) != nil else { throw ValidationError("\(path): not an image (png, jpg) or sound (wav, ogg, flac)") }
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
    static func record(_ path: String, as field: Field, split: Split = .test) -> ManifestRecord {
        ManifestRecord(id: path, image: field == .image ? path : nil, audio: field == .audio ? path : nil, split: split)
    }

    /// The first line of a Tux Paint-style caption file beside `path` (NAME.txt), if any.
    static func caption(of path: String) -> String? {
        let txt = URL(fileURLWithPath: path).deletingPathExtension().appendingPathExtension("txt")
        guard let text = try? String(contentsOf: txt, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// A model file's embedder (default: the shipped model), with learned tokens from `embeds` if given.
func loadEmbedder(_ model: String?, embeds: String?) throws -> Embedder {
    let embedder = try Embedder(modelFile: model.map { URL(fileURLWithPath: $0) } ?? Assets.defaultModel)
    return try embeds.map { try embedder.installing(LearnedEmbeddings.load(URL(fileURLWithPath: $0))) } ?? embedder
}

/// Embeds files by their field, grouped so each field is one batched pass.
func embedFiles(_ files: [String], with embedder: Embedder) throws -> Tensor {
    var rows = [Tensor?](repeating: nil, count: files.count)
    for field in [Field.image, .audio] {
        let picked = files.indices.filter { MediaFiles.field(of: files[$0]) == field }
        guard !picked.isEmpty else { continue }
        let records = picked.map { MediaFiles.record(files[$0], as: field) }
        let embedded = try embedder.embed(records: records, field: field)
        for (row, i) in picked.enumerated() { rows[i] = embedded.narrow(0, row, 1) }
    }
    return Tensor.concat(rows.map { $0! }, dim: 0)
}

/// Builds a dataset's manifest if it is missing, showing speech synthesis progress.
func prepareDataset(_ name: String, in directory: URL) throws {
    let manifest = directory.appendingPathComponent(name).appendingPathComponent("manifest.jsonl")
    guard !FileManager.default.fileExists(atPath: manifest.path) else { return }
    print("building the \(name) manifest in \(manifest.deletingLastPathComponent().path)")
    let summary = try Datasets.build(named: name, dataDirectory: directory) { done, total in
        if done % 50 == 0 || done == total { FileHandle.standardError.write(Data("synthesized speech \(done)/\(total)\n".utf8)) }
    }
    let counts = Split.allCases.map { "\($0.rawValue) \(summary.counts[$0] ?? 0)" }.joined(separator: ", ")
    print("\(name): \(counts)" + (summary.skipped.isEmpty ? "" : "; skipped \(summary.skipped)"))
}
