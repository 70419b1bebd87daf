import ArgumentParser
import Foundation
import Plinth

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Zero-shot accuracy, retrieval R@K, caption BLEU/CIDEr-D and generation quality of a model on a recipe's held-out split.",
        discussion: "Without a recipe, uses the one stored in the model file's card.")

    @Argument(help: "The recipe YAML file (default: the model's own recipe).") var recipe: String?
    @Option(help: "Model file (default: the shipped model in assets/model).") var model: String?
    @Option(help: "Split to evaluate: train, val or test (default: the recipe's eval.split).") var split: Split?
    @Option(help: "At most this many records per evaluation.") var limit: Int?
    @Option(help: "Also write the report as JSON to this file.") var json: String?
    @Option(help: "Data directory (default $PLINTH_DATA or ~/.cache/plinth/data).") var data: String?

    func run() throws {
        let modelURL = model.map { URL(fileURLWithPath: $0) } ?? Assets.defaultModel
        let recipe: Recipe
        if let path = self.recipe {
            recipe = try Recipe.load(contentsOf: URL(fileURLWithPath: path)).recipe
        } else if let text = try ModelFile.card(at: modelURL).recipe {
            recipe = try Recipe.parse(text, file: modelURL.path)
        } else {
            throw ValidationError("\(modelURL.path) was imported, not trained, so it has no recipe: name one")
        }
        guard recipe.policy == nil else {
            throw ValidationError("\(recipe.name) trains an action policy: evaluate it in closed loop with `plinth act --policy \(modelURL.path)`")
        }
        let dataDirectory = data.map { URL(fileURLWithPath: $0) } ?? Datasets.defaultDirectory
        try prepareDataset(recipe.data.dataset, in: dataDirectory)
        let report = try evaluateModel(modelURL, recipe: recipe, dataDirectory: dataDirectory, split: split, limit: limit)
        EvalOutput.print(report)
        if let json { try EvalOutput.write(report, trainingSeconds: nil, to: URL(fileURLWithPath: json)) }
    }
}

/// Evaluates a model file with its embedder and the heads it has (a captioner, a generator),
/// sharing one loaded model; a progress bar runs while samples are generated.
func evaluateModel(_ url: URL, recipe: Recipe, dataDirectory: URL, split: Split? = nil, limit: Int? = nil) throws -> EvalReport {
    let whole = try ModelFile.loadWithHeads(url), card = whole.card
    let inputs = try ModelInputs(card: card, directory: url.deletingLastPathComponent())
    let embedder = Embedder(model: whole.model, inputs: inputs, name: card.name)
    let captioner = try whole.caption.map { try Captioner(model: whole.model, head: $0, inputs: inputs, section: card.caption!) }
    let generator = whole.diffusion.map { ImageGenerator(embedder: embedder, denoiser: $0, section: card.diffusion!) }
    var bar: ProgressBar?
    let report = try Evaluator.evaluate(recipe, embedder: embedder, captioner: captioner, generator: generator, modelFile: url,
                                        dataDirectory: dataDirectory, split: split, limit: limit, progress: { done, total in
        if bar == nil { bar = ProgressBar(total: total, label: "sampling step", unit: "images") }
        bar?.update(step: done)
    }, log: { FileHandle.standardError.write(Data("\($0)\n".utf8)) })
    bar?.finish()
    return report
}

