import Foundation
import PlinthAdapters
import PlinthData
import PlinthModels
import PlinthNN
import PlinthRecipes
import XCTest

/// The caption recipes, shrunk to a few steps on real data: a head on the
/// frozen shipped model, and a head with LoRA adapters.
final class CaptionRunTests: ShippedRecipeRun {
    /// Only the head trains: the model file holds the shipped model unchanged plus
    /// `caption.*`; checkpoints hold the head alone; a resumed run ends bit-identical;
    /// the file captions images and sounds and is evaluated against the baseline.
    func testFrozenModelHeadTrainsResumesAndCaptions() throws {
        let (recipe, text) = try self.recipe("tuxpaint-caption", steps: 4, records: 48, evalRecords: 6)
        let straight = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train()
        let loaded = try ModelFile.loadWithHeads(straight.model!)
        let (model, head, card) = (loaded.model, loaded.caption, loaded.card)
        XCTAssertEqual(straight.trainableParameters, head!.parameterCount)
        XCTAssertEqual(straight.parameters, model.parameterCount + head!.parameterCount)
        XCTAssertEqual(card.caption?.text, "small", "the decoder's preset is resolved into the card")
        let reference = try SafetensorsFile(contentsOf: straight.model!).tensors()
        let shipped = try SafetensorsFile(contentsOf: Assets.defaultModel).tensors()
        for (key, t) in shipped where !key.hasPrefix("caption.") { XCTAssertEqual(reference[key]!.toArray(), t.toArray(), key) }
        XCTAssertTrue(reference.keys.contains("caption.decoder.token_embedding.weight"))
        let metrics = try String(contentsOf: RunDirectory(url: output).metricsURL, encoding: .utf8)
        XCTAssertTrue(metrics.contains("\"caption_loss\""))

        try FileManager.default.removeItem(at: output)
        _ = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train(stoppingAfter: 2)
        let checkpoint = try XCTUnwrap(try RunDirectory(url: output).latestCheckpoint())
        let saved = try SafetensorsFile(contentsOf: checkpoint).names.filter { $0.hasPrefix("model.") }
        XCTAssertFalse(saved.isEmpty)
        XCTAssertTrue(saved.allSatisfy { $0.hasPrefix("model.caption.") }, "the frozen model comes back from init")
        let resumed = try Trainer(recipe: recipe, recipeText: text, output: output, resume: true).train()
        let weights = try SafetensorsFile(contentsOf: resumed.model!).tensors()
        for (key, t) in reference { XCTAssertEqual(weights[key]!.toArray(), t.toArray(), key) }

        let captioner = try Captioner(modelFile: resumed.model!)
        let samples = Assets.root.appendingPathComponent("assets/samples")
        var options = DecodingOptions()
        options.maxLength = 5
        for (field, file) in [(Field.image, "cow.png"), (.audio, "cow.ogg")] {
            let path = samples.appendingPathComponent(file).path
            let record = ManifestRecord(id: file, image: field == .image ? path : nil, audio: field == .audio ? path : nil, split: .test)
            let caption = try captioner.caption(records: [record], field: field, options: options)[0]
            XCTAssertTrue(caption.logProbability.isFinite && caption.logProbability < 0, file)
        }

        let reports = try Evaluator.evaluateCaptions(recipe, captioner: captioner, split: .test, limit: 6, examples: 2)
        XCTAssertEqual(reports.map(\.field), ["image", "speech", "audio"])
        for r in reports {
            XCTAssertEqual(r.count, 6)
            XCTAssertEqual(r.baselineCaption, "a flower", "the most frequent training caption, normalized")
            XCTAssertEqual(r.model.bleu.count, 4)
            XCTAssertTrue((r.model.bleu + r.baseline.bleu).allSatisfy { (0...1).contains($0) })
            XCTAssertEqual(r.examples.count, 2)
            XCTAssertEqual(r.examples[0].references.count, 1)
        }
    }

    func testDetokenizeJoinsPunctuationAndHyphens() {
        XCTAssertEqual(Captioner.detokenize("a t - shirt ."), "a t-shirt.")
        XCTAssertEqual(Captioner.detokenize("it 's a frog , or a toad !"), "it's a frog, or a toad!")
        XCTAssertEqual(Captioner.detokenize(""), "")
    }

    /// With LoRA, the adapters and the head train together; templated references fill every template.
    func testLoRAAdaptersTrainWithTheHead() throws {
        let (recipe, text) = try self.recipe("fashion-mnist-caption", steps: 2, records: 48, evalRecords: 6)
        let summary = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train()
        let head = try ModelFile.loadWithHeads(summary.model!).caption
        let adapters = 5 * 8 * ((128 + 384) + (128 + 128) + (128 + 512) + (512 + 128))
        XCTAssertEqual(summary.trainableParameters, adapters + head!.parameterCount)
        let record = ManifestRecord(id: "x", labelName: "bag", split: .test)
        XCTAssertEqual(Evaluator.references(record, recipe).first, "a photo of a bag.")
        XCTAssertEqual(Evaluator.references(record, recipe).count, 6)
    }
}
