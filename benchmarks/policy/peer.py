"""The PyTorch side of benchmarks/policy/run.sh: one behaviour-cloning step of the same action
policy as Plinth's `ActionPolicy` with the chunk head on a `MultimodalModel` (recipes/reach-chunk.yaml):

- the vision tower (open_clip's VisionTransformer): patch embedding as a strided conv without
  bias, class token, learned positions, ln_pre, the tower's own blocks;
- the image row of the modality embedding added to its tokens;
- the trunk (PolicyTrunk): the instruction's token features scaled to unit length, projected
  W -> D and layer-normed, pooled by Q learned queries (softmax(q k^T / sqrt(D)) over the real
  tokens), FiLM (Q D -> 2D, zero at start) on the image tokens x (1 + scale) + shift, a state
  projection and a readout token (learned, plus Q D -> D of the pooled instruction, zero at
  start); [image tokens, Q pooled, state, readout] through the shared blocks
  (pre-norm, fused in-projection, exact-GELU MLP of ratio 4, not causal), LayerNorm on the readout;
- the chunk head (fc1 D -> F, GELU, fc2 F -> K A), L1 on the masked mean against the normalized
  actions, backward and AdamW (decay 0.05 on matrices, as Plinth's parameter groups).

The text tower is locked and cached in the recipe and is not run on either side: the instruction
is random token features [B, L, W]. visual.ln_post, visual.proj and logit_scale are kept so the
parameter counts match Plinth's optimizer; they get no gradient and AdamW skips them on both sides.
Prints one JSON line.

    python3 benchmarks/policy/peer.py --threads 2 --batch 64
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """open_clip's ResidualAttentionBlock: x + attn(ln_1(x)), then + mlp(ln_2(x))."""

    def __init__(self, d, heads, ratio=4):
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        # nn.MultiheadAttention's parameters and init: fused in-projection, zero biases.
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d, d))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d))
        nn.init.xavier_uniform_(self.in_proj_weight)
        self.out_proj = nn.Linear(d, d)
        nn.init.zeros_(self.out_proj.bias)
        self.c_fc, self.c_proj = nn.Linear(d, ratio * d), nn.Linear(ratio * d, d)

    def attn(self, x):
        b, t, d = x.shape
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        q, k, v = qkv.reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        return self.out_proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, d))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x))))


