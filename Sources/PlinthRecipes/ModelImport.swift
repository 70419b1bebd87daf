import Foundation
import PlinthModalities
import PlinthModels
import PlinthNN

/// The checkpoint formats `plinth import` reads.
public enum ImportFormat: String, CaseIterable, Sendable {
    /// A Hugging Face BERT directory, with sentence-transformers' modules if present.
    case bert
    /// A Hugging Face `CLIPModel` directory.
    case hfCLIP = "hf_clip"
    /// An open_clip / OpenAI state dict (OpenAI ViT naming) in one safetensors file.
    case openCLIP = "open_clip"

    /// A directory's format from its config.json `model_type`; a file is an open_clip state dict.
    public static func detect(_ url: URL) throws -> ImportFormat {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ImportError(source: url.path, message: "not found")
        }
        guard isDirectory.boolValue else { return .openCLIP }
        let configURL = url.appendingPathComponent("config.json")
        let json = try readJSONObject(configURL)
        switch json["model_type"] as? String {
        case "bert": return .bert
        case "clip": return .hfCLIP
        case let type:
            let architectures = (json["architectures"] as? [String])?.joined(separator: ", ") ?? "none listed"
            throw ImportError(source: configURL.path, message: "model_type '\(type ?? "")' (architectures: \(architectures)) is not supported; expected bert (BertModel, sentence-transformers) or clip (CLIPModel)")
        }
    }
}

/// Turns a foreign checkpoint into a Plinth model folder: `model.safetensors`
/// (a `ModelFile` whose card records the config, the modality presets, the
/// tokenizer and the source) and the tokenizer files it needs.
public struct ModelImport {
    public let source: URL
    public let format: ImportFormat
    public var openCLIP = OpenCLIPKeyMap.Options()
    /// An image preset for the vision tower; by default `clip` when the image size is 224.
    public var imagePreset: String?

    public init(source: URL, format: ImportFormat? = nil) throws {
        self.source = source
        self.format = try format ?? ImportFormat.detect(source)
    }

    /// The translated checkpoint.
    public func read() throws -> ImportedModel {
        switch format {
        case .bert: try BertKeyMap.read(directory: source)
        case .hfCLIP: try HFCLIPKeyMap.read(directory: source)
        case .openCLIP: try OpenCLIPKeyMap.read(file: source, options: openCLIP)
        }
    }

    /// Writes `output/model.safetensors` and the tokenizer beside it; returns the model file and its card.
    @discardableResult
    public func write(to output: URL, precision: SavedPrecision = .f32) throws -> (model: URL, card: ModelCard) {
        let imported = try read()
        let model = try imported.model(source: source.path)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let tokenizer = try copyTokenizer(imported.config, to: output)
        let size = imported.config.vision?.imageSize
        let card = ModelCard(
            name: source.deletingPathExtension().lastPathComponent, config: imported.config,
            imagePreset: imagePreset ?? (size == 224 ? "clip" : nil), audioPreset: nil,
            textPreset: tokenizer == nil && imported.config.text?.vocabSize == 49408 && imported.config.text?.contextLength == 77
                ? "clip" : nil,
            textTokenizer: tokenizer, recipe: nil, source: "plinth import \(format.rawValue) \(source.path)")
        _ = try ModelInputs(card: card, directory: output)    // the tokenizer loads and fits the model
        let url = output.appendingPathComponent("model.safetensors")
        try ModelFile.save(model, card: card, to: url, precision: precision)
        return (url, card)
    }

    /// Copies the source's tokenizer files and describes them, or nil if it has none Plinth reads.
    func copyTokenizer(_ config: ModelConfig, to output: URL) throws -> TextPreset? {
        func copy(_ name: String) throws {
            let to = output.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: to.path) { try FileManager.default.removeItem(at: to) }
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: to)
        }
        func has(_ name: String) -> Bool { FileManager.default.fileExists(atPath: source.appendingPathComponent(name).path) }
        switch format {
        case .bert:
            guard has("vocab.txt"), let bert = config.bert else {
                throw ImportError(source: source.path, message: "no vocab.txt: a BERT directory needs its WordPiece vocabulary")
            }
            let tokenizerConfig = source.appendingPathComponent("tokenizer_config.json")
            if has("tokenizer_config.json"), (try readJSONObject(tokenizerConfig)["do_lower_case"] as? Bool) == false {
                throw ImportError(source: tokenizerConfig.path, message: "do_lower_case is false: cased WordPiece is not supported")
            }
            // sentence-transformers truncates at max_seq_length (sentence_bert_config.json).
            let stConfig = source.appendingPathComponent("sentence_bert_config.json")
            let maxSeq = has("sentence_bert_config.json") ? (try readJSONObject(stConfig)["max_seq_length"] as? Int) : nil
            try copy("vocab.txt")
            return TextPreset(tokenizer: "wordpiece", vocabulary: "vocab.txt",
                              contextLength: min(maxSeq ?? bert.maxPositionEmbeddings, bert.maxPositionEmbeddings))
        case .hfCLIP:
            // Plinth's CLIP BPE reads OpenAI's merges (49,408 tokens); a smaller vocabulary has no tokenizer here.
            guard has("merges.txt"), let text = config.text, text.vocabSize == 49408 else { return nil }
            try copy("merges.txt")
            return TextPreset(tokenizer: "clip_bpe", vocabulary: "merges.txt", contextLength: text.contextLength)
        case .openCLIP:
            return nil
        }
    }
}
