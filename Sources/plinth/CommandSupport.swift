import ArgumentParser
import Foundation
import Plinth

/// A model file's embedder (default: the shipped model), with learned tokens from `embeds` if given.
func loadEmbedder(_ model: String?, embeds: String?) throws -> Embedder {
    let embedder = try Embedder(modelFile: model.map { URL(fileURLWithPath: $0) } ?? Assets.defaultModel)
    return try embeds.map { try embedder.installing(LearnedEmbeddings.load(URL(fileURLWithPath: $0))) } ?? embedder
}

/// Builds what a recipe trains on when it is missing: its dataset's manifest, or a policy's demonstrations.
func prepareData(_ recipe: Recipe, in directory: URL) throws {
    guard let policy = recipe.policy, let size = recipe.model.vision?.imageSize else {
        return try prepareDataset(recipe.data.dataset, in: directory)
    }
    if policy.demos == nil {
        let folder = PolicySection.defaultFolder(task: policy.task, episodes: policy.episodes, seed: policy.demoSeed,
                                                 noise: policy.noise, everyVariant: policy.everyVariant, imageSize: size,
                                                 dataDirectory: directory)
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent("steps.safetensors").path) {
            print("recording \(policy.episodes) \(policy.task) demonstrations into \(folder.path)")
        }
    }
    _ = try policy.demonstrations(imageSize: size, dataDirectory: directory, file: recipe.name)
}

/// Builds a dataset's manifest if it is missing, showing speech synthesis progress.
func prepareDataset(_ name: String, in directory: URL) throws {
    let manifest = directory.appendingPathComponent(name).appendingPathComponent("manifest.jsonl")
    guard !FileManager.default.fileExists(atPath: manifest.path) else { return }
    print("building the \(name) manifest in \(manifest.deletingLastPathComponent().path)")
    let summary = try Datasets.build(named: name, dataDirectory: directory) { done, total in
        if done % 50 == 0 || done == total { FileHandle.standardError.write(Data("synthesized speech \(done)/\(total)\n".utf8)) }
    }
    let counts = Split.allCases.map { "\($0.rawValue) \(summary.counts[$0] ?? 0)" }.joined(separator: ", ")
    print("\(name): \(counts)" + (summary.skipped.isEmpty ? "" : "; skipped \(summary.skipped)"))
}
