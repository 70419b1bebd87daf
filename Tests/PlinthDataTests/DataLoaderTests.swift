import Foundation
@testable import PlinthData
import PlinthModalities
import PlinthTensor
import XCTest

/// Batch shapes, determinism across worker counts, resume, early stop and errors.
final class DataLoaderTests: XCTestCase {
    /// Seeded augmentation and caption templates: the draws that must not depend on threads.
    let augmented = Preprocessing(
        trainImage: TrainImageTransform(size: 6, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 0.3...1),
        tokenizer: ByteTokenizer(), captionTemplates: ["a photo of a {}.", "a {}.", "{}"])

    func testBatchShapesAndCounts() throws {
        let records = try idxRecords(in: try temporaryDirectory(), count: 10)
        let loader = try DataLoader(records: records, fields: [.image, .text], preprocessing: Preprocessing(tokenizer: ByteTokenizer()),
                                    batchSize: 4, shuffle: false, workers: 2, prefetch: 1)
        XCTAssertEqual(loader.batchesPerEpoch, 3)
        let batches = try collect(loader, epoch: 0)
        XCTAssertEqual(batches.map(\.count), [4, 4, 2])
        XCTAssertEqual(batches.map(\.index), [0, 1, 2])
        XCTAssertEqual(batches[0].image?.shape, [4, 3, 8, 8])
        XCTAssertEqual(batches[2].image?.shape, [2, 3, 8, 8])
        XCTAssertEqual(batches[0].labels, [0, 1, 2, 0])
        XCTAssertEqual(batches[0].captions, ["item 0", "item 1", "item 2", "item 3"])
        let text = try XCTUnwrap(batches[2].text)
        XCTAssertEqual([text.batch, text.length, text.ids.count], [2, 8, 16])
        XCTAssertEqual(Array(text.ids[0..<8]), try ByteTokenizer().tokenize("item 8").ids)
        XCTAssertEqual(Array(text.attentionMask[0..<8]), [1, 1, 1, 1, 1, 1, 1, 0])
        XCTAssertNil(batches[0].audio)

        let dropping = try DataLoader(records: records, fields: [.image], batchSize: 4, dropLast: true, workers: 0)
        XCTAssertEqual(dropping.batchesPerEpoch, 2)
        XCTAssertEqual(try collect(dropping, epoch: 0).map(\.count), [4, 4])
    }

    func testShuffledEpochsCoverEveryRecordAndDiffer() throws {
        let records = try idxRecords(in: try temporaryDirectory(), count: 20)
        let loader = try DataLoader(records: records, fields: [.text], batchSize: 3, seed: 5, workers: 0)
        let epoch0 = try collect(loader, epoch: 0).flatMap { $0.records.map(\.id) }
        let epoch1 = try collect(loader, epoch: 1).flatMap { $0.records.map(\.id) }
        XCTAssertEqual(Set(epoch0), Set(records.map(\.id)))
        XCTAssertEqual(epoch0.count, 20)
        XCTAssertNotEqual(epoch0, epoch1)
        XCTAssertEqual(try collect(loader, epoch: 1).flatMap { $0.records.map(\.id) }, epoch1)
    }

    func testSameBatchesForAnyWorkerCount() throws {
        let records = try idxRecords(in: try temporaryDirectory(), count: 23)
        func run(_ workers: Int) throws -> [Snapshot] {
            let loader = try DataLoader(records: records, fields: [.image, .text], preprocessing: augmented,
                                        batchSize: 4, seed: 11, workers: workers, prefetch: 2)
            return try collect(loader, epoch: 2).map(Snapshot.init)
        }
        let reference = try run(0)
        XCTAssertEqual(reference.count, 6)
        XCTAssertEqual(try run(1), reference)
        XCTAssertEqual(try run(3), reference)
        // The augmentation and templates really vary between items.
        XCTAssertGreaterThan(Set(reference.flatMap(\.captions).map { $0.prefix(2) }).count, 1)
        let other = try DataLoader(records: records, fields: [.image, .text], preprocessing: augmented,
                                   batchSize: 4, seed: 12, workers: 0)
        XCTAssertNotEqual(try collect(other, epoch: 2).map(Snapshot.init), reference)
    }

    func testResumeEqualsTheTailOfTheEpoch() throws {
        let records = try idxRecords(in: try temporaryDirectory(), count: 23)
        let loader = try DataLoader(records: records, fields: [.image, .text], preprocessing: augmented,
                                    batchSize: 4, seed: 3, workers: 2)
        let full = try collect(loader, epoch: 1).map(Snapshot.init)
        XCTAssertEqual(try collect(loader, epoch: 1, from: 4).map(Snapshot.init), Array(full[4...]))
        XCTAssertEqual(try collect(loader, epoch: 1, from: loader.batchesPerEpoch).count, 0)
        let serial = try DataLoader(records: records, fields: [.image, .text], preprocessing: augmented,
                                    batchSize: 4, seed: 3, workers: 0)
        XCTAssertEqual(try collect(serial, epoch: 1, from: 2).map(Snapshot.init), Array(full[2...]))
    }

