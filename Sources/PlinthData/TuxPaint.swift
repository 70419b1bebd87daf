import Foundation

/// Tux Paint's stamps (Debian package tuxpaint-stamps-default): images with an
/// English caption, many with a sound and some with the caption spoken.
///
/// One record per stamp `<category>/<sub...>/NAME` that has `NAME.txt` and
/// `NAME.png`: `text` is the first line of NAME.txt (trimmed), `image` the
/// PNG, `audio` NAME.ogg when present, `speech` NAME_desc.ogg when present,
/// else (with `synthesizeSpeech`) a WAV spoken by espeak-ng into
/// `<directory>/speech/<category>/<sub...>/NAME.wav`, kept once made.
/// `category` is the top-level folder. Stamps without a PNG are skipped and
/// counted ("svg_only", "no_image", "no_caption"). Splits: seeded 80/10/10
/// over the stamps sorted by path.
public struct TuxPaint: DatasetConverter {
    public static let debianPackage = "tuxpaint-stamps-default"
    /// Largest caption file read.
    public static let maxCaptionBytes = 1 << 20

    public var stampsDirectory: URL
    /// Whether to speak captions that have no recording; false leaves `speech` nil there.
    public var synthesizeSpeech: Bool
    public var synthesizer: SpeechSynthesizer

    public init(stampsDirectory: URL = URL(fileURLWithPath: "/usr/share/tuxpaint/stamps"), synthesizeSpeech: Bool = true,
                synthesizer: SpeechSynthesizer = SpeechSynthesizer()) {
        self.stampsDirectory = stampsDirectory
        self.synthesizeSpeech = synthesizeSpeech
        self.synthesizer = synthesizer
    }

    public func convert(into directory: URL, seed: UInt64, progress: ProgressHandler?) throws -> Conversion {
        let fm = FileManager.default
        let root = stampsDirectory.standardizedFileURL.path
        guard fm.fileExists(atPath: root) else { throw DataError.missingPackage(Self.debianPackage, path: root) }
        var records: [ManifestRecord] = []
        var skipped: [String: Int] = [:]
        var jobs: [(text: String, url: URL)] = []
        for relative in try captionFiles(root) {
            let stem = String(relative.dropLast(4))  // without ".txt"
            let base = root + "/" + stem
            guard fm.fileExists(atPath: base + ".png") else {
                skipped[fm.fileExists(atPath: base + ".svg") ? "svg_only" : "no_image", default: 0] += 1
                continue
            }
            guard let caption = try firstLine(base + ".txt"), !caption.isEmpty else {
                skipped["no_caption", default: 0] += 1
                continue
            }
            var speech = fm.fileExists(atPath: base + "_desc.ogg") ? base + "_desc.ogg" : nil
            if speech == nil, synthesizeSpeech {
                let wav = directory.appendingPathComponent("speech").appendingPathComponent(stem + ".wav")
                if !fm.fileExists(atPath: wav.path) { jobs.append((caption, wav)) }
                speech = wav.path
            }
            records.append(ManifestRecord(
                id: "tuxpaint/" + stem, image: base + ".png", audio: fm.fileExists(atPath: base + ".ogg") ? base + ".ogg" : nil,
                speech: speech, text: caption, category: String(stem.prefix { $0 != "/" }), split: .train))
        }
        if !jobs.isEmpty { try synthesizer.synthesize(jobs, progress: progress) }
        for (i, split) in Seeds.tenPercent(count: records.count, seed: seed).enumerated() { records[i].split = split }
        return Conversion(records: records, skipped: skipped)
    }

    /// Paths of the `.txt` files under `root` in a category folder, relative to it, sorted.
    private func captionFiles(_ root: String) throws -> [String] {
        guard let walk = FileManager.default.enumerator(atPath: root) else {
            throw DataError(.io, source: root, "cannot list the stamps folder")
        }
        var out: [String] = []
        while let path = walk.nextObject() as? String {
            if path.hasSuffix(".txt"), path.contains("/") { out.append(path) }
        }
        return out.sorted()
    }

    /// The first line of a caption file, trimmed.
    private func firstLine(_ path: String) throws -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DataError(.io, source: path, "cannot read the caption file")
        }
        defer { try? handle.close() }
        let data = handle.readData(ofLength: Self.maxCaptionBytes + 1)
        guard data.count <= Self.maxCaptionBytes else {
            throw DataError(.tooLarge, source: path, "caption file exceeds \(Self.maxCaptionBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError(.corrupt, source: path, "caption file is not valid UTF-8")
        }
        return text.split(maxSplits: 1, omittingEmptySubsequences: false, whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}
