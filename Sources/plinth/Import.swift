import ArgumentParser
import Foundation
import Plinth

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn pretrained weights (Hugging Face or open_clip) into a Plinth model folder.",
        discussion: """
            SOURCE is a Hugging Face model directory (config.json, model.safetensors, tokenizer files): \
            a BERT-family encoder as sentence-transformers saves it (pooling and normalization from \
            modules.json and 1_Pooling/config.json) or a CLIPModel; or an open_clip state dict with \
            OpenAI ViT naming in a .safetensors file. Writes OUT/model.safetensors, whose card records \
            the config, tokenizer, presets and source, and the tokenizer files beside it. Then:
              plinth embed --model OUT/model.safetensors --text "a sentence"
            """)

    @Argument(help: "The model directory or state-dict file.") var source: String
    @Option(name: .shortAndLong, help: "The folder to write.") var output: String
    @Option(help: "bert, hf_clip or open_clip (default: from config.json; a file is open_clip).") var format: ImportFormat?
    @Option(help: "open_clip: vision heads (default width / 64, OpenAI's rule).") var visionHeads: Int?
    @Option(help: "open_clip: text heads (default width / 64).") var textHeads: Int?
    @Option(help: "open_clip: quick_gelu (OpenAI's weights, the default) or gelu (most open_clip-trained ones).")
    var activation: Activation = .quickGELU
    @Option(help: "Image preset for the vision tower (default: clip at 224 px).") var imagePreset: String?
    @Flag(help: "Store F16 weights (half the size).") var f16 = false

    func run() throws {
        var job = try ModelImport(source: URL(fileURLWithPath: source), format: format)
        job.openCLIP = OpenCLIPKeyMap.Options(visionHeads: visionHeads, textHeads: textHeads, activation: activation)
        job.imagePreset = imagePreset
        let (url, card) = try job.write(to: URL(fileURLWithPath: output), precision: f16 ? .f16 : .f32)
        let towers = [card.config.vision.map { _ in "vision" }, card.config.text.map { _ in "text" },
                      card.config.bert.map { b in "bert (\(b.numHiddenLayers) layers, \(b.pooling.rawValue) pooling\(b.normalize ? ", normalized" : ""))" }]
            .compactMap { $0 }
        print("\(job.format.rawValue) -> \(url.path): \(towers.joined(separator: ", ")), joint width \(card.config.embedDim)")
        if card.textTokenizer == nil && card.textPreset == nil && card.config.text != nil {
            print("note: no tokenizer Plinth reads was found; text must be given as token ids")
        }
        if card.imagePreset == nil && card.config.vision != nil {
            print("note: no image preset for \(card.config.vision!.imageSize) px; pass --image-preset")
        }
    }
}

extension ImportFormat: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
