import Foundation

/// Asterisk's English prompts (Debian packages asterisk-core-sounds-en-wav and
/// asterisk-core-sounds-en): about 570 8 kHz WAV recordings of one speaker
/// with their transcripts.
///
/// The transcript list has lines `name: Transcript.` (`name` may hold a
/// subfolder, as `digits/1`; `;` starts a comment). One record per line whose
/// `<soundsDirectory>/<name>.wav` exists: `speech` is the WAV, `text` the
/// transcript, `category` the subfolder or "prompts". Lines without a WAV are
/// counted as skipped ("no_wav"). Splits: seeded 80/10/10 in list order.
public struct Asterisk: DatasetConverter {
    public static let soundsPackage = "asterisk-core-sounds-en-wav"
    public static let transcriptsPackage = "asterisk-core-sounds-en"

    public var soundsDirectory: URL
    /// The transcript list, gzip-compressed when its name ends in `.gz`.
    public var transcripts: URL

    public init(soundsDirectory: URL = URL(fileURLWithPath: "/usr/share/asterisk/sounds/en_US_f_Allison"),
                transcripts: URL = URL(fileURLWithPath: "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")) {
        self.soundsDirectory = soundsDirectory
        self.transcripts = transcripts
    }

    public func convert(into directory: URL, seed: UInt64, progress: ProgressHandler?) throws -> Conversion {
        let fm = FileManager.default
        guard fm.fileExists(atPath: soundsDirectory.path) else {
            throw DataError.missingPackage(Self.soundsPackage, path: soundsDirectory.path)
        }
        var records: [ManifestRecord] = []
        var skipped: [String: Int] = [:]
        for (name, text) in try transcriptLines() {
            let wav = soundsDirectory.appendingPathComponent(name + ".wav").path
            guard fm.fileExists(atPath: wav) else {
                skipped["no_wav", default: 0] += 1
                continue
            }
            let category = name.contains("/") ? String(name.prefix { $0 != "/" }) : "prompts"
            records.append(ManifestRecord(id: "asterisk/" + name, speech: wav, text: text, category: category, split: .train))
        }
        for (i, split) in Seeds.tenPercent(count: records.count, seed: seed).enumerated() { records[i].split = split }
        return Conversion(records: records, skipped: skipped)
    }

    /// `(name, transcript)` pairs in file order; a malformed line or a name
    /// that leaves the sounds folder is an error naming the line.
    func transcriptLines() throws -> [(name: String, text: String)] {
        let path = transcripts.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.missingPackage(Self.transcriptsPackage, path: path)
        }
        let data = path.hasSuffix(".gz") ? try Gzip.decompress(transcripts, limit: 1 << 24) : try read(transcripts)
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError(.corrupt, source: path, "the transcript list is not valid UTF-8")
        }
        var out: [(String, String)] = []
        var seen = Set<String>()
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix(";") { continue }
            func fail(_ message: String) -> DataError { DataError(.corrupt, source: path, line: n + 1, message) }
            guard let colon = line.range(of: ": ") else { throw fail("expected 'name: transcript'") }
            let name = String(line[..<colon.lowerBound])
            let transcript = line[colon.upperBound...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
                throw fail("'\(name)' is not a relative sound name")
            }
            guard !transcript.isEmpty else { throw fail("'\(name)' has an empty transcript") }
            guard seen.insert(name).inserted else { throw fail("'\(name)' is listed twice") }
            out.append((name, transcript))
        }
        return out
    }

    private func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw DataError(.io, source: url.path, "cannot read: \(error.localizedDescription)")
        }
    }
}
