"""The PyTorch side of benchmarks/diffusion/run.sh: one training step of the same DiT
denoiser as Plinth's `Denoiser` (DiT's models.py with a vector condition in place of the
label table): patch embedding as a strided conv, fixed 2D sin-cos positions, the sinusoidal
timestep MLP, adaLN-zero blocks (timm-style attention through scaled_dot_product_attention,
tanh-GELU MLP), the adaLN final layer; the DDPM linear schedule, random timesteps and noise,
10% condition dropout, MSE against the noise, backward and AdamW. Prints one JSON line.

    python3 benchmarks/diffusion/peer.py --threads 2 --batch 128 --width 128 --layers 6
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def sincos_2d(dim, grid):
    omega = 1.0 / 10000 ** (np.arange(dim // 4, dtype=np.float64) / (dim // 4))
    h, w = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    parts = [np.sin(np.outer(w.ravel(), omega)), np.cos(np.outer(w.ravel(), omega)),
             np.sin(np.outer(h.ravel(), omega)), np.cos(np.outer(h.ravel(), omega))]
    return torch.from_numpy(np.concatenate(parts, axis=1)).float()[None]


def timestep_features(t, dim=256):
    freqs = torch.exp(-math.log(10000) * torch.arange(dim // 2, dtype=torch.float32) / (dim // 2))
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class Block(nn.Module):
    def __init__(self, d, heads, ratio=4):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.fc1, self.fc2 = nn.Linear(d, ratio * d), nn.Linear(ratio * d, d)
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(d, 6 * d))
        nn.init.zeros_(self.ada[1].weight)
        nn.init.zeros_(self.ada[1].bias)

    def attn(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        return self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, d))

    def forward(self, x, c):
        s1, sc1, g1, s2, sc2, g2 = self.ada(c).chunk(6, dim=1)
        x = x + g1.unsqueeze(1) * self.attn(modulate(self.norm1(x), s1, sc1))
        return x + g2.unsqueeze(1) * self.fc2(F.gelu(self.fc1(modulate(self.norm2(x), s2, sc2)), approximate="tanh"))


class DiT(nn.Module):
    def __init__(self, image, channels, patch, d, layers, heads, cond):
        super().__init__()
        self.c, self.p, self.g = channels, patch, image // patch
        self.x_embedder = nn.Conv2d(channels, d, patch, stride=patch)
        self.register_buffer("pos", sincos_2d(d, self.g))
        self.t_embedder = nn.Sequential(nn.Linear(256, d), nn.SiLU(), nn.Linear(d, d))
        self.c_embedder = nn.Linear(cond, d)
        self.null = nn.Parameter(torch.randn(cond) * 0.02)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.final_norm = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.final_ada = nn.Sequential(nn.SiLU(), nn.Linear(d, 2 * d))
        self.final = nn.Linear(d, patch * patch * channels)
        for m in (self.final_ada[1], self.final):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x, t, cond, keep):
        b = x.shape[0]
        cond = cond * keep[:, None] + self.null[None] * (1 - keep[:, None])
        c = self.t_embedder(timestep_features(t)) + self.c_embedder(cond)
        h = self.x_embedder(x).flatten(2).transpose(1, 2) + self.pos
        for block in self.blocks:
            h = block(h, c)
        shift, scale = self.final_ada(c).chunk(2, dim=1)
        out = self.final(modulate(self.final_norm(h), shift, scale))
        out = out.reshape(b, self.g, self.g, self.p, self.p, self.c)
        return torch.einsum("nhwpqc->nchpwq", out).reshape(b, self.c, self.g * self.p, self.g * self.p)


def main():
    ap = argparse.ArgumentParser()
    for name, default in [("threads", 2), ("batch", 128), ("image", 32), ("channels", 1), ("patch", 4), ("width", 128),
                          ("layers", 6), ("heads", 4), ("condition", 128), ("iters", 10), ("warmup", 3)]:
        ap.add_argument("--" + name, type=int, default=default)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = DiT(a.image, a.channels, a.patch, a.width, a.layers, a.heads, a.condition)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05)
    alphas = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000), 0)
    x0 = torch.rand(a.batch, a.channels, a.image, a.image) * 2 - 1
    cond = torch.randn(a.batch, a.condition)
    times = []
    for i in range(a.warmup + a.iters):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        t = torch.randint(0, 1000, (a.batch,))
        noise = torch.randn_like(x0)
        keep = (torch.rand(a.batch) >= 0.1).float()
        ab = alphas[t].view(-1, 1, 1, 1)
        loss = F.mse_loss(model(ab.sqrt() * x0 + (1 - ab).sqrt() * noise, t, cond, keep), noise)
        loss.backward()
        opt.step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    med = float(np.median(times))
    print(json.dumps({"name": "dit", "threads": a.threads, "batch": a.batch,
                      "parameters": sum(p.numel() for p in model.parameters()), "median_ms": med * 1e3,
                      "min_ms": times[0] * 1e3, "max_ms": times[-1] * 1e3, "images_per_s": a.batch / med,
                      "torch": torch.__version__}, sort_keys=True))


if __name__ == "__main__":
    main()
