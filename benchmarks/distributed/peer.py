"""PyTorch's side of benchmarks/distributed/run.sh: the same all-reduce and all-gather
sizes as `plinth-bench collectives`, on torch.distributed's CPU backend (gloo, what
DistributedDataParallel uses without GPUs), with the ranks as local processes.

    python3 benchmarks/distributed/peer.py --ranks 2 [--max-mb 64] [--iters 20] [--warmup 3]

Rank 0 prints one `JSON {...}` line per size, with the fields of plinth-bench's.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def sizes(max_mb):
    out, s = [], 4 << 10
    while s <= max_mb << 20:
        out.append(s)
        s *= 4
    return sorted(out + [4_338_692])


def worker(rank, args):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{args.port}", rank=rank, world_size=args.ranks)
    n = args.ranks
    for nbytes in sizes(args.max_mb):
        count = nbytes // 4
        buffer = torch.ones(count)
        part = torch.ones(count // n)
        gathered = [torch.empty(count // n) for _ in range(n)]

        def timed(body):
            times = []
            for i in range(args.warmup + args.iters):
                dist.barrier()
                t0 = time.perf_counter()
                body()
                if i >= args.warmup:
                    times.append(time.perf_counter() - t0)
            t = torch.tensor([statistics.median(times)], dtype=torch.float64)
            dist.all_reduce(t)
            return t.item() / n

        reduce = timed(lambda: dist.all_reduce(buffer))
        gather = timed(lambda: dist.all_gather(gathered, part))
        if rank == 0:
            print("JSON " + json.dumps({
                "name": "collectives", "ranks": n, "bytes": nbytes,
                "allreduce_us": reduce * 1e6, "allreduce_busbw_gbs": nbytes / reduce * 2 * (n - 1) / n / 1e9,
                "allgather_us": gather * 1e6, "allgather_busbw_gbs": nbytes / gather * (n - 1) / n / 1e9,
            }, sort_keys=True), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--max-mb", type=int, default=64)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--port", type=int, default=29517)
    args = parser.parse_args()
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    mp.spawn(worker, args=(args,), nprocs=args.ranks)