/// Printing and saving evaluation reports.
enum EvalOutput {
    static func print(_ report: EvalReport) {
        func pct(_ x: Double) -> String { String(format: "%5.1f%%", 100 * x) }
        Swift.print("\(report.recipe), \(report.split) split")
        if let z = report.zeroShot {
            Swift.print("zero-shot \(z.field) (\(z.count) items, \(z.classes) classes): top-1 \(pct(z.top1)), top-5 \(pct(z.top5)), chance \(pct(z.chanceTop1))")
            if let u = z.unseen {
                Swift.print("  unseen in training (\(u.classes.joined(separator: ", ")); \(u.count) items): top-1 \(pct(u.top1)) among all \(z.classes) classes (chance \(pct(u.chanceTop1))), \(pct(u.top1AmongUnseen)) among the \(u.classes.count) unseen (chance \(pct(u.chanceAmongUnseen)))")
                Swift.print("  seen classes: top-1 \(pct(u.seenTop1))")
            }
        }
        for r in report.retrieval {
            for (name, m, chance) in [("\(r.a) -> \(r.b)", r.aToB, r.chanceAToB), ("\(r.b) -> \(r.a)", r.bToA, r.chanceBToA)] {
                Swift.print("\(name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(m.count) queries: R@1 \(pct(m.r1))  R@5 \(pct(m.r5))  R@10 \(pct(m.r10))  mean rank \(String(format: "%.1f", m.meanRank))  median \(Int(m.medianRank))  (chance R@1 \(pct(chance[0])), R@10 \(pct(chance[2])))")
            }
        }
        report.captioning.forEach(printCaptioning)
        if let g = report.generation { printGeneration(g) }
        if let p = report.personalization { printPersonalization(p) }
    }

    static func printPersonalization(_ p: EvalReport.Personalization) {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        Swift.print("textual inversion (\(p.examples) examples, \(p.steps) steps per token): \"a photo of a <token>.\" vs \"a photo of a <initializer>.\"")
        for c in p.concepts {
            Swift.print("  \(c.token) (from '\(c.initWord)'), \(c.heldOut) held out among \(c.distractors) distractors: MRR \(f(c.learned.mrr)) vs \(f(c.initializer.mrr)), R@1 \(f(c.learned.r1)) vs \(f(c.initializer.r1)), R@5 \(f(c.learned.r5)) vs \(f(c.initializer.r5))")
            if let g = c.generationLearned, let i = c.generationInitializer {
                Swift.print("    samples: similarity to the held-out items \(f(g.similarity)) vs \(f(i.similarity)), class match \(f(g.classMatch)) vs \(f(i.classMatch))")
            }
        }
    }

    static func printGeneration(_ g: EvalReport.Generation) {
        func pct(_ x: Double) -> String { String(format: "%5.1f%%", 100 * x) }
        Swift.print("generation (\(g.sampling), \(g.perClass) per class, \(String(format: "%.2f", g.secondsPerImage)) s/image); classifier \(g.classifier): top-1 \(pct(g.classifierAccuracy)) on \(g.realCount) real images")
        Swift.print("  Frechet distance between two halves of the real images: \(String(format: "%.4f", g.realHalvesFrechetDistance))")
        for r in g.results {
            let perClass = zip(g.classes, r.classMatchPerClass).map { "\($0) \(Int(($1 * 100).rounded()))%" }.joined(separator: ", ")
            Swift.print("  \(r.condition.rawValue), guidance \(r.guidance): class match \(pct(r.classMatch)), Frechet distance \(String(format: "%.4f", r.frechetDistance)) (\(perClass))")
        }
    }

    static func printCaptioning(_ c: EvalReport.Captioning) {
        func scores(_ s: EvalReport.Captioning.Scores) -> String {
            (s.bleu.enumerated().map { String(format: "BLEU-%d %.3f", $0.offset + 1, $0.element) } + [String(format: "CIDEr-D %.3f", s.cider)])
                .joined(separator: "  ")
        }
        Swift.print("captions of \(c.field) (\(c.count) items, \(c.decoding), \(String(format: "%.1f", c.captionsPerSecond)) captions/s)")
        Swift.print("  model     " + scores(c.model))
        Swift.print("  baseline  " + scores(c.baseline) + "  (always \"\(c.baselineCaption)\")")
        for e in c.examples {
            Swift.print("  \(e.id): \"\(e.caption)\" (log p \(String(format: "%.2f", e.logProbability))); reference \"\(e.references.first ?? "")\"")
        }
    }

    static func write(_ report: EvalReport, trainingSeconds: Double?, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var data = try encoder.encode(report)
        if let trainingSeconds, var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
            object["training_seconds"] = (trainingSeconds * 10).rounded() / 10
            data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        }
        try data.write(to: url, options: .atomic)
    }
}
