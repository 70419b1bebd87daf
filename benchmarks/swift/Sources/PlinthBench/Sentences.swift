import Foundation
import Plinth

/// Plinth's side of benchmarks/minilm/run.sh, the counterpart of benchmarks/minilm/peer.py:
///
///   plinth-bench sentences (--model MODEL.safetensors | --import HF_DIR) --sentences FILE
///                          [--batch-size 32] [--repeat 5]
///
/// `--import` translates a Hugging Face / sentence-transformers directory (all-MiniLM-L6-v2)
/// with `ModelImport` into a temporary folder first, untimed, and removes it at the end.
/// FILE holds one sentence per line (split as Python's str.splitlines, nothing stripped or
/// skipped). The Embedder is loaded once, one untimed warm-up pass runs, then R passes of
/// `embed(texts:)` over all sentences are timed; tokenization is inside the timed region, as it
/// is in sentence-transformers' encode. Prints one `JSON {...}` line with peer.py's fields.
func benchmarkSentences(_ args: ArraySlice<String>) throws {
    func value(_ name: String) -> String? {
        guard let i = args.firstIndex(of: name), i + 1 < args.endIndex else { return nil }
        return args[i + 1]
    }
    let batchSize = value("--batch-size").flatMap { Int($0) } ?? 32
    let repeats = value("--repeat").flatMap { Int($0) } ?? 5
    guard let sentencesPath = value("--sentences"), batchSize > 0, repeats > 0,
          value("--model") != nil || value("--import") != nil else {
        print("usage: plinth-bench sentences (--model MODEL.safetensors | --import HF_DIR) --sentences FILE"
              + " [--batch-size B] [--repeat R]")
        exit(2)
    }

    var modelURL = value("--model").map { URL(fileURLWithPath: $0) }
    var temporary: URL?
    defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
    var importSeconds: Double?
    if modelURL == nil, let source = value("--import") {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-bench-import-\(UUID().uuidString)")
        temporary = dir
        let t0 = now()
        modelURL = try ModelImport(source: URL(fileURLWithPath: source)).write(to: dir).model
        importSeconds = now() - t0
    }

    let text = try String(contentsOfFile: sentencesPath, encoding: .utf8)
    var sentences = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    if text.last?.isNewline == true { sentences.removeLast() }   // splitlines: no empty row after the last newline
    precondition(!sentences.isEmpty, "no sentences in \(sentencesPath)")

    let t0 = now()
    var embedder = try Embedder(modelFile: modelURL!)
    embedder.batchSize = batchSize
    let loadSeconds = now() - t0

    let warm = try embedder.embed(texts: sentences)   // warm-up: allocator, OpenBLAS buffers, page cache
    precondition(warm.shape.first == sentences.count, "embed returned \(warm.shape) for \(sentences.count) sentences")
    var times: [Double] = []
    for _ in 0..<repeats {
        let t0 = now()
        _ = try embedder.embed(texts: sentences)
        times.append(now() - t0)
    }
    let best = times.min()!
    func rounded(_ x: Double, _ places: Double) -> Double { (x * pow(10, places)).rounded() / pow(10, places) }
    var fields: [String: Any] = [
        "peer": "plinth \(PlinthInfo.version)", "threads": Threads.count, "batch_size": batchSize,
        "sentences": sentences.count, "best_s": rounded(best, 6), "median_s": rounded(median(times), 6),
        "sentences_per_s": rounded(Double(sentences.count) / best, 3), "dim": warm.shape.last ?? 0,
        "load_s": rounded(loadSeconds, 3),
    ]
    if let importSeconds { fields["import_s"] = rounded(importSeconds, 3) }
    emit(fields)
}