    /// Shards are disjoint slices of every batch, augmentation included, whatever the rank.
    func testShardsSplitEachBatch() throws {
        let records = try idxRecords(in: try temporaryDirectory(), count: 23)
        func batches(_ shard: Shard) throws -> [Snapshot] {
            let loader = try DataLoader(records: records, fields: [.image, .text], preprocessing: augmented, batchSize: 6,
                                        shard: shard, dropLast: true, seed: 4, workers: 1)
            XCTAssertEqual(loader.batchesPerEpoch, 3)
            return try collect(loader, epoch: 1).map(Snapshot.init)
        }
        let whole = try batches(.whole)
        let parts = try (0..<3).map { try batches(Shard(rank: $0, count: 3)) }
        for (b, batch) in whole.enumerated() {
            XCTAssertEqual(parts.map { $0[b].ids.count }, [2, 2, 2])
            XCTAssertEqual(parts.flatMap { $0[b].ids }, batch.ids)
            XCTAssertEqual(parts.flatMap { $0[b].image }, batch.image)
            XCTAssertEqual(parts.flatMap { $0[b].captions }, batch.captions)
        }
        XCTAssertThrowsError(try DataLoader(records: records, fields: [.text], batchSize: 6, shard: Shard(rank: 0, count: 4),
                                            dropLast: true)) { XCTAssertTrue("\($0)".contains("does not split evenly over 4 ranks"), "\($0)") }
    }

    func testStoppingEarlyReleasesTheWorkers() throws {
        let records = try idxRecords(in: try temporaryDirectory(), count: 200)
        let loader = try DataLoader(records: records, fields: [.image, .text], preprocessing: augmented,
                                    batchSize: 2, workers: 3, prefetch: 2)
        let cancelled = loader.batches(epoch: 0)
        XCTAssertNotNil(try cancelled.next())
        cancelled.cancel()
        XCTAssertNil(try cancelled.next())
        XCTAssertTrue(try XCTUnwrap(cancelled.queue).waitForWorkers(timeout: 10))

        var dropped: BatchIterator? = loader.batches(epoch: 0)
        XCTAssertNotNil(try dropped?.next())
        let queue = try XCTUnwrap(dropped?.queue)
        dropped = nil
        XCTAssertTrue(queue.waitForWorkers(timeout: 10))
    }

    func testCorruptImageErrorNamesTheFile() throws {
        let dir = try temporaryDirectory()
        var records: [ManifestRecord] = []
        for i in 0..<6 {
            let path = dir.appendingPathComponent("img\(i).png").path
            try PNGWriter.write(ImageBuffer(width: 4, height: 4, layout: .rgb, pixels: [UInt8](repeating: UInt8(i * 40), count: 48)), to: path)
            records.append(ManifestRecord(id: "img/\(i)", image: path, split: .train))
        }
        let bad = dir.appendingPathComponent("broken.png").path
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]).write(to: URL(fileURLWithPath: bad))
        records.insert(ManifestRecord(id: "img/broken", image: bad, split: .train), at: 4)
        for workers in [0, 2] {
            let loader = try DataLoader(records: records, fields: [.image], batchSize: 2, shuffle: false, workers: workers)
            let it = loader.batches(epoch: 0)
            XCTAssertEqual(try it.next()?.image?.shape, [2, 3, 4, 4])
            XCTAssertNotNil(try it.next())
            XCTAssertThrowsError(try it.next()) { error in
                XCTAssertTrue("\(error)".contains(bad), "\(error)")
            }
            XCTAssertNil(try it.next())
        }
    }

    func testMismatchedSizesAndBadIndexAreErrors() throws {
        let dir = try temporaryDirectory()
        var records = try idxRecords(in: dir, count: 3)
        let png = dir.appendingPathComponent("wide.png").path
        try PNGWriter.write(ImageBuffer(width: 9, height: 8, layout: .gray, pixels: [UInt8](repeating: 7, count: 72)), to: png)
        records[1].image = png
        let loader = try DataLoader(records: records, fields: [.image], batchSize: 3, shuffle: false, workers: 1)
        let e = dataError { try loader.batches(epoch: 0).next() }
        XCTAssertEqual(e?.source, png)
        XCTAssertTrue(e?.message.contains("[3, 8, 9]") ?? false, e?.message ?? "")

        records[1].image = records[0].idxImage!.path + "#99"
        let outOfRange = try DataLoader(records: records, fields: [.image], batchSize: 3, workers: 0)
        XCTAssertEqual(dataError { try outOfRange.batches(epoch: 0).next() }?.source, records[0].idxImage!.path)
    }

    func testConfigurationErrorsNameTheRecordOrSetting() throws {
        let records = try idxRecords(in: try temporaryDirectory(), count: 3)
        let e = dataError { try DataLoader(records: records, fields: [.image, .audio], batchSize: 2) }
        XCTAssertEqual(e?.kind, .invalidArgument)
        let pipeline = try AudioPipeline(preset: ModalityCards.load(AudioPreset.self, preset: "small"))
        let missing = dataError {
            try DataLoader(records: records, fields: [.speech], preprocessing: Preprocessing(audio: pipeline), batchSize: 2)
        }
        XCTAssertEqual(missing?.kind, .missingField)
        XCTAssertEqual(missing?.source, "toy/0")
        XCTAssertEqual(missing?.field, "speech")
        XCTAssertEqual(dataError { try DataLoader(records: records, fields: [.text], batchSize: 0) }?.kind, .invalidArgument)
    }

    private func collect(_ loader: DataLoader, epoch: Int, from start: Int = 0) throws -> [Batch] {
        let it = loader.batches(epoch: epoch, startingAt: start)
        var out: [Batch] = []
        while let b = try it.next() { out.append(b) }
        return out
    }
}

/// The comparable content of a batch.
private struct Snapshot: Equatable {
    var ids: [String]
    var image: [Float]
    var captions: [String]
    var tokens: [Int]

    init(_ b: Batch) {
        ids = b.records.map(\.id)
        image = b.image?.toArray() ?? []
        captions = b.captions ?? []
        tokens = b.text?.ids ?? []
    }
}
