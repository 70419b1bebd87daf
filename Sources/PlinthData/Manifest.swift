import Foundation

/// Reads and writes JSONL manifests: one ``ManifestRecord`` per line.
///
/// Reading validates every line and throws a ``DataError`` naming the file,
/// the 1-based line and the field (bad JSON, a missing `id` or `split`, an
/// unknown split, an unknown key, a duplicate id). Blank lines are skipped.
/// Relative paths in `image`, `audio` and `speech` are resolved against the
/// manifest's folder. Writing is atomic: a temporary file renamed into place.
public enum Manifest {
    /// Longest accepted line in bytes.
    public static let maxLineBytes = 1 << 16
    /// Most records accepted in one manifest.
    public static let maxRecords = 10_000_000

    /// The records of the manifest at `url`, in file order.
    public static func read(from url: URL) throws -> [ManifestRecord] {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw DataError(.io, source: path, "cannot read the manifest: \(error.localizedDescription)")
        }
        let base = url.deletingLastPathComponent().path
        let decoder = JSONDecoder()
        var records: [ManifestRecord] = []
        var ids = Set<String>()
        var lineNumber = 0
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base0 = raw.baseAddress else { return }
            var start = 0
            while start < raw.count {
                lineNumber += 1
                let end = memchr(base0 + start, 0x0A, raw.count - start).map { UnsafeRawPointer($0) - base0 } ?? raw.count
                defer { start = end + 1 }
                guard end - start <= maxLineBytes else {
                    throw DataError(.tooLarge, source: path, line: lineNumber, "line is \(end - start) bytes; the limit is \(maxLineBytes)")
                }
                let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                guard records.count < maxRecords else {
                    throw DataError(.tooLarge, source: path, line: lineNumber, "more than \(maxRecords) records")
                }
                var record = try decode(Data(line), decoder: decoder, path: path, line: lineNumber)
                guard ids.insert(record.id).inserted else {
                    throw DataError(.invalidManifest, source: path, line: lineNumber, field: "id", "duplicate id '\(record.id)'")
                }
                record.image = record.image.map { resolve($0, base) }
                record.audio = record.audio.map { resolve($0, base) }
                record.speech = record.speech.map { resolve($0, base) }
                records.append(record)
            }
        }
        return records
    }

    /// Writes `records` to `url` atomically, creating the folder if needed.
    public static func write(_ records: [ManifestRecord], to url: URL) throws {
        var text = ""
        for r in records { text += r.jsonLine + "\n" }
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    static func decode(_ line: Data, decoder: JSONDecoder, path: String, line n: Int) throws -> ManifestRecord {
        func fail(_ field: [CodingKey], _ message: String) -> DataError {
            DataError(.invalidManifest, source: path, line: n, field: field.first?.stringValue, message)
        }
        do {
            return try decoder.decode(ManifestRecord.self, from: line)
        } catch let e as ManifestRecord.FieldError {
            throw DataError(.invalidManifest, source: path, line: n, field: e.field, e.message)
        } catch DecodingError.keyNotFound(let key, _) {
            throw fail([key], "required field is missing")
        } catch DecodingError.valueNotFound(_, let context) {
            throw fail(context.codingPath, "must not be null")
        } catch DecodingError.typeMismatch(let type, let context) {
            if context.codingPath.isEmpty { throw fail([], "a line must be one JSON object") }
            throw fail(context.codingPath, "wrong type, expected \(type)")
        } catch DecodingError.dataCorrupted(let context) {
            if context.codingPath.isEmpty { throw fail([], "invalid JSON (\(context.debugDescription))") }
            throw fail(context.codingPath, context.debugDescription)
        }
    }

    static func resolve(_ path: String, _ base: String) -> String {
        path.hasPrefix("/") ? path : base + "/" + path
    }
}
