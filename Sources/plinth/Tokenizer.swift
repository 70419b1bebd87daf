import ArgumentParser
import Foundation
import Plinth

struct Tokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a byte-level BPE tokenizer on the captions of datasets and recipes.",
        discussion: """
            The corpus is every training-split caption and label name of the datasets, plus each \
            recipe's prompt templates filled with those label names. Writes a merges file that the \
            `bpe` tokenizer of modalities/text.yaml loads (the `small` preset's is made this way).
            """)

    @Option(name: .customLong("dataset"), help: "A dataset: fashion-mnist, fashion-mnist-spoken, tuxpaint or asterisk (repeatable).")
    var datasets: [String] = []
    @Option(name: .customLong("recipe"), help: "A recipe whose templates join the corpus (repeatable).")
    var recipes: [String] = []
    @Option(help: "Vocabulary size: 512 byte tokens + merges + 2 specials.") var vocabSize = 2048
    @Option(help: "Minimum pair count for a merge.") var minFrequency = 2
    @Option(name: .shortAndLong, help: "The merges file to write.") var output: String
    @Option(help: "Data directory (default $PLINTH_DATA or ~/.cache/plinth/data).") var data: String?

    func run() throws {
        let dataDirectory = data.map { URL(fileURLWithPath: $0) } ?? Datasets.defaultDirectory
        var lines: [String] = [], labels = Set<String>()
        for name in datasets {
            for r in try Manifest.read(from: Datasets.manifest(named: name, dataDirectory: dataDirectory)) where r.split == .train {
                if let t = r.text { lines.append(t) }
                if let l = r.labelName { labels.insert(l) }
            }
        }
        lines += labels.sorted()
        for path in recipes {
            let recipe = try Recipe.load(contentsOf: URL(fileURLWithPath: path)).recipe
            let templates = (recipe.data.templates ?? []) + (recipe.eval.zeroShot?.templates ?? [])
            for template in templates { for label in labels.sorted() { lines.append(template.replacingOccurrences(of: "{}", with: label)) } }
        }
        guard !lines.isEmpty else { throw ValidationError("the corpus is empty: give --dataset or --recipe") }
        let merges = try BPETrainer(vocabularySize: vocabSize, minFrequency: minFrequency).train(lines: lines)
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: output).deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try BPETrainer.saveMerges(merges, to: output)
        print("\(lines.count) lines -> \(merges.count) merges, vocabulary \(BPETrainer.baseSize + merges.count + 2): \(output)")
    }
}
