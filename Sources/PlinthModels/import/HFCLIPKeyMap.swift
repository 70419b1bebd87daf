import Foundation
import PlinthNN

/// Imports a Hugging Face `CLIPModel` directory (`config.json` with
/// `model_type: clip`, `model.safetensors`) as a `MultimodalModel` with
/// separate towers: open_clip's layout, so the same weights give the same
/// features.
///
/// Layout changes: separate `q_proj`/`k_proj`/`v_proj` are stacked into the
/// packed `in_proj_weight` [3D, D]; `visual_projection` and `text_projection`
/// (Linear weights [E, D]) are transposed to the [D, E] matrices `visual.proj`
/// and `text_projection`. Text pooling is at the largest id (CLIP's
/// end-of-text token), which is what Hugging Face does for `eos_token_id` 2
/// (old configs) or the last vocabulary id.
public enum HFCLIPKeyMap {
    public static func read(directory: URL) throws -> ImportedModel {
        let configURL = directory.appendingPathComponent("config.json")
        let config = try self.config(JSONFields(readJSONObject(configURL), file: configURL.path))
        let weights = directory.appendingPathComponent("model.safetensors")
        return ImportedModel(config: config, tensors: try tensors(try safetensors(weights), config: config, file: weights.path))
    }

    /// Hugging Face `CLIPConfig` -> Plinth config (Hugging Face's defaults fill absent fields).
    static func config(_ json: JSONFields) throws -> ModelConfig {
        let type = try json.string("model_type", default: "")
        guard type == "clip" else {
            throw ImportError(source: json.file, message: "model_type is '\(type)'; this importer reads 'clip' (CLIPModel)")
        }
        let v = try json.object("vision_config"), t = try json.object("text_config")
        for tower in [v, t] where try tower.float("layer_norm_eps", default: 1e-5) != 1e-5 {
            throw ImportError(source: json.file, message: "field '\(tower.prefix)layer_norm_eps' must be 1e-5 (CLIP's)")
        }
        let (vWidth, tWidth) = (try v.int("hidden_size", default: 768), try t.int("hidden_size", default: 512))
        let vocab = try t.int("vocab_size", default: 49408)
        let eos = try t.int("eos_token_id", default: 2)
        guard eos == 2 || eos == vocab - 1 else {
            throw ImportError(source: json.file, message: "text_config.eos_token_id \(eos) is not supported: Plinth pools at the largest id (\(vocab - 1))")
        }
        let vision = VisionConfig(imageSize: try v.int("image_size", default: 224), patchSize: try v.int("patch_size", default: 32),
                                  width: vWidth, layers: try v.int("num_hidden_layers", default: 12),
                                  heads: try v.int("num_attention_heads", default: 12),
                                  mlpRatio: Float(try v.int("intermediate_size", default: 3072)) / Float(vWidth),
                                  activation: try v.activation("hidden_act"))
        let text = TextConfig(vocabSize: vocab, contextLength: try t.int("max_position_embeddings", default: 77),
                              width: tWidth, layers: try t.int("num_hidden_layers", default: 12),
                              heads: try t.int("num_attention_heads", default: 8),
                              mlpRatio: Float(try t.int("intermediate_size", default: 2048)) / Float(tWidth),
                              activation: try t.activation("hidden_act"))
        return ModelConfig(embedDim: try json.int("projection_dim", default: 512),
                           shared: SharedConfig(layers: 0, width: 0, heads: 1), vision: vision, text: text)
    }

    /// The Plinth state dict from a `CLIPModel` state dict.
    static func tensors(_ source: [String: Tensor], config: ModelConfig, file: String) throws -> [String: Tensor] {
        var map = KeyMapping(source, file: file)
        func blocks(_ to: String, _ from: String, layers: Int) {
            for i in 0..<layers {
                let (o, s) = ("\(to).resblocks.\(i)", "\(from).layers.\(i)")
                for p in ["weight", "bias"] {
                    map.copy("\(o).ln_1.\(p)", from: "\(s).layer_norm1.\(p)")
                    map.stacked(p == "weight" ? "\(o).attn.in_proj_weight" : "\(o).attn.in_proj_bias",
                                from: ["q_proj", "k_proj", "v_proj"].map { "\(s).self_attn.\($0).\(p)" })
                    map.copy("\(o).attn.out_proj.\(p)", from: "\(s).self_attn.out_proj.\(p)")
                    map.copy("\(o).ln_2.\(p)", from: "\(s).layer_norm2.\(p)")
                    map.copy("\(o).mlp.c_fc.\(p)", from: "\(s).mlp.fc1.\(p)")
                    map.copy("\(o).mlp.c_proj.\(p)", from: "\(s).mlp.fc2.\(p)")
                }
            }
        }
        map.copy("visual.class_embedding", from: "vision_model.embeddings.class_embedding")
        map.copy("visual.positional_embedding", from: "vision_model.embeddings.position_embedding.weight")
        map.copy("visual.conv1.weight", from: "vision_model.embeddings.patch_embedding.weight")
        blocks("visual.transformer", "vision_model.encoder", layers: config.vision!.layers)
        map.transposed("visual.proj", from: "visual_projection.weight")
        map.copy("token_embedding.weight", from: "text_model.embeddings.token_embedding.weight")
        map.copy("positional_embedding", from: "text_model.embeddings.position_embedding.weight")
        blocks("transformer", "text_model.encoder", layers: config.text!.layers)
        map.transposed("text_projection", from: "text_projection.weight")
        map.copy("logit_scale", from: "logit_scale")
        for p in ["weight", "bias"] {
            map.copy("visual.ln_pre.\(p)", from: "vision_model.pre_layrnorm.\(p)")
            map.copy("visual.ln_post.\(p)", from: "vision_model.post_layernorm.\(p)")
            map.copy("ln_final.\(p)", from: "text_model.final_layer_norm.\(p)")
        }
        return try map.finish { $0.hasSuffix("position_ids") }
    }
}
