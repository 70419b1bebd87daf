import Foundation
import PlinthModalities

/// Files shipped in the repository's assets/ folder.
public enum Assets {
    /// The repository root (the folder holding modalities/ and assets/).
    public static var root: URL { ModalityCards.directory.deletingLastPathComponent() }
    /// The default model: a `ModelFile` trained by one of the recipes, with its recipe and metrics beside it.
    public static var defaultModel: URL { root.appendingPathComponent("assets/model/model.safetensors") }
    /// The default generator: a `ModelFile` with a denoiser, for `plinth generate`.
    public static var defaultGenerator: URL { root.appendingPathComponent("assets/generator/model.safetensors") }
    /// Sample images and sounds for the demo, with a captions manifest.
    public static var samples: URL { root.appendingPathComponent("assets/samples") }
    /// The page `plinth serve` serves (index.html, app.js, style.css).
    public static var web: URL { root.appendingPathComponent("assets/web") }
    /// A path a recipe names: `~` expanded; a relative path that does not exist
    /// from the working directory is taken from the repository root.
    public static func resolve(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") || FileManager.default.fileExists(atPath: expanded) { return URL(fileURLWithPath: expanded) }
        return root.appendingPathComponent(expanded)
    }

    /// Where `plinth train` writes runs unless told otherwise: `$PLINTH_RUNS` or ~/.cache/plinth/runs.
    public static var runsDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["PLINTH_RUNS"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/plinth/runs")
    }
}
