import Foundation
@testable import PlinthData
import PlinthModalities
import XCTest

/// The Fashion-MNIST converter on the installed Debian files.
final class FashionMNISTTests: XCTestCase {
    static let source = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
    /// Shared by the tests: the decompressed files are reused between conversions.
    nonisolated(unsafe) static var directory: URL!

    override class func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinthdata-fmnist-\(UUID().uuidString)")
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    func testCountsLabelsAndDeterministicSplit() throws {
        let records = try FashionMNIST().convert(into: Self.directory, seed: 0, progress: nil).records
        var counts: [Split: Int] = [:]
        for r in records { counts[r.split, default: 0] += 1 }
        XCTAssertEqual(counts, [.train: 55_000, .val: 5_000, .test: 10_000])
        for r in records {
            guard let label = r.label, (0..<10).contains(label) else { return XCTFail("\(r.id): label \(String(describing: r.label))") }
            XCTAssertEqual(r.labelName, FashionMNIST.labelNames[label])
            XCTAssertEqual(r.text, r.labelName)
        }
        XCTAssertEqual(records[0].image, Self.directory.appendingPathComponent("train-images-idx3-ubyte").path + "#0")
        XCTAssertEqual(FashionMNIST.classNames[9], "Ankle boot")

        let val = Set(records.filter { $0.split == .val }.map(\.id))
        let again = try FashionMNIST().convert(into: Self.directory, seed: 0, progress: nil).records
        XCTAssertEqual(Set(again.filter { $0.split == .val }.map(\.id)), val)
        let other = try FashionMNIST().convert(into: Self.directory, seed: 1, progress: nil).records
        XCTAssertNotEqual(Set(other.filter { $0.split == .val }.map(\.id)), val)
    }

    /// Spoken class names: training records hear the training voices, test records only the others.
    func testSpokenLabelsKeepTestVoicesOutOfTraining() throws {
        let spoken = FashionMNIST.SpokenLabels()
        let records = try FashionMNIST(speech: spoken).convert(into: Self.directory, seed: 0, progress: nil).records
        func voice(_ r: ManifestRecord) -> String { URL(fileURLWithPath: r.speech!).deletingLastPathComponent().lastPathComponent }
        XCTAssertEqual(Set(records.filter { $0.split != .test }.map(voice)), Set(spoken.trainVoices))
        XCTAssertEqual(Set(records.filter { $0.split == .test }.map(voice)), Set(spoken.testVoices))
        let boot = try XCTUnwrap(records.first { $0.label == 9 })
        XCTAssertEqual(URL(fileURLWithPath: boot.speech!).lastPathComponent, "ankle-boot.wav")
        let paths = Set(records.map { $0.speech! })
        XCTAssertEqual(paths.count, 10 * (spoken.trainVoices.count + spoken.testVoices.count))
        for path in paths {
            let wave = try AudioDecoder.decode(path: path)
            XCTAssertGreaterThan(wave.duration, 0.2, path)
        }
    }

    func testFirstTestImageEqualsTheIDXBytes() throws {
        let records = try FashionMNIST().convert(into: Self.directory, seed: 0, progress: nil).records
        let first = try XCTUnwrap(records.first { $0.split == .test })
        XCTAssertEqual(first.id, "fashion-mnist/t10k/0")
        // The bytes straight from the package, decompressed by the test itself.
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-dc", Self.source.appendingPathComponent("t10k-images-idx3-ubyte.gz").path]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        try gzip.run()
        let raw = pipe.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        let expected = [UInt8](raw[16..<(16 + 784)])

        let loader = try DataLoader(records: [first], fields: [.image], batchSize: 1, shuffle: false, workers: 0)
        let batch = try XCTUnwrap(try loader.batches(epoch: 0).next())
        XCTAssertEqual(batch.image?.shape, [1, 3, 28, 28])
        let values = try XCTUnwrap(batch.image).toArray()
        XCTAssertEqual(values[0..<784].map { UInt8(($0 * 255).rounded()) }, expected)
        XCTAssertEqual(Array(values[784..<1568]), Array(values[0..<784]))  // gray -> RGB
        XCTAssertEqual(batch.labels, [first.label!])

        let small = try ImageTransform(preset: ModalityCards.load(ImagePreset.self, preset: "small"))
        let resized = try DataLoader(records: [first], fields: [.image], preprocessing: Preprocessing(image: small),
                                     batchSize: 1, workers: 0)
        XCTAssertEqual(try resized.batches(epoch: 0).next()?.image?.shape, [1, 3, 32, 32])
    }

    func testBadIDXFilesNameFileAndOffset() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("bad-idx3-ubyte")
        try Data([0x1F, 0x8B, 8, 3]).write(to: url)
        var e = dataError { try IDXImages(contentsOf: url.path) }
        XCTAssertEqual(e?.source, url.path)
        XCTAssertTrue(e?.message.hasPrefix("offset 0: magic bytes 1F 8B") ?? false, e?.message ?? "")
        let pixels = try writeIDXImages(to: url, count: 2, side: 4)
        try Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4] + pixels.dropLast()).write(to: url)
        e = dataError { try IDXImages(contentsOf: url.path) }
        XCTAssertEqual(e?.message, "offset 16: 31 element bytes, dimensions [2, 4, 4] need 32")
        try Data([0, 0, 0x0D, 3]).write(to: url)
        XCTAssertEqual(dataError { try IDXImages(contentsOf: url.path) }?.message,
                       "offset 2: element type 0x0D, expected 0x08 (unsigned byte)")
    }

    func testMissingPackageNamesItAndTheSetupScript() throws {
        let converter = FashionMNIST(sourceDirectory: URL(fileURLWithPath: "/nonexistent/fashion-mnist"))
        let e = dataError { try converter.convert(into: try temporaryDirectory(), seed: 0, progress: nil) }
        XCTAssertEqual(e?.kind, .missingPackage)
        XCTAssertTrue(e?.description.contains("dataset-fashion-mnist (run scripts/setup.sh)") ?? false)
    }
}
