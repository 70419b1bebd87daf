import Foundation
import Plinth

/// Decodes and preprocesses every file of a folder as a training input
/// pipeline would: images to the CLIP 224 input, audio to ImageBind fbank,
/// files spread over `Threads.count` threads. Reports items per second.
func benchmarkFrontEnd(_ kind: String, folder: String) throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { folder + "/" + $0 }
    let run: () throws -> Void
    switch kind {
    case "images":
        let transform = try ImageTransform(preset: ModalityCards.load(ImagePreset.self, preset: "clip"))
        run = { _ = try transform.batch(contentsOf: files) }
    case "audio":
        let pipeline = try AudioPipeline(preset: ModalityCards.load(AudioPreset.self, preset: "imagebind"))
        run = {
            nonisolated(unsafe) var failure: Error?
            Threads.parallelFor(files.count) { range in
                for i in range {
                    do { _ = try pipeline(contentsOf: URL(fileURLWithPath: files[i])) } catch { failure = error }
                }
            }
            if let failure { throw failure }
        }
    default:
        fatalError("front end must be images or audio")
    }
    try run()  // warm-up: page cache, buffer cache
    var times: [Double] = []
    for _ in 0..<3 {
        let t0 = now()
        try run()
        times.append(now() - t0)
    }
    emit(["name": kind, "files": files.count, "threads": Threads.count, "items_per_s": Double(files.count) / median(times)])
}
