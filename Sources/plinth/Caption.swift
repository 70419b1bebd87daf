import ArgumentParser
import Foundation
import Plinth

struct Caption: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe images and sounds in words with a model's caption head.",
        discussion: """
            Prints each file's caption and its log-probability under the model. Images (png, jpg) and \
            sounds (wav, ogg, flac) are accepted; a spoken clip gets its transcript, a sound effect a \
            description, as far as the head was trained on such data. Decoding is beam search \
            (--beams 1: greedy); --sample draws with nucleus sampling instead.
            """)

    @Argument(help: "Image and sound files or folders.") var files: [String]
    @Option(help: "Beam width (1: greedy; default 3, or 1 with --sample).") var beams: Int?
    @Option(name: .customLong("max-len"), help: "Most tokens to generate.") var maxLength: Int = 20
    @Option(name: .customLong("min-len"), help: "Fewest tokens before the caption may end.") var minLength: Int = 0
    @Option(name: .customLong("length-penalty"), help: "Beam score = log p / length^this.") var lengthPenalty: Double = 1
    @Option(name: .customLong("no-repeat-ngram"), help: "Forbid repeating any n-gram of this size (0: off).") var noRepeatNgram: Int = 0
    @Flag(help: "Nucleus sampling instead of search.") var sample = false
    @Option(help: "Sampling temperature.") var temperature: Double = 1
    @Option(name: .customLong("top-p"), help: "Sampling nucleus mass.") var topP: Double = 0.9
    @Option(help: "Sampling seed.") var seed: UInt64 = 0
    @Option(help: "Model file with a caption head (default: the shipped model).") var model: String?

    func run() throws {
        let captioner = try Captioner(modelFile: model.map { URL(fileURLWithPath: $0) } ?? Assets.defaultModel)
        let options = DecodingOptions(beams: beams ?? (sample ? 1 : 3), maxLength: maxLength, minLength: minLength,
                                      lengthPenalty: lengthPenalty, noRepeatNgram: noRepeatNgram, sample: sample,
                                      temperature: temperature, topP: topP)
        let paths = try MediaFiles.collect(files)
        guard !paths.isEmpty else { throw ValidationError("no image or sound files in \(files.joined(separator: " "))") }
        for path in paths {
            let field = MediaFiles.field(of: path)!
            let caption = try captioner.caption(records: [MediaFiles.record(path, as: field)], field: field, options: options, seed: seed)[0]
            print("\(path)\t\(caption.text)\t" + String(format: "log p = %.2f", caption.logProbability)
                  + (caption.finished ? "" : " (cut at --max-len)"))
        }
    }
}
