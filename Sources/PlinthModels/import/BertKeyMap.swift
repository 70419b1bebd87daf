import Foundation
import PlinthNN

/// Imports a Hugging Face BERT directory as sentence-transformers saves it:
/// `config.json` (`model_type: bert`), `model.safetensors`, and the pooling
/// and normalization named by `modules.json` (`1_Pooling/config.json`,
/// a `Normalize` module). Without modules.json the model is taken as
/// sentence-transformers takes a plain `BertModel`: mean pooling, no
/// normalization.
///
/// Keys map one to one under `bert.` (a `bert.` prefix in the source, as in
/// `BertForMaskedLM`, is dropped); `pooler.*`, `cls.*` (task heads) and the
/// `embeddings.position_ids` buffer are not used. `logit_scale`, which a
/// lone text encoder lacks, starts at CLIP's ln(1/0.07).
public enum BertKeyMap {
    public static func read(directory: URL) throws -> ImportedModel {
        let configURL = directory.appendingPathComponent("config.json")
        var config = try self.config(JSONFields(readJSONObject(configURL), file: configURL.path))
        (config.pooling, config.normalize) = try pooling(directory: directory)
        let weights = directory.appendingPathComponent("model.safetensors")
        var tensors = try self.tensors(try safetensors(weights), config: config, file: weights.path)
        tensors["logit_scale"] = Tensor(scalar: Float(Foundation.log(1 / 0.07)))   // CLIP's initial temperature
        return ImportedModel(config: ModelConfig(embedDim: config.hiddenSize, shared: SharedConfig(layers: 0, width: 0, heads: 1),
                                                 bert: config),
                             tensors: tensors)
    }

    /// The encoder's shape from a Hugging Face BERT config.json.
    static func config(_ json: JSONFields) throws -> BertConfig {
        let type = try json.string("model_type", default: "")
        guard type == "bert" else {
            throw ImportError(source: json.file, message: "model_type is '\(type)'; this importer reads 'bert' (BertModel)")
        }
        let position = try json.string("position_embedding_type", default: "absolute")
        guard position == "absolute" else {
            throw ImportError(source: json.file, message: "position_embedding_type '\(position)' is not supported (expected absolute)")
        }
        return BertConfig(vocabSize: try json.int("vocab_size"), hiddenSize: try json.int("hidden_size"),
                          numHiddenLayers: try json.int("num_hidden_layers"),
                          numAttentionHeads: try json.int("num_attention_heads"),
                          intermediateSize: try json.int("intermediate_size"),
                          maxPositionEmbeddings: try json.int("max_position_embeddings", default: 512),
                          typeVocabSize: try json.int("type_vocab_size", default: 2),
                          layerNormEps: try json.float("layer_norm_eps", default: 1e-12),
                          hiddenAct: try json.activation("hidden_act"), padTokenId: try json.int("pad_token_id", default: 0))
    }

    /// Pooling and normalization from modules.json and the Pooling module's config.json.
    static func pooling(directory: URL) throws -> (BertPooling, Bool) {
        let modulesURL = directory.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: modulesURL.path) else { return (.mean, false) }
        let data = try Data(contentsOf: modulesURL)
        guard let modules = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw ImportError(source: modulesURL.path, message: "is not a JSON list of modules")
        }
        let types = modules.map { ($0["type"] as? String) ?? "" }
        let supported = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                         "sentence_transformers.models.Normalize"]
        if let other = types.first(where: { !supported.contains($0) }) {
            throw ImportError(source: modulesURL.path, message: "module '\(other)' is not supported; expected \(supported.joined(separator: ", "))")
        }
        guard let poolingModule = modules.first(where: { ($0["type"] as? String) == supported[1] }) else {
            throw ImportError(source: modulesURL.path, message: "has no \(supported[1]) module")
        }
        let poolingURL = directory.appendingPathComponent((poolingModule["path"] as? String) ?? "")
            .appendingPathComponent("config.json")
        let json = JSONFields(try readJSONObject(poolingURL), file: poolingURL.path)
        let modes: [(String, BertPooling?)] = [
            ("pooling_mode_mean_tokens", .mean), ("pooling_mode_cls_token", .cls), ("pooling_mode_max_tokens", nil),
            ("pooling_mode_mean_sqrt_len_tokens", nil), ("pooling_mode_weightedmean_tokens", nil),
            ("pooling_mode_lasttoken", nil),
        ]
        let on = try modes.filter { try json.bool($0.0, default: false) }
        guard on.count == 1, let mode = on[0].1 else {
            throw ImportError(source: poolingURL.path, message: "enables \(on.map(\.0)); supported: exactly one of pooling_mode_mean_tokens, pooling_mode_cls_token")
        }
        return (mode, types.contains(supported[2]))
    }

    /// The Plinth state dict (`bert.*`) from the checkpoint's tensors.
    static func tensors(_ source: [String: Tensor], config: BertConfig, file: String) throws -> [String: Tensor] {
        let from = source["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        var map = KeyMapping(source, file: file)
        for name in ["word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight",
                     "LayerNorm.weight", "LayerNorm.bias"] {
            map.copy("bert.embeddings.\(name)", from: "\(from)embeddings.\(name)")
        }
        for i in 0..<config.numHiddenLayers {
            for module in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                           "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"] {
                for p in ["weight", "bias"] {
                    map.copy("bert.encoder.layer.\(i).\(module).\(p)", from: "\(from)encoder.layer.\(i).\(module).\(p)")
                }
            }
        }
        return try map.finish { key in
            let k = key.hasPrefix(from) ? String(key.dropFirst(from.count)) : key
            return k.hasPrefix("pooler.") || k.hasPrefix("cls.") || k == "embeddings.position_ids"
        }
    }
}
