import Foundation
import PlinthModalities
import PlinthTensor
import XCTest

/// SpecAugment masks and clip operations.
final class AudioAugmentTests: XCTestCase {
    private func spec(_ m: Int, _ t: Int, batch: Int = 1) -> Tensor {
        Tensor((0..<(batch * m * t)).map { Float($0 % 97) + 1 }, shape: batch == 1 ? [m, t] : [batch, m, t])
    }

    func testSameSeedSameMasks() {
        let aug = SpecAugment(frequencyMaskParam: 30, timeMaskParam: 60, frequencyMasks: 2, timeMasks: 2)
        let x = spec(128, 204)
        let a = aug(x, generator: RandomGenerator(seed: 7)).toArray()
        let b = aug(x, generator: RandomGenerator(seed: 7)).toArray()
        let c = aug(x, generator: RandomGenerator(seed: 8)).toArray()
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(x.toArray()[0], 1)  // input untouched
    }

    func testFrequencyMaskCoversWholeRows() {
        let x = spec(64, 50)
        let g = RandomGenerator(seed: 3)
        for _ in 0..<50 {
            let y = SpecAugmentMask.frequency(20)(x, generator: g).toArray()
            let masked = (0..<64).filter { r in (0..<50).allSatisfy { y[r * 50 + $0] == 0 } }
            let touched = (0..<64).filter { r in (0..<50).contains { y[r * 50 + $0] == 0 } }
            XCTAssertEqual(masked, touched)
            XCTAssertLessThan(masked.count, 20)
            if let f = masked.first { XCTAssertEqual(masked, Array(f..<(f + masked.count))) }
        }
    }

    func testTimeMaskWidthIsUniformBelowParam() {
        let mask = SpecAugmentMask.time(10)
        let g = RandomGenerator(seed: 11)
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<20_000 {
            let r = mask.drawRange(size: 100, generator: g)
            XCTAssertTrue(r.lowerBound >= 0 && r.upperBound <= 100)
            counts[r.count] += 1
        }
        // floor(u * 10) is uniform on 0...9.
        for c in counts { XCTAssertEqual(Double(c) / 20_000, 0.1, accuracy: 0.015) }
        // p caps the width at floor(p * T).
        let capped = SpecAugmentMask.time(50, p: 0.05)
        for _ in 0..<1000 { XCTAssertLessThan(capped.drawRange(size: 100, generator: g).count, 5) }
    }

    func testIidMasksDifferAcrossBatch() {
        let x = spec(16, 40, batch: 4)
        let shared = SpecAugmentMask.time(30)(x, generator: RandomGenerator(seed: 1)).toArray()
        let per = SpecAugmentMask.time(30, iidMasks: true)(x, generator: RandomGenerator(seed: 1)).toArray()
        func zeros(_ v: [Float], _ b: Int) -> [Int] { (0..<640).filter { v[b * 640 + $0] == 0 } }
        for b in 1..<4 { XCTAssertEqual(zeros(shared, b), zeros(shared, 0)) }
        XCTAssertTrue((1..<4).contains { zeros(per, $0) != zeros(per, 0) })
    }

    func testFitPadsCropsAndRepeats() {
        let x: [Float] = [1, 2, 3]
        XCTAssertEqual(AudioClips.fit(x, length: 5), [1, 2, 3, 0, 0])
        XCTAssertEqual(AudioClips.fit(x, length: 7, padding: .repeating), [1, 2, 3, 1, 2, 3, 1])
        XCTAssertEqual(AudioClips.fit(x, length: 2), [1, 2])
        XCTAssertEqual(AudioClips.fit(x, length: 2, offset: 5), [2, 3])
        XCTAssertEqual(AudioClips.fit([], length: 2, padding: .repeating), [0, 0])
        XCTAssertEqual(AudioClips.sampleCount(seconds: 2, sampleRate: 16000), 32000)
    }

    func testSplitWithHop() {
        let x = (0..<11).map(Float.init)
        XCTAssertEqual(AudioClips.clipStarts(count: 10, length: 4, hop: 3), [0, 3, 6])
        XCTAssertEqual(AudioClips.clipStarts(count: 11, length: 4, hop: 3), [0, 3, 6, 9])
        XCTAssertEqual(AudioClips.clipStarts(count: 11, length: 4, hop: 3, keepTail: false), [0, 3, 6])
        XCTAssertEqual(AudioClips.clipStarts(count: 10, length: 4, hop: 20), [0])
        XCTAssertEqual(AudioClips.clipStarts(count: 3, length: 4, hop: 2), [0])
        let clips = AudioClips.split(x, length: 4, hop: 3)
        XCTAssertEqual(clips.last, [9, 10, 0, 0])
        XCTAssertEqual(clips[1], [3, 4, 5, 6])
        let stereo = Waveform(samples: Tensor(x + x.map { -$0 }, shape: [2, 11]), sampleRate: 5)
        let parts = AudioClips.split(stereo, seconds: 0.8, hopSeconds: 0.6)
        XCTAssertEqual(parts.count, 4)
        XCTAssertEqual(parts[1].samples.shape, [2, 4])
        XCTAssertEqual(parts[1].channel(1), [-3, -4, -5, -6])
        XCTAssertEqual(AudioClips.fit(stereo, length: 13, padding: .repeating).channel(0).suffix(3), [10, 0, 1])
    }
}
