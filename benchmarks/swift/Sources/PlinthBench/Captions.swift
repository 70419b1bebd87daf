import Foundation
import Plinth

/// Plinth's side of benchmarks/captioning/run.sh, the counterpart of benchmarks/captioning/peer.py:
///
///   plinth-bench captions --conditions FILE [--model MODEL.safetensors] [--beams 1]
///                         [--max-length 20] [--repeat 5]
///
/// FILE is a safetensors file holding `conditions` [N, E] (joint embeddings). The model file's
/// caption head (`ModelFile.loadWithHeads`) decodes each row on its own, as `Captioner` does:
/// `CaptionHead.caption(condition: [1, E], ...)` from the decoder tokenizer's start token to
/// its end token, greedy (beams 1) or beam search, with the default length penalty 1 and no
/// length or n-gram constraints. One untimed warm-up pass runs, then R passes over all N rows
/// are timed. Prints one `JSON {...}` line with peer.py's fields: captions/s of the best pass,
/// and the best sequence of each row (tokens without start and end, log-probability, finished).
func benchmarkCaptions(_ args: ArraySlice<String>) throws {
    func value(_ name: String) -> String? {
        guard let i = args.firstIndex(of: name), i + 1 < args.endIndex else { return nil }
        return args[i + 1]
    }
    let modelPath = value("--model") ?? "assets/model/model.safetensors"
    let beams = value("--beams").flatMap { Int($0) } ?? 1
    let maxLength = value("--max-length").flatMap { Int($0) } ?? 20
    let repeats = value("--repeat").flatMap { Int($0) } ?? 5
    guard let conditionsPath = value("--conditions"), repeats > 0 else {
        print("usage: plinth-bench captions --conditions FILE [--model MODEL.safetensors] [--beams B]"
              + " [--max-length L] [--repeat R]")
        exit(2)
    }

    let t0 = now()
    let loaded = try ModelFile.loadWithHeads(URL(fileURLWithPath: modelPath))
    guard let head = loaded.caption, let section = loaded.card.caption else { throw CaptionError("\(modelPath) has no caption head") }
    let tokenizer = try section.tokenizer(fallback: nil, file: modelPath)
    let loadSeconds = now() - t0
    let conditions = try SafetensorsFile(contentsOf: URL(fileURLWithPath: conditionsPath)).tensor("conditions")  // [N, E]
    let n = conditions.shape[0]
    precondition(conditions.rank == 2 && n > 0, "conditions must be [N, E] with N > 0, got \(conditions.shape)")

    let options = DecodingOptions(beams: beams, maxLength: maxLength)
    var generator = RandomGenerator(seed: 0)   // unused: no sampling
    func pass() throws -> [DecodedSequence] {
        try (0..<n).map { i in
            try head.caption(condition: conditions.narrow(0, i, 1), start: tokenizer.startOfText, end: tokenizer.endOfText,
                             options: options, generator: &generator)[0]
        }
    }
    let best = try pass()   // warm-up: allocator, OpenBLAS buffers
    var times: [Double] = []
    for _ in 0..<repeats {
        let t0 = now()
        _ = try pass()
        times.append(now() - t0)
    }
    let fastest = times.min()!
    func rounded(_ x: Double, _ places: Double) -> Double { (x * pow(10, places)).rounded() / pow(10, places) }
    emit([
        "peer": "plinth \(PlinthInfo.version)", "threads": Threads.count, "beams": beams, "max_length": maxLength,
        "items": n, "start": tokenizer.startOfText, "end": tokenizer.endOfText,
        "best_s": rounded(fastest, 6), "median_s": rounded(median(times), 6),
        "captions_per_s": rounded(Double(n) / fastest, 3), "load_s": rounded(loadSeconds, 3),
        "tokens": best.map(\.tokens), "log_probs": best.map { rounded($0.logProbability, 6) },
        "finished": best.map(\.finished),
    ])
}
