import ArgumentParser
import Plinth

@main
struct PlinthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plinth",
        abstract: "Plinth: pre-train and adapt multimodal foundation models on the CPU.",
        discussion: """
            Threads: set PLINTH_NUM_THREADS (default: all cores); it applies to Plinth's \
            kernels and to OpenBLAS alike.
            """,
        version: PlinthInfo.version,
        subcommands: [Demo.self, Train.self, Eval.self, Demos.self, Act.self, Embed.self, Search.self, Classify.self, Serve.self, Caption.self, Generate.self, Personalize.self, Export.self, Import.self, Tokenizer.self, Version.self]
    )
}
