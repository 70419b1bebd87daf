import Foundation
import PlinthNN

/// Imports an open_clip / OpenAI CLIP state dict with OpenAI's ViT naming
/// (`visual.conv1.weight`, `visual.transformer.resblocks.N.attn.in_proj_weight`,
/// `token_embedding.weight`, `text_projection`, ...) from a safetensors file.
/// Plinth's separate-tower layout is the same, so keys map one to one.
///
/// The shape comes from the tensors, as open_clip's
/// `build_model_from_openai_state_dict` does; what the tensors cannot say is
/// an option: the heads (OpenAI's rule, width / 64, by default) and the
/// activation (QuickGELU for OpenAI's weights, GELU for most open_clip-trained
/// ones).
public enum OpenCLIPKeyMap {
    public struct Options: Sendable {
        public var visionHeads: Int?
        public var textHeads: Int?
        public var activation: Activation
        public init(visionHeads: Int? = nil, textHeads: Int? = nil, activation: Activation = .quickGELU) {
            (self.visionHeads, self.textHeads, self.activation) = (visionHeads, textHeads, activation)
        }
    }

    public static func read(file url: URL, options: Options = Options()) throws -> ImportedModel {
        let source = try safetensors(url)
        let config = try self.config(source, options: options, file: url.path)
        return ImportedModel(config: config, tensors: try tensors(source, config: config, file: url.path))
    }

    /// The config implied by the tensor shapes.
    static func config(_ s: [String: Tensor], options o: Options, file: String) throws -> ModelConfig {
        func shape(_ key: String) throws -> [Int] {
            guard let t = s[key] else {
                throw ImportError(source: file, message: "no tensor '\(key)': not an open_clip state dict with OpenAI ViT naming (expected visual.conv1.weight, visual.positional_embedding, token_embedding.weight, positional_embedding, text_projection, ln_final.weight, ...)")
            }
            return t.shape
        }
        func layers(_ prefix: String) -> Int {
            Set(s.keys.compactMap { key -> Int? in
                guard key.hasPrefix(prefix) else { return nil }
                return Int(key.dropFirst(prefix.count).prefix { $0 != "." })
            }).count
        }
        let conv = try shape("visual.conv1.weight")                                   // [D, 3, p, p]
        let (vWidth, patch) = (conv[0], conv[3])
        let grid = Int(Double(try shape("visual.positional_embedding")[0] - 1).squareRoot().rounded())
        let tWidth = try shape("ln_final.weight")[0]
        let vision = VisionConfig(imageSize: grid * patch, patchSize: patch, width: vWidth,
                                  layers: layers("visual.transformer.resblocks."), heads: o.visionHeads ?? max(vWidth / 64, 1),
                                  mlpRatio: Float(try shape("visual.transformer.resblocks.0.mlp.c_fc.weight")[0]) / Float(vWidth),
                                  activation: o.activation)
        let text = TextConfig(vocabSize: try shape("token_embedding.weight")[0], contextLength: try shape("positional_embedding")[0],
                              width: tWidth, layers: layers("transformer.resblocks."), heads: o.textHeads ?? max(tWidth / 64, 1),
                              mlpRatio: Float(try shape("transformer.resblocks.0.mlp.c_fc.weight")[0]) / Float(tWidth),
                              activation: o.activation)
        let config = ModelConfig(embedDim: try shape("text_projection")[1], shared: SharedConfig(layers: 0, width: 0, heads: 1),
                                 vision: vision, text: text)
        do { try config.validate() } catch let error as ModelConfigError {
            throw ImportError(source: file, message: "the inferred config does not hold: \(error) (set the heads explicitly)")
        }
        return config
    }

    /// The same keys, checked: every tensor of the layout present, nothing left over
    /// but OpenAI's non-tensor entries and the causal mask buffer.
    static func tensors(_ source: [String: Tensor], config: ModelConfig, file: String) throws -> [String: Tensor] {
        var map = KeyMapping(source, file: file)
        func same(_ key: String) { map.copy(key, from: key) }
        func blocks(_ prefix: String, _ n: Int) {
            for i in 0..<n {
                for k in ["ln_1.weight", "ln_1.bias", "attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight",
                          "attn.out_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                          "mlp.c_proj.weight", "mlp.c_proj.bias"] { same("\(prefix).resblocks.\(i).\(k)") }
            }
        }
        for k in ["class_embedding", "positional_embedding", "proj", "conv1.weight", "ln_pre.weight", "ln_pre.bias",
                  "ln_post.weight", "ln_post.bias"] { same("visual.\(k)") }
        blocks("visual.transformer", config.vision!.layers)
        for k in ["token_embedding.weight", "positional_embedding", "text_projection", "ln_final.weight", "ln_final.bias",
                  "logit_scale"] { same(k) }
        blocks("transformer", config.text!.layers)
        return try map.finish { ["attn_mask", "input_resolution", "context_length", "vocab_size"].contains($0) }
    }
}
