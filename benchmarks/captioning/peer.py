#!/usr/bin/env python3
"""PyTorch peer for Plinth's caption decoding benchmark (the shipped model's caption head on CPU).

    python3 benchmarks/captioning/peer.py --conditions FILE [--model MODEL.safetensors] \\
        --threads N [--beams 1] [--max-length 20] [--repeat 5]

The caption head of a Plinth model file (keys `caption.mapper.*` and `caption.decoder.*`, the
card's `caption.head` config in metadata `plinth_card`) is rebuilt from plain torch modules,
written from Plinth's description (Sources/PlinthAdapters/captioning): open_clip-style pre-LN
residual blocks (nn.MultiheadAttention, LayerNorm eps 1e-5, exact GELU), ClipCap's transformer
mapper and a GPT-style decoder whose output layer is tied to its token embedding. The F16
weights are loaded strictly as F32.

FILE is a safetensors file holding `conditions` [N, E]. Each row is decoded on its own, as
Plinth's CaptionHead.caption does: the embedding is L2-normalized and scaled by sqrt(E), mapped
to K prefix vectors, then decoded from <start_of_text> to <end_of_text> (the last two ids of the
small BPE: V - 2 and V - 1) recomputing the whole sequence at each step (no KV cache), by greedy
search or beam search with Hugging Face's semantics (early_stopping False, length penalty 1),
both transcribed from Plinth's SequenceDecoder. Log-probabilities are float32 log_softmax rows
summed in float64, as in Plinth; beam candidates are ranked with torch.topk, so exact ties may
order differently.

OMP_NUM_THREADS and MKL_NUM_THREADS are set to N before torch is imported, then
torch.set_num_threads(N). Under torch.inference_mode, one untimed warm-up pass runs, then R
passes over all N rows are each timed with time.perf_counter. Prints one JSON line with the
fields of `plinth-bench captions`:

    {"peer": "torch <v>", "threads": N, "beams": B, "max_length": L, "items": N, "start": ...,
     "end": ..., "best_s": ..., "median_s": ..., "captions_per_s": N / best_s, "load_s": ...,
     "tokens": [[...] per row], "log_probs": [...], "finished": [...]}

tokens, log_probs and finished describe each row's best sequence (tokens without start and end).
"""
import argparse
import json
import math
import os
import statistics
import time


def build(torch, card, state):
    """The caption head of `card` (transformer mapper on the joint embedding), `state` loaded strictly."""
    nn, F = torch.nn, torch.nn.functional
    cfg = card["caption"]["head"]
    assert (cfg.get("input", "embedding"), cfg.get("mapper", "transformer"), cfg.get("activation", "gelu")) == \
        ("embedding", "transformer", "gelu"), f"peer implements the gelu transformer mapper on embeddings only: {cfg}"
    e, k, d, v = card["config"]["embed_dim"], cfg.get("prefix_length", 10), cfg["width"], cfg["vocab_size"]
    heads, hidden = cfg["heads"], int(d * cfg.get("mlp_ratio", 4))

    class Block(nn.Module):
        """open_clip's ResidualAttentionBlock: x + attn(ln_1(x)), then + mlp(ln_2(x))."""
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
            self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
            self.mlp = nn.Sequential()
            self.mlp.add_module("c_fc", nn.Linear(d, hidden))
            self.mlp.add_module("gelu", nn.GELU())
            self.mlp.add_module("c_proj", nn.Linear(hidden, d))

        def forward(self, x, mask):
            y = self.ln_1(x)
            x = x + self.attn(y, y, y, need_weights=False, attn_mask=mask)[0]
            return x + self.mlp(self.ln_2(x))

    class Transformer(nn.Module):
        def __init__(self, layers):
            super().__init__()
            self.resblocks = nn.ModuleList(Block() for _ in range(layers))

        def forward(self, x, mask=None):
            for block in self.resblocks:
                x = block(x, mask)
            return x

    class Mapper(nn.Module):
        """[B, E] -> linear -> [B, K, D], then K learned constants; their outputs are the prefix [B, K, D]."""
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(e, k * d)
            self.prefix_const = nn.Parameter(torch.empty(k, d))
            self.transformer = Transformer(cfg.get("mapper_layers", 2))

        def forward(self, c):
            b = c.shape[0]
            x = torch.cat([self.linear(c).reshape(b, k, d), self.prefix_const.expand(b, k, d)], dim=1)
            return self.transformer(x)[:, -k:]

    class Decoder(nn.Module):
        """prefix [B, K, D] and ids [B, T] -> logits [B, T, V] (causal; output tied to token_embedding)."""
        def __init__(self):
            super().__init__()
            self.token_embedding = nn.Embedding(v, d)
            self.positional_embedding = nn.Parameter(torch.empty(k + cfg["context_length"], d))
            self.transformer = Transformer(cfg["layers"])
            self.ln_final = nn.LayerNorm(d, eps=1e-5)
            n = self.positional_embedding.shape[0]
            self.register_buffer("mask", torch.full((n, n), float("-inf")).triu_(1), persistent=False)

        def forward(self, prefix, ids):
            t = ids.shape[1]
            x = torch.cat([prefix, self.token_embedding(ids)], dim=1) + self.positional_embedding[:k + t]
            h = self.ln_final(self.transformer(x, self.mask[:k + t, :k + t])[:, k:])
            return F.linear(h, self.token_embedding.weight)

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.mapper, self.decoder = Mapper(), Decoder()

        def prefix(self, condition):
            """condition [B, E] -> prefix [B, K, D], the embedding L2-normalized and scaled by sqrt(E) first."""
            return self.mapper(F.normalize(condition, dim=-1, eps=1e-12) * math.sqrt(condition.shape[1]))

    head = Head()
    head.load_state_dict({name[len("caption."):]: t.float() for name, t in state.items() if name.startswith("caption.")},
                         strict=True)
    return head.eval()


