import Foundation
import PlinthNN
import XCTest

final class SafetensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("plinth-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Helpers

    /// Writes raw bytes to a fresh file in the test directory.
    private func file(_ bytes: [UInt8], name: String = "test.safetensors") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// Writes a hand-made safetensors file: header length (declared, or the real one), header, data.
    private func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) throws -> URL {
        let json = Array(header.utf8)
        return try file(littleEndian(declaredLength ?? UInt64(json.count)) + json + data)
    }

    private func littleEndian(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// Asserts that `body` throws a `SafetensorsError` of `kind` whose description contains every fragment.
    private func assertFails<T>(
        _ kind: SafetensorsError.Kind, _ fragments: [String],
        file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
    ) {
        do {
            _ = try body()
            XCTFail("expected a \(kind) error", file: file, line: line)
        } catch let error as SafetensorsError {
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(error.description.contains(fragment), "\"\(error)\" lacks \"\(fragment)\"", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }

    private func assertOpenFails(
        _ url: URL, _ kind: SafetensorsError.Kind, _ fragments: [String],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        assertFails(kind, fragments + [url.path], file: file, line: line) { try SafetensorsFile(contentsOf: url) }
    }

    private func bits16(_ tensor: SafetensorsWriter.Tensor) -> [UInt16] {
        stride(from: 0, to: tensor.bytes.count, by: 2).map { UInt16(tensor.bytes[$0]) | UInt16(tensor.bytes[$0 + 1]) << 8 }
    }

    private func bytes16(_ values: [UInt16]) -> [UInt8] {
        values.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
    }

    private func entries(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    // MARK: - Round trip

    func testRoundTripAllDTypesWithMetadata() throws {
        let url = directory.appendingPathComponent("model.safetensors")
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t ünïcødé \u{1}"]
        let f32: [Float] = [1, -2.5, 3.25, .pi, -0.0, .greatestFiniteMagnitude]
        let f16: [Float] = [0.5, -65504, 0x1p-24, .infinity]
        let bf16: [Float] = [1, -3, 0x1p-126, 0x1.5p100]
        let i64: [Int64] = [0, -1, .max, .min]
        try writeSafetensors(to: url, tensors: [
            .f32("layer.weight", shape: [2, 3], f32),
            .i64("ids", shape: [4], i64),
            .f16("half", shape: [2, 2], f16),
            .bf16("brain", shape: [4], bf16),
            .f32("scalar", shape: [], [42]),
            .f32("empty", shape: [0, 3], []),
        ], metadata: metadata)

        let st = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(st.metadata, metadata)
        XCTAssertEqual(st.names, ["brain", "empty", "half", "ids", "layer.weight", "scalar"])
        XCTAssertEqual(st.unsupportedDTypes, [:])
        let weight = try st.entry("layer.weight")
        XCTAssertEqual(weight.dtype, .f32)
        XCTAssertEqual(weight.shape, [2, 3])
        XCTAssertEqual(weight.byteRange.count, 24)
        XCTAssertEqual(weight.elementCount, 6)
        XCTAssertEqual(try st.floats("layer.weight").map(\.bitPattern), f32.map(\.bitPattern))
        XCTAssertEqual(try st.floats("half"), f16)
        XCTAssertEqual(try st.floats("brain"), bf16)
        XCTAssertEqual(try st.int64s("ids"), i64)
        XCTAssertEqual(try st.floats("ids"), i64.map(Float.init))
        XCTAssertEqual(try st.floats("scalar"), [42])
        XCTAssertEqual(try st.entry("scalar").shape, [])
        XCTAssertEqual(try st.floats("empty"), [])
        XCTAssertEqual(try st.entry("half").dtype, .f16)
        XCTAssertEqual(try st.entry("brain").dtype, .bf16)
        XCTAssertEqual(try st.entry("ids").dtype, .i64)

        var buffer = [Float](repeating: 0, count: 6)
        try buffer.withUnsafeMutableBufferPointer { try st.copyFloats("layer.weight", into: $0) }
        XCTAssertEqual(buffer.map(\.bitPattern), f32.map(\.bitPattern))
        let raw = try st.withRawBytes("ids") { Array($0) }
        XCTAssertEqual(raw, SafetensorsWriter.Tensor.i64("ids", shape: [4], i64).bytes)

        // Header: padded with spaces to a multiple of 8, metadata first, tensors in name order.
        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(headerLength % 8, 0)
        let header = String(decoding: bytes[8..<8 + headerLength], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{\"__metadata__\":{\"format\":\"pt\",\"note\":"), header)
        XCTAssertTrue(header.contains("\"brain\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]}"), header)
        // Data in name order: brain (8 bytes), empty (0), half (8), ids (32), then layer.weight.
        XCTAssertEqual(weight.byteRange, 8 + headerLength + 48 ..< 8 + headerLength + 72)
    }

    func testOverwritesExistingFileAndOmitsEmptyMetadata() throws {
        let url = directory.appendingPathComponent("w.safetensors")
        try writeSafetensors(to: url, tensors: [.f32("a", shape: [1], [1])], metadata: ["k": "v"])
        try writeSafetensors(to: url, tensors: [.f32("b", shape: [2], [2, 3])])
        let st = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(st.names, ["b"])
        XCTAssertEqual(st.metadata, [:])
        XCTAssertEqual(try st.floats("b"), [2, 3])
        XCTAssertEqual(try entries(in: directory), ["w.safetensors"])
    }

    func testReadsUnalignedDataAndPaddedHeader() throws {
        // Header of odd length (trailing spaces), so the F32/I64 data is not 4- or 8-byte aligned.
        let header = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"n":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}}"#
            + "   "
        XCTAssertEqual(Array(header.utf8).count % 2, 1)
        let data = [Float(1.5), -7].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
            + withUnsafeBytes(of: Int64(-123_456_789_012).littleEndian) { Array($0) }
        let st = try SafetensorsFile(contentsOf: try file(header: header, data: data))
        XCTAssertEqual(try st.floats("x"), [1.5, -7])
        XCTAssertEqual(try st.int64s("n"), [-123_456_789_012])
        XCTAssertEqual(st.metadata, [:])
    }

    func testEmptyHeaderObjectIsValid() throws {
        let st = try SafetensorsFile(contentsOf: try file(header: "{}"))
        XCTAssertEqual(st.names, [])
        assertFails(.tensorNotFound, ["\"x\"", "no tensors"]) { try st.floats("x") }
    }

    // MARK: - Half-precision conversions

    func testF16ConversionOnRepresentativeValues() throws {
        let cases: [(Float, UInt16)] = [
            (0, 0x0000), (-0.0, 0x8000), (1, 0x3C00), (-2, 0xC000), (0.333251953125, 0x3555),
            (65504, 0x7BFF),                  // largest finite
            (65519.99, 0x7BFF), (65520, 0x7C00), // just below / at the rounding boundary to infinity
            (0x1p-14, 0x0400),                // smallest normal
            (0x1.FF8p-15, 0x03FF),            // largest subnormal
            (0x1p-24, 0x0001),                // smallest subnormal
            (0x1p-25, 0x0000),                // tie between 0 and the smallest subnormal: even is 0
            (0x1.8p-25, 0x0001), (0x1.8p-24, 0x0002), // above the tie; tie 1.5 ulp rounds to even 2
            (-0x1p-26, 0x8000),               // underflow keeps the sign
            (1 + 0x1p-11, 0x3C00), (1 + 0x1.8p-10, 0x3C02), // ties to even in the normal range
            (.infinity, 0x7C00), (-.infinity, 0xFC00), (1e10, 0x7C00), (.leastNonzeroMagnitude, 0x0000),
        ]
        let tensor = SafetensorsWriter.Tensor.f16("h", shape: [cases.count], cases.map(\.0))
        XCTAssertEqual(bits16(tensor).map { String($0, radix: 16) }, cases.map { String($0.1, radix: 16) })
        let nan = bits16(.f16("n", shape: [2], [.nan, -.nan]))
        XCTAssertEqual(nan[0] & 0x7C00, 0x7C00)
        XCTAssertNotEqual(nan[0] & 0x03FF, 0)
        XCTAssertEqual(nan[1] & 0x8000, 0x8000)

        // Widening: exact values, sign of zero, subnormals, infinities and NaN.
        let url = directory.appendingPathComponent("h.safetensors")
        try writeSafetensors(to: url, tensors: [tensor, .init(name: "nan", dtype: .f16, shape: [1], bytes: bytes16([0x7E01]))])
        let st = try SafetensorsFile(contentsOf: url)
        let widened = try st.floats("h")
        let expected: [Float] = [0, -0.0, 1, -2, 0.333251953125, 65504, 65504, .infinity, 0x1p-14, 0x1.FF8p-15,
                                 0x1p-24, 0, 0x1p-24, 0x1p-23, -0.0, 1, 1 + 0x1p-9, .infinity, -.infinity, .infinity, 0]
        XCTAssertEqual(widened.map(\.bitPattern), expected.map(\.bitPattern))
        XCTAssertEqual(try st.floats("nan")[0].bitPattern, 0x7FC0_2000)  // payload preserved
    }

    func testBF16ConversionOnRepresentativeValues() throws {
        let cases: [(Float, UInt16)] = [
            (0, 0x0000), (-0.0, 0x8000), (1, 0x3F80), (-3, 0xC040),
            (1 + 0x1p-8, 0x3F80), (1 + 0x1.8p-7, 0x3F82), (1 + 0x1.01p-8, 0x3F81), // ties to even, above tie
            (.greatestFiniteMagnitude, 0x7F80),            // rounds up to infinity
            (0x1.FEp127, 0x7F7F),                          // largest finite BF16
            (0x1p-126, 0x0080),                            // smallest normal
            (Float(bitPattern: 0x0001_0000), 0x0001),      // smallest BF16 subnormal
            (Float(bitPattern: 0x0000_8000), 0x0000),      // tie: even is 0
            (Float(bitPattern: 0x0001_8000), 0x0002),      // tie: even is 2
            (Float(bitPattern: 0x8000_0001), 0x8000),      // tiny negative keeps sign
            (.infinity, 0x7F80), (-.infinity, 0xFF80),
        ]
        let tensor = SafetensorsWriter.Tensor.bf16("b", shape: [cases.count], cases.map(\.0))
        XCTAssertEqual(bits16(tensor).map { String($0, radix: 16) }, cases.map { String($0.1, radix: 16) })
        let nan = bits16(.bf16("n", shape: [3], [.nan, -.nan, Float(bitPattern: 0x7F80_0001)]))
        XCTAssertEqual(nan.map { $0 & 0x7FC0 }, [0x7FC0, 0x7FC0, 0x7FC0])  // stays NaN, never becomes infinity
        XCTAssertEqual(nan[1] & 0x8000, 0x8000)
    }

    /// Every binary16 and bfloat16 bit pattern widens exactly and narrows back to itself.
    func testAllHalfBitPatternsRoundTrip() throws {
        let all = (0...UInt16.max).map { $0 }
        let url = directory.appendingPathComponent("all.safetensors")
        try writeSafetensors(to: url, tensors: [
            .init(name: "f16", dtype: .f16, shape: [all.count], bytes: bytes16(all)),
            .init(name: "bf16", dtype: .bf16, shape: [all.count], bytes: bytes16(all)),
        ])
        let st = try SafetensorsFile(contentsOf: url)
        let halves = try st.floats("f16")
        let brains = try st.floats("bf16")
        let halfBack = bits16(.f16("x", shape: [all.count], halves))
        let brainBack = bits16(.bf16("x", shape: [all.count], brains))
        var failures: [String] = []
        for bits in all {
            let i = Int(bits)
            if brains[i].bitPattern != UInt32(bits) << 16 { failures.append("bf16 widen \(bits)") }
            #if !(os(macOS) && arch(x86_64))
            // (The hardware conversion behind Float16 quiets signalling NaNs; ours keeps the bits.)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN ? !halves[i].isNaN : halves[i].bitPattern != reference.bitPattern {
                failures.append("f16 widen \(bits)")
            }
            #endif
            if bits & 0x7C00 == 0x7C00 && bits & 0x03FF != 0 {  // NaN stays (quiet) NaN
                if !halves[i].isNaN || halfBack[i] & 0x7E00 != 0x7E00 { failures.append("f16 NaN \(bits)") }
            } else if halfBack[i] != bits {
                failures.append("f16 narrow \(bits)")
            }
            if brains[i].isNaN {
                if brainBack[i] & 0x7FC0 != 0x7FC0 { failures.append("bf16 NaN \(bits)") }
            } else if brainBack[i] != bits {
                failures.append("bf16 narrow \(bits)")
            }
        }
        XCTAssertEqual(failures, [])
    }

    #if !(os(macOS) && arch(x86_64))
    /// Narrowing to F16 agrees with the standard library's `Float16(_:)` (round to nearest even).
    func testF16NarrowingMatchesStandardLibrary() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var values: [Float] = []
        for _ in 0..<200_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Bias exponents toward the binary16 range so subnormals and rounding edges are common.
            let bits = UInt32(truncatingIfNeeded: state >> 32)
            let exponent = UInt32(96 + (state >> 20) % 48) << 23
            values.append(Float(bitPattern: bits & 0x807F_FFFF | exponent))
            values.append(Float(bitPattern: bits))
        }
        let ours = bits16(.f16("x", shape: [values.count], values))
        let mismatches = zip(values, ours).filter { value, bits in !value.isNaN && bits != Float16(value).bitPattern }
        XCTAssertEqual(mismatches.count, 0, "first: \(mismatches.prefix(5))")
    }
    #endif

    // MARK: - Malformed files

    func testTruncatedFile() throws {
        assertOpenFails(try file([1, 0, 0, 0, 0]), .truncated, ["5 bytes", "at least 8 bytes", "byte offset 0"])
    }

    func testEmptyFile() throws {
        assertOpenFails(try file([]), .truncated, ["0 bytes", "at least 8 bytes"])
    }

    func testDirectoryAndMissingFile() throws {
        assertOpenFails(directory, .io, ["directory"])
        assertOpenFails(directory.appendingPathComponent("absent.safetensors"), .io, ["cannot open"])
    }

    func testHeaderLengthPastEndOfFile() throws {
        let url = try file(header: "{}", declaredLength: 100)
        assertOpenFails(url, .truncated, ["header length 100", "byte offset 0", "past the end of the file", "10 bytes"])
    }

    func testHugeHeaderLength() throws {
        let url = try file(header: "{}", declaredLength: UInt64.max)
        assertOpenFails(url, .invalidHeader, ["header length \(UInt64.max)", "byte offset 0", "limit of 100000000"])
    }

    func testInvalidJSON() throws {
        assertOpenFails(try file(header: #"{"a": "#), .invalidHeader, ["not valid JSON", "byte offset 14", "a JSON value"])
        assertOpenFails(try file(header: #"{"a": 1,}"#), .invalidHeader, ["not valid JSON", "byte offset 16", "a string key"])
        assertOpenFails(try file(header: "{} x"), .invalidHeader, ["byte offset 11", "end of header"])
    }

    func testInvalidUTF8() throws {
        let url = try file(littleEndian(4) + [0x7B, 0x22, 0xFF, 0x7D])
        assertOpenFails(url, .invalidHeader, ["UTF-8", "byte offset 10"])
    }

    func testDeeplyNestedJSONDoesNotCrash() throws {
        let header = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        assertOpenFails(try file(header: header), .invalidHeader, ["levels of nesting"])
    }

    func testHeaderThatIsAnArray() throws {
        assertOpenFails(try file(header: "[1, 2]"), .invalidHeader, ["an array", "expected an object"])
    }

    func testMissingDType() throws {
        let url = try file(header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        assertOpenFails(url, .invalidEntry, ["tensor \"w\"", "missing field \"dtype\""])
    }

    func testFieldsOfTheWrongJSONType() throws {
        let cases: [(String, String)] = [
            (#"{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}"#, #"field "dtype" is the number 4"#),
            (#"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, #"field "shape" is the string "1""#),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":{}}}"#, #"field "data_offsets" is an object"#),
            (#"{"w":[]}"#, "entry is an array"),
            (#"{"__metadata__":{"a":1},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, #"value of "a" is the number 1"#),
            (#"{"__metadata__":[],"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, #"field "__metadata__" is an array"#),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, #""w" appears more than once"#),
        ]
        for (header, fragment) in cases {
            assertOpenFails(try file(header: header, data: [0, 0, 0, 0]), .invalidEntry, [fragment])
        }
    }

    func testUnknownDType() throws {
        let url = try file(header: #"{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        assertOpenFails(url, .invalidEntry, ["tensor \"w\"", "field \"dtype\"", "unknown dtype \"Q7\"", "F32"])
    }

    func testShapeWithNegativeOrNonIntegerDimension() throws {
        for (dim, text) in [("-1", "the number -1"), ("1.0", "the number 1.0"), ("1e0", "the number 1e0"),
                            ("99999999999999999999", "the number 99999999999999999999"), ("true", "true")] {
            let url = try file(header: #"{"w":{"dtype":"F32","shape":[2,"# + dim + #"],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
            assertOpenFails(url, .invalidEntry, ["tensor \"w\"", "field \"shape\"", "element 1 is \(text)", "non-negative integer"])
        }
    }

    func testElementCountOverflow() throws {
        let url = try file(header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        assertOpenFails(url, .invalidEntry, ["tensor \"w\"", "field \"shape\"", "overflows"])
    }

    func testOffsetsOutOfRange() throws {
        let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let url = try file(header: header, data: [0, 0, 0, 0])
        let dataEnd = 8 + header.utf8.count + 4
        assertOpenFails(url, .invalidEntry, ["tensor \"w\"", "field \"data_offsets\"", "end 8 is past the end of the data section (4 bytes", "file byte offset \(dataEnd)"])
    }

    func testOffsetsEndBeforeBegin() throws {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#
        let url = try file(header: header, data: [0, 0, 0, 0])
        let begin = 8 + header.utf8.count + 4
        assertOpenFails(url, .invalidEntry, ["tensor \"w\"", "field \"data_offsets\"", "end 0 is before begin 4", "file byte offset \(begin)"])
    }

    func testOffsetsNotTwoIntegers() throws {
        let url = try file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, data: [0, 0, 0, 0])
        assertOpenFails(url, .invalidEntry, ["tensor \"w\"", "field \"data_offsets\" has 1 elements", "two integers"])
        let negative = try file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, data: [0, 0, 0, 0])
        assertOpenFails(negative, .invalidEntry, ["field \"data_offsets\": element 0 is the number -4"])
    }

    func testByteLengthNotMatchingShapeAndDTypeSize() throws {
        // 8 bytes declared for two F16 elements (4 bytes): the F32 size was used by mistake.
        let url = try file(header: #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        assertOpenFails(url, .invalidEntry, ["tensor \"w\"", "data_offsets [0, 8]", "span 8 bytes", "expected 4 bytes", "F16"])
    }

    func testOverlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let url = try file(header: header, data: [UInt8](repeating: 0, count: 12))
        assertOpenFails(url, .invalidLayout, ["tensor \"b\"", "data_offsets [4, 12]", "overlap tensor \"a\"", "data offset 8"])
    }

    func testGapBetweenTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let url = try file(header: header, data: [UInt8](repeating: 0, count: 12))
        let dataStart = 8 + Array(header.utf8).count
        assertOpenFails(url, .invalidLayout, ["data bytes 4..<8", "file byte offset \(dataStart + 4)", "\"b\"", "not covered"])
    }

    func testUncoveredTrailingData() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let url = try file(header: header, data: [UInt8](repeating: 0, count: 8))
        let dataStart = 8 + Array(header.utf8).count
        assertOpenFails(url, .invalidLayout, ["8 bytes", "cover only 4", "file byte offset \(dataStart + 4)", "not covered"])
    }

    // MARK: - Reading errors

    func testUnsupportedDTypeOpensButCannotBeRead() throws {
        let header = #"{"idx":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"m":{"dtype":"F4","shape":[3],"data_offsets":[12,12]}}"#
        let url = try file(header: header, data: [1, 0, 0, 0, 2, 0, 0, 0] + withUnsafeBytes(of: Float(0.75).bitPattern) { Array($0) })
        assertOpenFails(url, .invalidEntry, ["tensor \"m\"", "F4", "whole number of bytes"])

        let valid = try file(header: header.replacingOccurrences(of: #""shape":[3],"data_offsets":[12,12]"#, with: #""shape":[2],"data_offsets":[12,13]"#),
                             data: [1, 0, 0, 0, 2, 0, 0, 0] + withUnsafeBytes(of: Float(0.75).bitPattern) { Array($0) } + [0x21])
        let st = try SafetensorsFile(contentsOf: valid)
        XCTAssertEqual(st.names, ["idx", "m", "w"])
        XCTAssertEqual(Array(st.entries.keys), ["w"])
        XCTAssertEqual(st.unsupportedDTypes, ["idx": "I32", "m": "F4"])
        XCTAssertEqual(try st.floats("w"), [0.75])
        assertFails(.unsupportedDType, ["tensor \"idx\"", "dtype I32", valid.path]) { try st.floats("idx") }
        assertFails(.unsupportedDType, ["tensor \"idx\"", "I32"]) { try st.entry("idx") }
        assertFails(.unsupportedDType, ["tensor \"m\"", "F4"]) { try st.withRawBytes("m") { $0.count } }
    }

    func testReadingAMissingName() throws {
        let url = directory.appendingPathComponent("m.safetensors")
        try writeSafetensors(to: url, tensors: [.f32("alpha", shape: [1], [1]), .f32("beta", shape: [1], [2])])
        let st = try SafetensorsFile(contentsOf: url)
        assertFails(.tensorNotFound, ["no tensor named \"gamma\"", "\"alpha\"", "\"beta\"", url.path]) { try st.floats("gamma") }
        assertFails(.tensorNotFound, ["\"gamma\""]) { try st.withRawBytes("gamma") { $0.count } }
        assertFails(.tensorNotFound, ["\"gamma\""]) { try st.int64s("gamma") }
    }

    func testDTypeAndCountMismatches() throws {
        let url = directory.appendingPathComponent("c.safetensors")
        try writeSafetensors(to: url, tensors: [.f32("w", shape: [2, 3], [1, 2, 3, 4, 5, 6])])
        let st = try SafetensorsFile(contentsOf: url)
        assertFails(.dtypeMismatch, ["tensor \"w\"", "F32", "I64"]) { try st.int64s("w") }
        var small = [Float](repeating: 0, count: 5)
        assertFails(.countMismatch, ["tensor \"w\"", "6 elements", "[2, 3]", "holds 5"]) {
            try small.withUnsafeMutableBufferPointer { try st.copyFloats("w", into: $0) }
        }
        XCTAssertEqual(small, [0, 0, 0, 0, 0])
    }

    // MARK: - Writer errors

    func testWriterRejectsInvalidTensors() throws {
        let url = directory.appendingPathComponent("bad.safetensors")
        let cases: [([SafetensorsWriter.Tensor], String)] = [
            ([.f32("a", shape: [1], [1]), .f32("a", shape: [1], [2])], "\"a\" is used more than once"),
            ([.f32("a", shape: [2], [1])], "has 4 bytes; shape [2] of F32 needs 8"),
            ([.init(name: "a", dtype: .f16, shape: [3], bytes: [0, 0, 0, 0])], "shape [3] of F16 needs 6"),
            ([.f32("", shape: [1], [1])], "empty name"),
            ([.f32("__metadata__", shape: [1], [1])], "reserved"),
            ([.f32("a", shape: [-1], [])], "negative dimension"),
            ([.f32("a", shape: [Int.max, 2], [])], "overflows"),
        ]
        for (tensors, fragment) in cases {
            assertFails(.invalidArgument, [fragment, url.path]) { try writeSafetensors(to: url, tensors: tensors) }
        }
        XCTAssertEqual(try entries(in: directory), [])
    }

    func testWritingIntoAMissingDirectoryThrowsAndLeavesNothing() throws {
        let missing = directory.appendingPathComponent("no/such/dir")
        let url = missing.appendingPathComponent("x.safetensors")
        assertFails(.io, [url.path, "temporary file"]) { try writeSafetensors(to: url, tensors: [.f32("a", shape: [1], [1])]) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path))
        XCTAssertEqual(try entries(in: directory), [])
    }

    func testFailedWriteDoesNotClobberExistingFile() throws {
        let url = directory.appendingPathComponent("keep.safetensors")
        try writeSafetensors(to: url, tensors: [.f32("a", shape: [2], [1, 2])])
        let original = try Data(contentsOf: url)

        assertFails(.invalidArgument, ["more than once"]) {
            try writeSafetensors(to: url, tensors: [.f32("b", shape: [1], [1]), .f32("b", shape: [1], [1])])
        }
        XCTAssertEqual(try Data(contentsOf: url), original)

        // A failure after the temporary file is written (rename onto a non-empty directory)
        // removes the temporary file and leaves the destination untouched.
        let occupied = directory.appendingPathComponent("occupied.safetensors")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: false)
        try Data([1]).write(to: occupied.appendingPathComponent("inside"))
        assertFails(.io, ["rename", occupied.path]) {
            try writeSafetensors(to: occupied, tensors: [.f32("b", shape: [1], [1])])
        }
        XCTAssertEqual(try entries(in: directory), ["keep.safetensors", "occupied.safetensors"])
        XCTAssertEqual(try entries(in: occupied), ["inside"])
        XCTAssertEqual(try Data(contentsOf: url), original)
        XCTAssertEqual(try SafetensorsFile(contentsOf: url).floats("a"), [1, 2])
    }
}
