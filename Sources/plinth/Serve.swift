import ArgumentParser
import Foundation
import Hummingbird
import Plinth
import PlinthServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve zero-shot retrieval as a local web page and a JSON API.",
        discussion: """
            Open the printed address in a browser: type a query or drop a picture or a sound, and see \
            the nearest pictures, sounds and captions. Without --index it indexes the bundled sample \
            media (assets/samples) with the model at start. The API, for scripts:
              GET  /api/health
              POST /api/search    JSON {"text": "a cow", "k": 8, "target": "image"}, or a file's bytes
                                  (PNG, JPEG, WAV, OGG, FLAC) with ?k=8&target=text
              POST /api/embed     the same bodies; answers the embedding
              POST /api/classify  a file's bytes with ?labels=cow,dog,violin
            e.g. curl --data-binary @cow.png 'http://127.0.0.1:8080/api/search?target=text'
            """)

    @Option(help: "Model file (default: the shipped model).") var model: String?
    @Option(help: "An index from `plinth embed -o` (default: the sample media, indexed at start).") var index: String?
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 8080
    @Option(help: "Largest upload, in MiB.") var maxUploadMb = 16

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard (1...1024).contains(maxUploadMb) else { throw ValidationError("--max-upload-mb must be from 1 to 1024") }
    }

    func run() async throws {
        let service = try SearchService(modelFile: model.map { URL(fileURLWithPath: $0) } ?? Assets.defaultModel,
                                        indexFile: index.map { URL(fileURLWithPath: $0) }, samples: Assets.samples)
        var limits = ServerLimits()
        limits.maxUploadBytes = maxUploadMb << 20
        let summary = [("image", "pictures"), ("audio", "sounds"), ("text", "captions")].compactMap { key, name in
            service.itemCounts[key].map { "\($0) \(name)" }
        }.joined(separator: ", ")
        let host = self.host
        let app = Application(
            router: makeRouter(service: service, page: Assets.web, limits: limits),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "plinth"),
            onServerRunning: { channel in
                // Unbuffered, so a script that waits for this line sees it at once.
                FileHandle.standardOutput.write(Data("""
                    model \(service.modelName); index: \(summary)
                    serving http://\(host):\(channel.localAddress?.port ?? 0)

                    """.utf8))
            })
        try await app.runService()
    }
}
