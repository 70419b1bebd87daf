// The retrieval example of the README, verbatim: zero-shot text-to-picture search
// with the shipped model. scripts/test.sh builds and runs it from the repository root.
import Plinth

let embedder = try Embedder(modelFile: Assets.defaultModel)
let pictures = try embedder.embed(records: ["cow", "duck", "violin"].map {
    ManifestRecord(id: $0, image: "assets/samples/\($0).png", split: .test)
}, field: .image)                                                    // [3, E], L2-normalized
let index = try EmbeddingIndex(vectors: pictures, ids: ["cow", "duck", "violin"])
for hit in index.search(try embedder.embed(texts: ["a cow"]), k: 3)[0] {
    print(hit.id, hit.score)
}
