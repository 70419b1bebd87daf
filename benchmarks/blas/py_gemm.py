#!/usr/bin/env python3
"""Same shapes and timing method as sgemm_bench.c, through numpy or torch.

    python3 py_gemm.py numpy [--threads 2] [--repeats 7] [--min-time 0.1] [--shapes shapes.txt]
    python3 py_gemm.py torch [...]

numpy: np.matmul(op(A), op(B), out=C) on float32; op(X) = X.T is a transposed
view, which numpy hands to its BLAS as a transpose flag (no copy). numpy's
bundled OpenBLAS thread count is set through its exported
scipy_openblas_set_num_threads64_ (ctypes), per shape.
torch: torch.mm(op(A), op(B), out=C) with torch.set_num_threads(n) per shape.

Prints the same tab-separated lines as sgemm_bench on stdout and a '#' info
line (the library's BLAS) on stderr. Samples during which other processes
used more than --max-other of the machine are dropped and retaken, exactly as
in sgemm_bench.c (see there).
"""
import argparse
import ctypes
import glob
import os
import sys
import time


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from contention import HZ, NCPU, self_busy, sys_busy  # noqa: E402


def load_shapes(path):
    shapes = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0].startswith("#") or len(parts) != 7:
                continue
            name, ta, tb = parts[0], parts[1].upper(), parts[2].upper()
            m, n, k, th = (int(x) for x in parts[3:])
            shapes.append((name, ta, tb, m, n, k, th))
    return shapes


def numpy_backend():
    import numpy as np

    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*.so*"))
    setter, info = None, "numpy %s" % np.__version__
    for lib in libs:
        h = ctypes.CDLL(lib)
        for suffix in ("64_", ""):
            fn = getattr(h, "scipy_openblas_set_num_threads" + suffix, None)
            if fn is not None:
                setter = fn
                cfg = getattr(h, "scipy_openblas_get_config" + suffix)
                core = getattr(h, "scipy_openblas_get_corename" + suffix)
                cfg.restype = core.restype = ctypes.c_char_p
                info += "; %s core=%s (%s)" % (cfg().decode(), core().decode(), os.path.basename(lib))
                break
        if setter:
            break

    def set_threads(n):
        if setter is not None:
            setter(ctypes.c_int(n))

    def make(ta, tb, m, n, k):
        rng = np.random.default_rng(0)
        a = rng.standard_normal((k, m) if ta == "T" else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb == "T" else (k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        a_op = a.T if ta == "T" else a
        b_op = b.T if tb == "T" else b
        return lambda: np.matmul(a_op, b_op, out=c)

    return info, set_threads, make


def torch_backend():
    import torch

    info = "torch %s (BLAS_INFO=mkl: %s, mkldnn: %s)" % (
        torch.__version__, torch.backends.mkl.is_available(), torch.backends.mkldnn.is_available())

    def make(ta, tb, m, n, k):
        g = torch.Generator().manual_seed(0)
        a = torch.randn((k, m) if ta == "T" else (m, k), generator=g)
        b = torch.randn((n, k) if tb == "T" else (k, n), generator=g)
        c = torch.empty((m, n))
        a_op = a.t() if ta == "T" else a
        b_op = b.t() if tb == "T" else b
        return lambda: torch.mm(a_op, b_op, out=c)

    def set_threads(n):
        torch.set_num_threads(n)

    return info, set_threads, make


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("backend", choices=["numpy", "torch"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--min-time", type=float, default=0.1)
    ap.add_argument("--shapes", default=os.path.join(here, "shapes.txt"))
    ap.add_argument("--name", default=None)
    ap.add_argument("--max-other", type=float, default=0.10)
    args = ap.parse_args()
    name = args.name or args.backend

    info, set_threads, make = (numpy_backend if args.backend == "numpy" else torch_backend)()
    print("# %s: %s" % (name, info), file=sys.stderr)
    for sname, ta, tb, m, n, k, th in load_shapes(args.shapes):
        nth = th if th > 0 else args.threads
        set_threads(nth)
        call = make(ta, tb, m, n, k)
        call()
        call()
        calls = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(calls):
                call()
            dt = time.perf_counter() - t0
            if dt >= args.min_time:
                break
            want = int(calls * args.min_time / dt * 1.1) + 1 if dt > 0 else calls * 10
            calls = min(calls * 10, want) if want > calls else calls * 2
        flop = 2.0 * m * n * k * calls
        samples, dropped, forced, attempts = [], 0, 0, 0
        while len(samples) < args.repeats:
            attempts += 1
            sb0, pb0 = sys_busy(), self_busy()
            t0 = time.perf_counter()
            for _ in range(calls):
                call()
            dt = time.perf_counter() - t0
            other = ((sys_busy() - sb0) - (self_busy() - pb0)) / (dt * HZ * NCPU)
            if other > args.max_other and attempts <= 8 * args.repeats:
                dropped += 1
                time.sleep(0.2)
                continue
            forced += other > args.max_other
            samples.append(flop / dt / 1e9)
        if dropped:
            print("# %s %s: %d samples dropped for contention" % (name, sname, dropped), file=sys.stderr)
        samples.sort()
        r = len(samples)
        med = samples[r // 2] if r % 2 else 0.5 * (samples[r // 2 - 1] + samples[r // 2])
        print("%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%d" % (
            name, sname, ta, tb, m, n, k, nth, med, samples[0], samples[-1], forced), flush=True)


if __name__ == "__main__":
    main()
