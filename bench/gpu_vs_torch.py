#!/usr/bin/env python3
"""PyTorch side of bench/gpu_vs_torch.sh: the same networks as tsf's
(src/neural/net_rnn.c, net_transformer.c) on the same GPU, eager and
torch.compile, FP32 and BF16 (autocast over fp32 master weights, as tsf's
BF16 GEMMs), training throughput (series windows/s) and sampling
throughput (path-steps/s), plus the transformer block GEMMs' TFLOP/s.

One JSON object per line on stdout; nothing is fetched from the network.

  python3 gpu_vs_torch.py train ARCH HIDDEN LAYERS HEADS CONTEXT BATCH PREC MODE [STEPS]
  python3 gpu_vs_torch.py gemm D CONTEXT BATCH PREC
ARCH gru|transformer|wavenet, PREC fp32|tf32|bf16, MODE eager|compile.
wavenet is bench/neural_vs_torch.py's WaveNetNet (HIDDEN channels, LAYERS
dilations 1..2^(L-1)); its sampling recomputes the receptive field at each
step (what a plain PyTorch wavenet does; tsf keeps Paine et al.'s queues).
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from neural_vs_torch import WaveNetNet

DEV = "cuda"


def alibi_mask(T, NH, W, device):
    """Additive mask: -slope_h * (i - j) inside the causal window of W
    positions, -inf outside (tsf's attention contract, backend.h)."""
    i = torch.arange(T, device=device)[:, None]
    j = torch.arange(T, device=device)[None, :]
    dist = (i - j).float()
    slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / NH) for h in range(NH)], device=device)
    m = -slopes[:, None, None] * dist[None]
    visible = (j <= i) & (j > i - W)
    return m.masked_fill(~visible[None], float("-inf"))  # (NH, T, T)


class Block(nn.Module):
    def __init__(self, d, nh):
        super().__init__()
        self.nh = nh
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.fcp = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x, mask):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        hs = C // self.nh
        q, k, v = (t.view(B, T, self.nh, hs).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask.to(q.dtype))
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.fcp(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Transformer(nn.Module):
    def __init__(self, nin, d, layers, nh, T):
        super().__init__()
        self.embed = nn.Linear(nin, d)
        self.blocks = nn.ModuleList(Block(d, nh) for _ in range(layers))
        self.lnf = nn.LayerNorm(d)
        self.head = nn.Linear(d, 2)
        self.register_buffer("mask", alibi_mask(T, nh, T, DEV), persistent=False)

    def forward(self, x):
        h = self.embed(x)
        for b in self.blocks:
            h = b(h, self.mask)
        return self.head(self.lnf(h))


class GRUNet(nn.Module):
    def __init__(self, nin, hidden, layers):
        super().__init__()
        self.rnn = nn.GRU(nin, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, 2)

    def forward(self, x, h0=None):
        y, h = self.rnn(x, h0)
        return self.head(y), h


def gaussian_nll(o, y):
    """tsf's Gaussian head: sigma = softplus(o1) + 1e-4 (backend.h)."""
    mu, s = o[..., 0], F.softplus(o[..., 1]) + 1e-4
    z = (y - mu) / s
    return (0.5 * math.log(2 * math.pi) + torch.log(s) + 0.5 * z * z).mean()


def ar2(n, g):
    z = torch.zeros(n)
    e = torch.randn(n, generator=g)
    for t in range(2, n):
        z[t] = 0.6 * z[t - 1] + 0.25 * z[t - 2] + e[t]
    return z


def sync():
    torch.cuda.synchronize()


def train(arch, hidden, layers, heads, T, B, prec, mode, steps):
    torch.backends.cuda.matmul.allow_tf32 = prec == "tf32"
    torch.backends.cudnn.allow_tf32 = prec == "tf32"
    g = torch.Generator().manual_seed(1)
    z = ar2(B * T + 2, g)
    x = torch.stack([z[1:-1], torch.zeros(B * T)], -1).view(B, T, 2).to(DEV)
    y = z[2:].view(B, T).to(DEV)
    net = (Transformer(2, hidden, layers, heads, T) if arch == "transformer"
           else WaveNetNet(2, hidden, layers) if arch == "wavenet"
           else GRUNet(2, hidden, layers)).to(DEV)
    seq = arch != "gru"  # the net maps (B, T, 2) to (B, T, 2) directly
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4, fused=True)
    amp = torch.autocast("cuda", dtype=torch.bfloat16, enabled=prec == "bf16")

    def step():
        opt.zero_grad(set_to_none=True)
        with amp:
            o = net(x) if seq else net(x)[0]
            loss = gaussian_nll(o.float(), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        return loss

    fn = step
    if mode == "compile":
        fn = torch.compile(step)
    for _ in range(3):
        fn()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = fn()
    sync()
    dt = time.perf_counter() - t0
    # sampling: 1024 paths, 64 steps, one position at a time
    S, H = 1024, 64
    with torch.no_grad(), amp:
        if arch == "transformer":
            rate = sample_transformer(net, S, H, T)
        elif arch == "wavenet":
            rate = sample_wavenet(net, S, H, 2 ** layers)
        else:
            xs, h = torch.zeros(S, 1, 2, device=DEV), None
            sync()
            t1 = time.perf_counter()
            for _ in range(H):
                o, h = net(xs, h)
                o = o.float()
                zz = o[..., 0] + (F.softplus(o[..., 1]) + 1e-4) * torch.randn_like(o[..., 0])
                xs = torch.stack([zz, torch.zeros_like(zz)], -1)
            sync()
            rate = S * H / (time.perf_counter() - t1)
    return {"tool": "torch", "mode": mode, "arch": arch, "hidden": hidden, "layers": layers,
            "context": T, "batch": B, "precision": prec, "final_loss": float(loss),
            "train_windows_per_s": B * steps / dt, "ms_per_step": 1e3 * dt / steps,
            "sample_path_steps_per_s": rate, "torch": torch.__version__}


def sample_transformer(net, S, H, W):
    """Incremental decoding with a KV cache (the same work as tsf's
    attention_step): each new position attends to the cached keys."""
    blocks = net.blocks
    d = net.embed.out_features
    nh = blocks[0].nh
    hs = d // nh
    kc = [torch.zeros(S, nh, 0, hs, device=DEV) for _ in blocks]
    vc = [torch.zeros(S, nh, 0, hs, device=DEV) for _ in blocks]
    slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / nh) for h in range(nh)], device=DEV)
    x = torch.zeros(S, 1, 2, device=DEV)
    sync()
    t1 = time.perf_counter()
    for pos in range(H):
        h = net.embed(x)
        for li, b in enumerate(blocks):
            q, k, v = b.qkv(b.ln1(h)).split(d, dim=2)
            q, k, v = (t.view(S, 1, nh, hs).transpose(1, 2) for t in (q, k, v))
            kc[li] = torch.cat([kc[li], k.to(kc[li].dtype)], 2)[:, :, -W:]
            vc[li] = torch.cat([vc[li], v.to(vc[li].dtype)], 2)[:, :, -W:]
            n = kc[li].shape[2]
            bias = (-slopes[:, None] * torch.arange(n - 1, -1, -1, device=DEV)[None])
            y = F.scaled_dot_product_attention(q, kc[li].to(q.dtype), vc[li].to(q.dtype),
                                               attn_mask=bias[None, :, None, :].to(q.dtype))
            h = h + b.proj(y.transpose(1, 2).reshape(S, 1, d))
            h = h + b.fcp(F.gelu(b.fc(b.ln2(h)), approximate="tanh"))
        o = net.head(net.lnf(h)).float()
        zz = o[..., 0] + (F.softplus(o[..., 1]) + 1e-4) * torch.randn_like(o[..., 0])
        x = torch.stack([zz, torch.zeros_like(zz)], -1)
    sync()
    return S * H / (time.perf_counter() - t1)


