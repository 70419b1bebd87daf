import Foundation
import Plinth

/// Plinth's side of benchmarks/distributed/run.sh, the counterpart of benchmarks/distributed/peer.py;
/// run it under mpirun:
///
///   mpirun -np 2 plinth-bench collectives [--max-mb 64] [--iters 20] [--warmup 3]
///
/// For float32 buffers of 4 KiB to `--max-mb` MiB (x4 steps, plus 4.1 MiB, the default
/// recipe's gradient): the median time of a sum all-reduce (`Communicator.allReduceSum`, what
/// each gradient bucket does) and of an all-gather of the same total size. Rank 0 prints one
/// `JSON {...}` line per size with the algorithm bandwidth (bytes / time) and the bus bandwidth
/// (x 2(N-1)/N for all-reduce, x (N-1)/N for all-gather: the traffic per link of a ring, as
/// nccl-tests reports it).
func benchmarkCollectives(_ args: ArraySlice<String>) throws {
    func value(_ name: String, _ fallback: Int) -> Int {
        guard let i = args.firstIndex(of: name), i + 1 < args.endIndex, let v = Int(args[i + 1]) else { return fallback }
        return v
    }
    guard let world = try Communicator.world() else {
        print("plinth-bench collectives: run it under mpirun, e.g. mpirun -np 2 plinth-bench collectives")
        exit(2)
    }
    let iters = value("--iters", 20), warmup = value("--warmup", 3), n = Double(world.size)
    var sizes = Array(sequence(first: 4 << 10) { $0 * 4 }.prefix { $0 <= value("--max-mb", 64) << 20 })
    sizes.append(4_338_692)    // fashion-mnist's 1,084,673 gradients
    for bytes in sizes.sorted() {
        let count = bytes / 4
        let buffer = Tensor.ones([count])
        let part = Tensor.ones([count / world.size])
        func time(_ body: () throws -> Void) throws -> Double {
            var times: [Double] = []
            for i in 0..<warmup + iters {
                try world.barrier()
                let t0 = now()
                try body()
                if i >= warmup { times.append(now() - t0) }
            }
            // Averaged over the ranks, which finish a collective at slightly different times.
            return try world.mean([Float(median(times.sorted()))]).first.map { Double($0) }!
        }
        let reduce = try time { try world.allReduceSum(buffer) }
        let gather = try time { _ = try world.allGather(part) }
        guard world.isRoot else { continue }
        emit(["name": "collectives", "ranks": world.size, "bytes": bytes,
              "allreduce_us": reduce * 1e6, "allreduce_busbw_gbs": Double(bytes) / reduce * 2 * (n - 1) / n / 1e9,
              "allgather_us": gather * 1e6, "allgather_busbw_gbs": Double(bytes) / gather * (n - 1) / n / 1e9])
    }
    try world.finalize()
}
