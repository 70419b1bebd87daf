import Foundation
import PlinthData
import PlinthModels
import PlinthRecipes
import XCTest

final class RecipeTests: XCTestCase {
    static let recipes = Assets.root.appendingPathComponent("recipes")

    func testShippedRecipesParseAndMatchTheirPresets() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.recipes.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertEqual(Set(names), ["fashion-mnist.yaml", "tuxpaint.yaml", "asterisk.yaml", "fashion-mnist-heldout.yaml",
                                    "fashion-mnist-locked.yaml", "tuxpaint-locked.yaml", "fashion-mnist-lora.yaml",
                                    "tuxpaint-caption.yaml", "asterisk-caption.yaml", "fashion-mnist-caption.yaml",
                                    "fashion-mnist-diffusion.yaml", "tuxpaint-diffusion.yaml", "reach-discrete.yaml",
                                    "reach-chunk.yaml", "reach-diffusion.yaml", "cartpole-discrete.yaml", "cartpole-chunk.yaml",
                                    "cartpole-diffusion.yaml"])
        for name in names {
            let recipe = try Recipe.load(contentsOf: Self.recipes.appendingPathComponent(name)).recipe
            XCTAssertNoThrow(try ModelInputs(recipe: recipe), name)
            if let caption = recipe.caption { XCTAssertNoThrow(try caption.tokenizer(fallback: recipe.data.text, file: name), name) }
        }
    }

    func testErrorsNameTheFileAndField() throws {
        let text = try String(contentsOf: Self.recipes.appendingPathComponent("fashion-mnist.yaml"), encoding: .utf8)
        func error(_ yaml: String) -> String {
            do { _ = try Recipe.parse(yaml, file: "r.yaml"); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(error(text.replacingOccurrences(of: "batch_size:", with: "batchsize:"))
            .contains("field 'train.batchsize' unknown key 'batchsize'"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "  learning_rate: 0.001\n", with: ""))
            .contains("recipe 'r.yaml': field 'train.learning_rate' is missing"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "{a: image, b: text}", with: "{a: image, b: audio}"))
            .contains("needs a audio tower"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "patch_size: 4", with: "patch_size: 5"))
            .contains("field 'model.vision.patch_size'"))
        XCTAssertTrue(error(text + "lora: {rank: 4, alpha: 8, targets: [mlp.c_fc], dropout: 0.1}\n")
            .contains("field 'lora.dropout' unknown key 'dropout'"))
        XCTAssertTrue(error(text + "init: {from: x.safetensors, parts: [vision, txt]}\n").contains("field 'init.parts.1'"))
    }

    func testDiffusionSectionErrorsNameTheField() throws {
        let text = try String(contentsOf: Self.recipes.appendingPathComponent("fashion-mnist-diffusion.yaml"), encoding: .utf8)
        func error(_ yaml: String) -> String {
            do { _ = try Recipe.parse(yaml, file: "r.yaml"); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(error(text), "")
        let noAudioTower = text.replacingOccurrences(of: "  audio: {mel_bins: 64, frames: 100, patch_size: 16, patch_stride: 10, width: 128, layers: 1, heads: 4}\n", with: "")
            .replacingOccurrences(of: "    - {a: speech, b: text}\n", with: "")
        XCTAssertTrue(error(noAudioTower).contains("field 'diffusion.conditions.1' field 'speech' needs a audio tower"), error(noAudioTower))
        XCTAssertTrue(error(text.replacingOccurrences(of: "patch_size: 4, width: 128, layers: 6", with: "patch_size: 5, width: 128, layers: 6"))
            .contains("field 'diffusion.denoiser.patch_size' 5 must divide image_size 32"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "image_size: 32, channels: 1", with: "image_size: 64, channels: 1"))
            .contains("field 'diffusion.denoiser.image_size' is 64 but the model's images are 32"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "schedule: linear", with: "schedule: quadratic"))
            .contains("field 'diffusion.denoiser.schedule'"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "condition_dropout: 0.1", with: "condition_dropout: 1.5"))
            .contains("field 'diffusion.condition_dropout' must be in 0...1"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "ema_decay: 0.995", with: "ema: 0.995"))
            .contains("field 'diffusion.ema' unknown key"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "sampler: ddpm", with: "sampler: euler"))
            .contains("field 'eval.generation.sampler'"))
    }

    func testCaptionSectionErrorsNameTheField() throws {
        let text = try String(contentsOf: Self.recipes.appendingPathComponent("tuxpaint-caption.yaml"), encoding: .utf8)
        func error(_ yaml: String) -> String {
            do { _ = try Recipe.parse(yaml, file: "r.yaml"); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(error(text), "")
        XCTAssertTrue(error(text.replacingOccurrences(of: "fields: [image, speech, audio]", with: "fields: [image, text]"))
            .contains("field 'caption.fields.1' captions image, audio or speech, not text"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "mapper: transformer", with: "mapper: mlp")
            .replacingOccurrences(of: "input: embedding", with: "input: tokens")).contains("field 'caption.head.mapper'"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "prefix_length: 10", with: "prefix_len: 10"))
            .contains("field 'caption.head.prefix_len' unknown key"))
        let noHead = text.components(separatedBy: "caption:\n  fields")[0] + "train:" + text.components(separatedBy: "\ntrain:")[1]
        XCTAssertTrue(error(noHead).contains("field 'objective.pairs' needs at least one pair (or a caption, diffusion or policy section)"))
        var recipe = try Recipe.parse(text)
        recipe.caption!.head.vocabSize = 100
        XCTAssertThrowsError(try recipe.caption!.tokenizer(fallback: "small", file: "r.yaml")) {
            XCTAssertTrue("\($0)".contains("field 'caption.head' vocab_size 100"), "\($0)")
        }
        recipe.caption!.text = "bert-uncased"
        XCTAssertThrowsError(try recipe.caption!.tokenizer(fallback: nil, file: "r.yaml")) {
            XCTAssertTrue("\($0)".contains("is not a BPE tokenizer"), "\($0)")
        }
    }

    func testInitFromAFileThatDoesNotFitNamesTheProblems() throws {
        var recipe = try Recipe.load(contentsOf: Self.recipes.appendingPathComponent("fashion-mnist-lora.yaml")).recipe
        recipe.model.vision!.width = 64
        recipe.model.shared.width = 64
        recipe.model.audio = nil
        recipe.model.text = nil
        let model = try MultimodalModel(recipe.model)
        XCTAssertThrowsError(try recipe.initialization!.apply(to: model, recipe: "r.yaml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("field 'init'"), text)
            XCTAssertTrue(text.contains("the model has no audio part"), text)
            XCTAssertTrue(text.contains("visual.conv1.weight is [128, 3, 4, 4] in the file, [64, 3, 4, 4] in the model"), text)
        }
    }

    func testModelMustMatchTheTokenizer() throws {
        var recipe = try Recipe.load(contentsOf: Self.recipes.appendingPathComponent("fashion-mnist.yaml")).recipe
        recipe.model.text!.vocabSize = 1000
        XCTAssertThrowsError(try ModelInputs(recipe: recipe)) { XCTAssertTrue("\($0)".contains("model.text")) }
    }
}