def sample_wavenet(net, S, H, rf):
    """Each step runs the network over the last rf positions (its
    receptive field) of every path and keeps the last output."""
    x = torch.zeros(S, rf, 2, device=DEV)
    sync()
    t1 = time.perf_counter()
    for _ in range(H):
        o = net(x)[:, -1].float()
        zz = o[..., 0] + (F.softplus(o[..., 1]) + 1e-4) * torch.randn_like(o[..., 0])
        x = torch.cat([x[:, 1:], torch.stack([zz, torch.zeros_like(zz)], -1)[:, None]], 1)
    sync()
    return S * H / (time.perf_counter() - t1)


def gemm(d, T, B, prec):
    """Forward + both backward GEMMs of the block's four linear maps."""
    torch.backends.cuda.matmul.allow_tf32 = prec == "tf32"
    dt = torch.bfloat16 if prec == "bf16" else torch.float32
    BT = B * T
    shapes = [(d, 3 * d), (d, d), (d, 4 * d), (4 * d, d)]
    mats = [(torch.randn(BT, i, device=DEV, dtype=dt), torch.randn(o, i, device=DEV, dtype=dt),
             torch.randn(BT, o, device=DEV, dtype=dt)) for i, o in shapes]

    def run():
        for a, w, g in mats:
            a @ w.t()
            g @ w
            g.t() @ a

    for _ in range(3):
        run()
    sync()
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        run()
    sync()
    el = time.perf_counter() - t0
    flops = reps * sum(3 * 2.0 * BT * i * o for i, o in shapes)
    return {"tool": "torch", "what": "transformer block GEMMs", "d": d, "BT": BT,
            "precision": prec, "tflops": flops / el / 1e12}


def main(a):
    if not torch.cuda.is_available():
        print(json.dumps({"tool": "torch", "error": "no CUDA device visible to PyTorch"}))
        return 77
    if a[1] == "train":
        steps = int(a[10]) if len(a) > 10 else 20
        try:
            r = train(a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]), int(a[7]), a[8], a[9],
                      steps)
        except Exception as e:  # torch.compile may not support a configuration
            r = {"tool": "torch", "mode": a[9], "arch": a[2], "hidden": int(a[3]),
                 "precision": a[8], "error": f"{type(e).__name__}: {str(e)[:200]}"}
    else:
        r = gemm(int(a[2]), int(a[3]), int(a[4]), a[5])
    r["device"] = torch.cuda.get_device_name()
    print(json.dumps(r), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
