/// How a recipe trains when started by `mpirun -np N plinth train` (data
/// parallel; a single process ignores it). Every key is optional.
///
/// ```yaml
/// distributed:
///   bucket_mb: 1            # gradients all-reduced in fused buffers of about this size
///   local_loss: true        # contrastive: each rank's rows as anchors against the global batch
///   gather_with_grad: true  # contrastive: gradients of the gathered features summed over ranks
/// ```
public struct DistributedSection: Codable, Sendable {
    public var bucketMB: Double
    public var localLoss: Bool
    public var gatherWithGrad: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case bucketMB = "bucket_mb", localLoss = "local_loss", gatherWithGrad = "gather_with_grad"
    }

    public init() {
        (bucketMB, localLoss, gatherWithGrad) = (1, true, true)
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = DistributedSection()
        bucketMB = try c.decodeIfPresent(Double.self, forKey: .bucketMB) ?? defaults.bucketMB
        localLoss = try c.decodeIfPresent(Bool.self, forKey: .localLoss) ?? defaults.localLoss
        gatherWithGrad = try c.decodeIfPresent(Bool.self, forKey: .gatherWithGrad) ?? defaults.gatherWithGrad
    }

    /// Bytes per gradient bucket.
    public var bucketBytes: Int { max(1, Int(bucketMB * 1_048_576)) }
}
