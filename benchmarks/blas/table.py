#!/usr/bin/env python3
"""Turn sgemm_bench / py_gemm.py lines into one shape x backend table.

    python3 table.py results.tsv [--baseline numpy] [--json out.json]

Input lines (tab-separated, '#' lines ignored):
  backend shape transA transB M N K threads gflops_median gflops_min gflops_max [contended]
A backend/shape pair may appear several times (one per round of run.sh); the
cell is the best (--stat best, default) or the median (--stat median) of the
per-round medians. Best-of-rounds is the default because on a shared VM the
noise is one-sided: neighbours only ever slow a round down. A '*' marks a cell where some
kept sample was still contended (other processes > --max-other of the
machine even after retries). The noise line gives the widest
(max-min)/median seen over all kept samples of any cell.
"""
import argparse
import json
import statistics
import sys
from collections import OrderedDict, defaultdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--baseline", default="numpy")
    ap.add_argument("--json", default=None)
    ap.add_argument("--stat", choices=["best", "median"], default="best")
    args = ap.parse_args()

    meds = defaultdict(list)
    lo = defaultdict(lambda: float("inf"))
    hi = defaultdict(float)
    dirty = defaultdict(int)
    shapes = OrderedDict()
    backends = OrderedDict()
    with open(args.results) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if not line.strip() or line.startswith("#") or len(p) not in (11, 12):
                continue
            contended = int(p[11]) if len(p) == 12 else 0
            b, s, ta, tb, m, n, k, th = p[:8]
            med, mn, mx = (float(x) for x in p[8:11])
            shapes.setdefault(s, "%s%s %sx%sx%s t%s" % (ta, tb, m, n, k, th))
            backends.setdefault(b, None)
            meds[(b, s)].append(med)
            dirty[(b, s)] += contended
            lo[(b, s)] = min(lo[(b, s)], mn)
            hi[(b, s)] = max(hi[(b, s)], mx)

    agg = max if args.stat == "best" else statistics.median
    cell = {key: agg(v) for key, v in meds.items()}
    bl = args.baseline if args.baseline in backends else None
    names = list(backends)
    w = max(9, max(len(b) for b in names) + 1)
    sw = max(len(s) for s in shapes) + 1
    dw = max(len(d) for d in shapes.values()) + 1
    print("GFLOP/s (%s over %d round(s) of median-of-repeats); (x.xx) = ratio to %s" % (
        args.stat, max(len(v) for v in meds.values()), bl or "n/a"))
    print("%-*s%-*s" % (sw, "shape", dw, "op M x N x K thr") + "".join("%*s" % (w + 7, b) for b in names))
    rows = []
    for s, desc in shapes.items():
        out = "%-*s%-*s" % (sw, s, dw, desc)
        row = {"shape": s, "desc": desc}
        for b in names:
            v = cell.get((b, s))
            if v is None:
                out += "%*s" % (w + 7, "-")
                continue
            base = cell.get((bl, s)) if bl else None
            ratio = v / base if base else None
            star = "*" if dirty[(b, s)] else " "
            out += "%*s" % (w + 7, ("%.0f (%.2f)" % (v, ratio) if ratio else "%.0f" % v) + star)
            row[b] = {"contended_samples": dirty[(b, s)], "gflops": round(v, 1), "ratio": round(ratio, 3) if ratio else None,
                      "min": lo[(b, s)], "max": hi[(b, s)], "rounds": meds[(b, s)]}
        rows.append(row)
        print(out)
    # geometric mean of ratios over all shapes
    if bl:
        out = "%-*s%-*s" % (sw, "geomean", dw, "ratio to " + bl)
        for b in names:
            rs = [cell[(b, s)] / cell[(bl, s)] for s in shapes if (b, s) in cell and (bl, s) in cell]
            g = statistics.geometric_mean(rs) if rs else None
            out += "%*s" % (w + 7, "%.2f" % g if g else "-")
        print(out)
    spread = max(((hi[k] - lo[k]) / cell[k], k) for k in cell)
    nd = sum(1 for k in cell if dirty[k])
    print("* = %d cell(s) kept contended samples after retries" % nd if nd else
          "all kept samples clean (others < max-other of the machine)")
    print("noise: widest sample spread (max-min)/median = %.0f%% (%s, %s)" % (100 * spread[0], *spread[1]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backends": names, "baseline": bl, "stat": args.stat, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
