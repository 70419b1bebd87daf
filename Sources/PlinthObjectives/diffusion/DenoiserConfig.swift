import PlinthModels
import PlinthNN

/// The shape of a DiT denoiser (Peebles & Xie 2023) over small images in pixel
/// space, with its noise schedule and prediction target. Codable with
/// snake_case keys:
///
/// ```yaml
/// {image_size: 32, channels: 1, patch_size: 4, width: 192, layers: 6, heads: 6,
///  schedule: linear, prediction: epsilon}
/// ```
public struct DenoiserConfig: Codable, Equatable, Sendable {
    /// Side of the square images it denoises, and their channels (1 gray or 3 RGB).
    public var imageSize: Int
    public var channels: Int
    /// Patch side p (DiT's default is 2); image_size / p patches per side.
    public var patchSize: Int
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var mlpRatio: Float
    /// The forward process: `linear` (DDPM, beta_start..beta_end) or `cosine`, over `timesteps` steps.
    public var schedule: NoiseSchedule.Kind
    public var timesteps: Int
    public var betaStart: Double
    public var betaEnd: Double
    public var prediction: Prediction

    public init(imageSize: Int = 32, channels: Int = 3, patchSize: Int = 2, width: Int, layers: Int, heads: Int,
                mlpRatio: Float = 4, schedule: NoiseSchedule.Kind = .linear, timesteps: Int = 1000,
                betaStart: Double = 1e-4, betaEnd: Double = 0.02, prediction: Prediction = .epsilon) {
        (self.imageSize, self.channels, self.patchSize, self.width, self.layers, self.heads, self.mlpRatio) =
            (imageSize, channels, patchSize, width, layers, heads, mlpRatio)
        (self.schedule, self.timesteps, self.betaStart, self.betaEnd, self.prediction) =
            (schedule, timesteps, betaStart, betaEnd, prediction)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case imageSize = "image_size", channels, patchSize = "patch_size", width, layers, heads, mlpRatio = "mlp_ratio"
        case schedule, timesteps, betaStart = "beta_start", betaEnd = "beta_end", prediction
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DenoiserConfig(width: 1, layers: 1, heads: 1)
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? d.imageSize
        channels = try c.decodeIfPresent(Int.self, forKey: .channels) ?? d.channels
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? d.patchSize
        width = try c.decode(Int.self, forKey: .width)
        layers = try c.decode(Int.self, forKey: .layers)
        heads = try c.decode(Int.self, forKey: .heads)
        mlpRatio = try c.decodeIfPresent(Float.self, forKey: .mlpRatio) ?? d.mlpRatio
        schedule = try c.decodeIfPresent(NoiseSchedule.Kind.self, forKey: .schedule) ?? d.schedule
        timesteps = try c.decodeIfPresent(Int.self, forKey: .timesteps) ?? d.timesteps
        betaStart = try c.decodeIfPresent(Double.self, forKey: .betaStart) ?? d.betaStart
        betaEnd = try c.decodeIfPresent(Double.self, forKey: .betaEnd) ?? d.betaEnd
        prediction = try c.decodeIfPresent(Prediction.self, forKey: .prediction) ?? d.prediction
    }

    /// Patches per side and in all.
    public var gridSize: Int { imageSize / patchSize }
    public var patches: Int { gridSize * gridSize }

    public var noiseSchedule: NoiseSchedule {
        NoiseSchedule(kind: schedule, steps: timesteps, betaStart: betaStart, betaEnd: betaEnd)
    }

    /// Checks the shape; the error names the field.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ message: String) throws {
            if !ok { throw ModelConfigError(field: field, message: message) }
        }
        try check(channels == 1 || channels == 3, "channels", "must be 1 (gray) or 3 (RGB), got \(channels)")
        try check(imageSize > 0 && imageSize <= 512, "image_size", "must be in 1...512, got \(imageSize)")
        try check(patchSize > 0 && imageSize % patchSize == 0, "patch_size",
                  "\(patchSize) must divide image_size \(imageSize)")
        try check(width > 0 && heads > 0 && width % heads == 0 && (width / heads) % 2 == 0, "width",
                  "\(width) must be a positive multiple of heads \(heads) with even head width")
        try check(width % 4 == 0, "width", "\(width) must be a multiple of 4 (the 2D sin-cos position embedding)")
        try check(layers > 0, "layers", "must be positive, got \(layers)")
        try check(mlpRatio > 0, "mlp_ratio", "must be positive")
        try check(timesteps >= 2 && timesteps <= 10_000, "timesteps", "must be in 2...10000, got \(timesteps)")
        try check(betaStart > 0 && betaStart < betaEnd && betaEnd < 1, "beta_start",
                  "needs 0 < beta_start < beta_end < 1, got \(betaStart) and \(betaEnd)")
    }
}
