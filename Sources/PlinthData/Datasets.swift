import Foundation

/// Reports progress of a long step (speech synthesis): `done` of `total`.
/// Called from background threads, one call at a time.
public typealias ProgressHandler = @Sendable (_ done: Int, _ total: Int) -> Void

/// Turns an installed data source into manifest records.
public protocol DatasetConverter: Sendable {
    /// Builds the records, deterministic for `seed`. Derived files
    /// (decompressed IDX files, synthesized speech) go under `directory`.
    func convert(into directory: URL, seed: UInt64, progress: ProgressHandler?) throws -> Conversion
}

/// A converter's records plus what it left out and why.
public struct Conversion: Sendable {
    public var records: [ManifestRecord]
    /// Items left out, by reason ("svg_only", "no_wav", ...).
    public var skipped: [String: Int]

    public init(records: [ManifestRecord], skipped: [String: Int] = [:]) {
        self.records = records
        self.skipped = skipped
    }
}

/// What building a manifest produced, for the CLI to print.
public struct DatasetSummary: Sendable, Equatable {
    public var name: String
    public var manifest: URL
    /// Records per split.
    public var counts: [Split: Int]
    /// Items left out, by reason.
    public var skipped: [String: Int]

    public var total: Int { counts.values.reduce(0, +) }
}

/// The built-in datasets, each made from Debian packages into
/// `<dataDirectory>/<name>/manifest.jsonl`.
public enum Datasets {
    public static let names = ["fashion-mnist", "fashion-mnist-spoken", "tuxpaint", "asterisk"]

    /// `$PLINTH_DATA`, else `~/.cache/plinth/data`.
    public static var defaultDirectory: URL {
        if let env = ProcessInfo.processInfo.environment["PLINTH_DATA"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/plinth/data")
    }

    /// The converter for a dataset name, reading the installed packages.
    public static func converter(named name: String) throws -> any DatasetConverter {
        switch name {
        case "fashion-mnist": return FashionMNIST()
        case "fashion-mnist-spoken": return FashionMNIST(speech: .init())
        case "tuxpaint": return TuxPaint()
        case "asterisk": return Asterisk()
        default:
            throw DataError(.invalidArgument, source: "Datasets", "unknown dataset '\(name)'; valid: \(names.joined(separator: ", "))")
        }
    }

    /// The manifest of dataset `name`, built on first use (then reused as is:
    /// `seed` only applies when the manifest is built).
    public static func manifest(named name: String, dataDirectory: URL = defaultDirectory, seed: UInt64 = 0,
                                progress: ProgressHandler? = nil) throws -> URL {
        let converter = try converter(named: name)
        let url = manifestURL(name, dataDirectory)
        if FileManager.default.fileExists(atPath: url.path) { return url }
        return try build(converter, name: name, dataDirectory: dataDirectory, seed: seed, progress: progress).manifest
    }

    /// Builds (or rebuilds) the manifest of dataset `name` and summarizes it.
    public static func build(named name: String, dataDirectory: URL = defaultDirectory, seed: UInt64 = 0,
                             progress: ProgressHandler? = nil) throws -> DatasetSummary {
        try build(converter(named: name), name: name, dataDirectory: dataDirectory, seed: seed, progress: progress)
    }

    /// Runs `converter` into `<dataDirectory>/<name>/` and writes its manifest there.
    public static func build(_ converter: any DatasetConverter, name: String, dataDirectory: URL, seed: UInt64 = 0,
                             progress: ProgressHandler? = nil) throws -> DatasetSummary {
        let url = manifestURL(name, dataDirectory)
        let conversion = try converter.convert(into: url.deletingLastPathComponent(), seed: seed, progress: progress)
        try Manifest.write(conversion.records, to: url)
        var counts: [Split: Int] = [:]
        for r in conversion.records { counts[r.split, default: 0] += 1 }
        return DatasetSummary(name: name, manifest: url, counts: counts, skipped: conversion.skipped)
    }

    static func manifestURL(_ name: String, _ dataDirectory: URL) -> URL {
        dataDirectory.appendingPathComponent(name).appendingPathComponent("manifest.jsonl")
    }
}
