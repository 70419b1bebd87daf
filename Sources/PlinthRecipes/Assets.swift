import Foundation
import PlinthModalities

/// Files shipped in the repository's assets/ folder.
public enum Assets {
    /// The repository root (the folder holding modalities/ and assets/).
    public static var root: URL { ModalityCards.directory.deletingLastPathComponent() }
    /// The default model: a `ModelFile` trained by one of the recipes, with its recipe and metrics beside it.
    public static var defaultModel: URL { root.appendingPathComponent("assets/model/model.safetensors") }
    /// Sample images and sounds for the demo, with a captions manifest.
    public static var samples: URL { root.appendingPathComponent("assets/samples") }
    /// Where `plinth train` writes runs unless told otherwise: `$PLINTH_RUNS` or ~/.cache/plinth/runs.
    public static var runsDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["PLINTH_RUNS"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/plinth/runs")
    }
}