class VisionTransformer(nn.Module):
    def __init__(self, image, patch, d, layers, heads, embed):
        super().__init__()
        scale = d ** -0.5
        self.conv1 = nn.Conv2d(3, d, patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(d) * scale)
        self.positional_embedding = nn.Parameter(torch.randn((image // patch) ** 2 + 1, d) * scale)
        self.ln_pre = nn.LayerNorm(d)
        self.transformer = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_post = nn.LayerNorm(d)                                   # pooling only: unused here
        self.proj = nn.Parameter(torch.randn(d, embed) * scale)          # pooling only: unused here

    def tokens(self, images):                                            # [B, 3, H, W] -> [B, T, D]
        x = self.conv1(images).flatten(2).transpose(1, 2)                # [B, P, D]
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        h = self.ln_pre(torch.cat([cls, x], dim=1) + self.positional_embedding)
        for block in self.transformer:
            h = block(h)
        return h


class Policy(nn.Module):
    """MultimodalModel (vision tower, shared blocks) + PolicyTrunk + ChunkActionHead + normalization."""

    def __init__(self, a):
        super().__init__()
        d, q = a.width, a.queries
        self.horizon, self.action = a.horizon, a.action
        # The model.
        self.visual = VisionTransformer(a.image, a.patch, d, a.vision_layers, a.heads, a.text_width)
        self.modality_embedding = nn.Parameter(torch.randn(3, d) * 0.02)  # rows image, audio, text
        self.backbone = nn.ModuleList(Block(d, a.heads) for _ in range(a.shared_layers))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))  # contrastive only: unused here
        # The trunk.
        self.instruction = nn.Linear(a.text_width, d)
        self.instruction_ln = nn.LayerNorm(d)
        self.queries = nn.Parameter(torch.randn(q, d) * 0.02)
        self.film = nn.Linear(q * d, 2 * d)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.state = nn.Linear(a.state, d)
        self.readout = nn.Parameter(torch.randn(1, d) * 0.02)
        self.readout_instruction = nn.Linear(q * d, d)
        nn.init.zeros_(self.readout_instruction.weight)
        nn.init.zeros_(self.readout_instruction.bias)
        self.keypoint_query = nn.Linear(d, d)
        self.keypoints = nn.Linear(2 * q, d)
        side = a.image // a.patch
        at = (2 * torch.arange(side, dtype=torch.float32) + 1) / side - 1
        self.register_buffer("centres", torch.stack(torch.meshgrid(at, at, indexing="xy"), -1).reshape(-1, 2))  # [G, 2]
        self.ln = nn.LayerNorm(d)
        # The head.
        self.fc1, self.fc2 = nn.Linear(d, a.hidden), nn.Linear(a.hidden, a.horizon * a.action)
        # ActionNormalization's statistics, fitted by `fit`.
        for name, size, value in [("action_low", a.action, -1), ("action_high", a.action, 1),
                                  ("state_mean", a.state, 0), ("state_std", a.state, 1)]:
            self.register_buffer(name, torch.full((size,), float(value)))

    def fit(self, actions, states):
        """1st and 99th action percentiles (NumPy's linear interpolation), state mean and population std."""
        low, high = np.percentile(actions, 1, axis=0), np.percentile(actions, 99, axis=0)
        narrow, middle = high - low < 1e-3, (low + high) / 2          # a range of at least 1e-3
        low, high = np.where(narrow, middle - 5e-4, low), np.where(narrow, middle + 5e-4, high)
        self.action_low.copy_(torch.from_numpy(low))
        self.action_high.copy_(torch.from_numpy(high))
        self.state_mean.copy_(torch.from_numpy(states.mean(0)))
        self.state_std.copy_(torch.from_numpy(np.maximum(states.std(0), 1e-2)))

    def readout_features(self, images, tokens, keep, state):             # -> [B, D]
        b, (q, d) = images.shape[0], self.queries.shape
        words = self.instruction_ln(self.instruction(F.normalize(tokens, dim=-1)))   # [B, L, D]
        padding = torch.zeros(keep.shape).masked_fill(keep <= 0, float("-inf"))[:, None]   # [B, 1, L]
        weights = (self.queries @ words.transpose(1, 2) / math.sqrt(d) + padding).softmax(-1)  # [B, Q, L]
        pooled = weights @ words                                          # [B, Q, D]
        flat = pooled.reshape(b, q * d)
        image = self.visual.tokens(images) + self.modality_embedding[0:1]   # [B, T, D]
        scores = self.keypoint_query(pooled) @ image[:, 1:].transpose(1, 2) / math.sqrt(d)   # [B, Q, G]
        points = scores.softmax(-1) @ self.centres                        # [B, Q, 2]
        asking = self.readout + self.readout_instruction(flat) + self.keypoints(points.reshape(b, 2 * q))  # [B, D]
        extra = torch.cat([pooled, self.state(state)[:, None], asking[:, None]], dim=1)
        scale, shift = self.film(flat).chunk(2, dim=1)
        h = torch.cat([image * (1 + scale[:, None]) + shift[:, None], extra], dim=1)  # [B, T + Q + 2, D]
        for block in self.backbone:
            h = block(h)
        return self.ln(h[:, -1])

    def loss(self, images, tokens, keep, states, actions, mask):
        target = ((actions - self.action_low) * (2 / (self.action_high - self.action_low)) - 1).clamp(-1, 1)
        readout = self.readout_features(images, tokens, keep, (states - self.state_mean) / self.state_std)
        predicted = self.fc2(F.gelu(self.fc1(readout))).reshape(-1, self.horizon, self.action)
        per_step = (predicted - target).abs().reshape(mask.shape[0], mask.shape[1], -1).mean(2)  # [B, K]
        return (per_step * mask).sum() / max(mask.sum().item(), 1)


def parameter_groups(model, weight_decay):
    """Plinth's ParameterGroup.defaultNoDecay: no decay for rank < 2 and embedding/norm/bias/token keys."""
    def no_decay(name, p):
        return p.ndim < 2 or any(s in name for s in ["embedding", "norm", "ln_", "bias", "logit_scale", "token"])
    named = list(model.named_parameters())
    return [{"params": [p for n, p in named if not no_decay(n, p)], "weight_decay": weight_decay},
            {"params": [p for n, p in named if no_decay(n, p)], "weight_decay": 0.0}]


def main():
    ap = argparse.ArgumentParser()
    for name, default in [("threads", 2), ("batch", 64), ("image", 64), ("patch", 8), ("width", 128),
                          ("vision-layers", 1), ("shared-layers", 2), ("heads", 4), ("tokens", 8),
                          ("text-width", 384), ("queries", 4), ("hidden", 256), ("horizon", 4), ("state", 2),
                          ("action", 2), ("iters", 10), ("warmup", 3)]:
        ap.add_argument("--" + name, type=int, default=default)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    policy = Policy(a)
    policy.fit(np.random.default_rng(0).uniform(-0.8, 0.8, (1024, a.action)).astype(np.float32),
               np.random.default_rng(1).standard_normal((1024, a.state)).astype(np.float32))
    opt = torch.optim.AdamW(parameter_groups(policy, 0.05), lr=5e-4)
    images = torch.randn(a.batch, 3, a.image, a.image)
    tokens, keep = torch.randn(a.batch, a.tokens, a.text_width), torch.ones(a.batch, a.tokens)
    states = torch.randn(a.batch, a.state)
    actions = torch.rand(a.batch, a.horizon, a.action) * 1.6 - 0.8
    mask = torch.ones(a.batch, a.horizon)
    times, first_loss = [], float("nan")
    for i in range(a.warmup + a.iters):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = policy.loss(images, tokens, keep, states, actions, mask)
        loss.backward()
        opt.step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
        if i == 0:
            first_loss = loss.item()
    times.sort()
    med = float(np.median(times))
    print(json.dumps({"name": "policy", "threads": a.threads, "batch": a.batch,
                      "parameters": sum(p.numel() for p in policy.parameters()), "median_ms": med * 1e3,
                      "min_ms": times[0] * 1e3, "max_ms": times[-1] * 1e3, "items_per_s": a.batch / med,
                      "initial_loss": first_loss, "torch": torch.__version__}, sort_keys=True))


if __name__ == "__main__":
    main()