def greedy(score, start, end, max_length):
    """The most probable token (lowest id among equals) until `end` or `max_length` generated tokens."""
    sequence, log_p = [start], 0.0
    while len(sequence) <= max_length:
        row = score([sequence])[0]
        token = int(row.argmax())
        log_p += float(row[token])
        if token == end:
            return sequence[1:], log_p, True
        sequence.append(token)
    return sequence[1:], log_p, False


def beam_search(torch, score, start, end, beams, max_length, length_penalty=1.0):
    """Hugging Face's beam search with early_stopping False, as Plinth's BeamSearch.swift; the best hypothesis."""
    live = [([start], 0.0)]
    kept = []   # (score, tokens, log p, finished), best first, at most `beams`; ties rank after earlier ones

    def keep(sequence, log_p, finished):
        s = log_p / max(len(sequence) - 1 + finished, 1) ** length_penalty
        if len(kept) == beams:
            if s <= kept[-1][0]:
                return
            kept.pop()
        kept.insert(next((i for i, h in enumerate(kept) if h[0] < s), len(kept)), (s, sequence[1:], log_p, finished))

    for length in range(1, max_length + 1):
        rows = score([sequence for sequence, _ in live]).double()                     # [live, V]
        totals = rows + torch.tensor([log_p for _, log_p in live], dtype=torch.float64)[:, None]
        top, index = totals.flatten().topk(min(2 * beams, totals.numel()))
        extended = []
        for rank, (log_p, i) in enumerate(zip(top.tolist(), index.tolist())):
            if len(extended) == beams:
                break
            beam, token = divmod(i, rows.shape[1])
            if token != end:
                extended.append((live[beam][0] + [token], log_p))
            elif rank < beams:
                keep(live[beam][0], log_p, True)
        if (len(kept) == beams and kept[-1][0] >= top[0].item() / length ** length_penalty) or not extended:
            return kept[0][1:]
        live = extended
    for sequence, log_p in live:
        keep(sequence, log_p, False)
    return kept[0][1:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="assets/model/model.safetensors")
    ap.add_argument("--conditions", required=True, help="safetensors file with `conditions` [N, E]")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--beams", type=int, default=1)
    ap.add_argument("--max-length", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    assert args.threads > 0 and args.beams > 0 and args.max_length > 0 and args.repeat > 0

    # Before torch is imported, so OpenMP / MKL pools are created at this size.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    with safe_open(args.model, "pt") as f:
        card = json.loads(f.metadata()["plinth_card"])
    head = build(torch, card, load_file(args.model))
    load_s = time.perf_counter() - t0
    conditions = load_file(args.conditions)["conditions"].float()                     # [N, E]
    vocab = card["caption"]["head"]["vocab_size"]
    start, end = vocab - 2, vocab - 1
    assert args.max_length < card["caption"]["head"]["context_length"]

    def run():
        out = []
        for i in range(conditions.shape[0]):
            prefix = head.prefix(conditions[i:i + 1])                                  # [1, K, D]

            def score(sequences):
                """log p of the next token after each of the equal-length `sequences`: [len, V] float32."""
                ids = torch.tensor(sequences)
                return head.decoder(prefix.expand(len(sequences), -1, -1), ids)[:, -1].log_softmax(-1)

            out.append(greedy(score, start, end, args.max_length) if args.beams == 1
                       else beam_search(torch, score, start, end, args.beams, args.max_length))
        return out

    with torch.inference_mode():
        best = run()  # warm-up
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    fastest = min(times)
    print(json.dumps({
        "peer": f"torch {torch.__version__}",
        "threads": args.threads,
        "beams": args.beams,
        "max_length": args.max_length,
        "items": len(best),
        "start": start,
        "end": end,
        "best_s": round(fastest, 6),
        "median_s": round(statistics.median(times), 6),
        "captions_per_s": round(len(best) / fastest, 3),
        "load_s": round(load_s, 3),
        "tokens": [tokens for tokens, _, _ in best],
        "log_probs": [round(log_p, 6) for _, log_p, _ in best],
        "finished": [finished for _, _, finished in best],
    }))


if __name__ == "__main__":
    main()
