#!/usr/bin/env python3
"""PyTorch (CPU) peer of bench/neural_bench.c: the same networks, sizes,
batch and context as tsf's neural CPU reference, timed over the same
training step (forward, Gaussian NLL, backward, global-norm clipping,
AdamW).  One configuration per process so ru_maxrss is its own.

ARCH: gru, lstm, transformer, transformer-additive (additive attention),
transformer-cross (cross=true, two regressors) or wavenet.
usage: neural_vs_torch.py ARCH HIDDEN LAYERS HEADS CONTEXT BATCH STEPS THREADS [PRECISION]
PRECISION fp32 (default) or bf16: the forward pass under
torch.autocast("cpu", dtype=torch.bfloat16) (PyTorch's mixed precision on
the CPU: its autocast list runs linear maps, convolutions and matrix
products in bf16), the loss in fp32.
prints one JSON line: {"steps_per_s", "ms_per_step", "cpu_steps_per_s", "maxrss_mb",
"nparams"} (cpu_*: per CPU-second of the process, for loaded machines)
"""
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RNNNet(nn.Module):
    def __init__(self, cell, nin, hidden, layers):
        super().__init__()
        self.rnn = cell(nin, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, 2)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.head(h)


class Block(nn.Module):
    def __init__(self, d, heads, additive=False):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.heads = heads
        hs = d // heads
        # additive (Bahdanau) scores: va_h . tanh(q_i + k_j), as tsf's attention=additive
        self.va = nn.Parameter(torch.empty(heads, hs).uniform_(-hs ** -0.5, hs ** -0.5)) \
            if additive else None

    def forward(self, x, bias):
        B, T, C = x.shape
        # LayerNorm in fp32 (as tsf's; PyTorch 1.13's CPU autocast leaves
        # layer_norm out of its lists and refuses a bf16 input with fp32 weights)
        x = x.float()
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        hs = C // self.heads
        q, k, v = (t.view(B, T, self.heads, hs).transpose(1, 2) for t in (q, k, v))
        if self.va is not None:
            e = torch.tanh(q.unsqueeze(3) + k.unsqueeze(2))  # (B, NH, T, T, hs)
            att = torch.einsum("bhijd,hd->bhij", e, self.va) + bias
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hs) + bias
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.proj(y).float()
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh")).float()


class CrossBlock(Block):
    """Block with tsf's cross=true sublayer between attention and MLP:
    x += proj(attn(q = W_q lnc(x), k, v = W_kv enc)) over the same causal
    ALiBi window."""

    def __init__(self, d, heads):
        super().__init__(d, heads)
        self.lnc, self.q, self.kv = nn.LayerNorm(d), nn.Linear(d, d), nn.Linear(d, 2 * d)
        self.cproj = nn.Linear(d, d)

    def attend(self, q, k, v, bias):
        B, T, C = q.shape
        hs = C // self.heads
        q, k, v = (t.view(B, T, self.heads, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs) + bias
        return (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)

    def forward(self, x, bias, enc):
        C = x.shape[2]
        x = x.float()  # fp32 residual stream and LayerNorm inputs, as Block
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        x = x + self.proj(self.attend(q, k, v, bias)).float()
        k, v = self.kv(enc).split(C, dim=2)
        x = x + self.cproj(self.attend(self.q(self.lnc(x)), k, v, bias)).float()
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh")).float()


class TransformerNet(nn.Module):
    """Pre-LN decoder with ALiBi biases over a causal window, as tsf's;
    nx > 0: transformer(cross=true) with nx regressors (the last nx inputs)."""

    def __init__(self, nin, d, heads, layers, window, additive=False, nx=0):
        super().__init__()
        self.embed = nn.Linear(nin, d)
        self.nx = nx
        self.cx = nn.Linear(nx, d) if nx else None
        self.blocks = nn.ModuleList(CrossBlock(d, heads) if nx else Block(d, heads, additive)
                                    for _ in range(layers))
        self.lnf, self.head = nn.LayerNorm(d), nn.Linear(d, 2)
        self.heads, self.window = heads, window

    def forward(self, x):
        T = x.shape[1]
        i = torch.arange(T)
        dist = (i[:, None] - i[None, :]).float()
        slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / self.heads) for h in range(self.heads)])
        bias = -slopes[:, None, None] * dist
        bias = bias.masked_fill((dist < 0) | (dist >= self.window), float("-inf"))
        enc = self.cx(x[..., -self.nx:]) if self.nx else None
        x = self.embed(x)
        for b in self.blocks:
            x = b(x, bias, enc) if self.nx else b(x, bias)
        return self.head(self.lnf(x.float()))


class WaveNetNet(nn.Module):
    """tsf's wavenet: 1x1 input conv, gated dilated causal convs (kernel 2,
    dilations 1..2^(L-1)) with 1x1 residual (not in the last layer) and skip
    convs, ReLU, 1x1, ReLU, head.  Causality by left padding."""

    def __init__(self, nin, C, L):
        super().__init__()
        self.inp = nn.Conv1d(nin, C, 1)
        self.convs = nn.ModuleList(nn.Conv1d(C, 2 * C, 2, dilation=2 ** i) for i in range(L))
        self.res = nn.ModuleList(nn.Conv1d(C, C, 1) for _ in range(L - 1))
        self.skip = nn.ModuleList(nn.Conv1d(C, C, 1) for _ in range(L))
        self.out, self.head = nn.Conv1d(C, C, 1), nn.Conv1d(C, 2, 1)
        self.C = C

    def forward(self, x):
        h = self.inp(x.transpose(1, 2))
        s = 0
        for i, conv in enumerate(self.convs):
            z = conv(F.pad(h, (conv.dilation[0], 0)))
            a = torch.tanh(z[:, :self.C]) * torch.sigmoid(z[:, self.C:])
            if i < len(self.res):
                h = h + self.res[i](a)
            s = s + self.skip[i](a)
        return self.head(F.relu(self.out(F.relu(s)))).transpose(1, 2)


def main():
    arch, H, L, NH, T, B, steps, threads = sys.argv[1:9]
    H, L, NH, T, B, steps, threads = map(int, (H, L, NH, T, B, steps, threads))
    bf16 = len(sys.argv) > 9 and sys.argv[9] == "bf16"
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    nx = 2 if arch == "transformer-cross" else 0
    if arch.startswith("transformer"):
        net = TransformerNet(2 + nx, H, NH, L, T, arch == "transformer-additive", nx)
    elif arch == "wavenet":
        net = WaveNetNet(2, H, L)
    else:
        net = RNNNet(nn.GRU if arch == "gru" else nn.LSTM, 2, H, L)
    # windows of a simulated AR(2) series, as the tsf driver uses
    n = B * T + 2
    z = torch.zeros(n)
    e = torch.randn(n)
    for t in range(2, n):
        z[t] = 0.6 * z[t - 1] + 0.25 * z[t - 2] + e[t]
    cols = [z[1:n - 1], torch.zeros(n - 2)]
    if nx:  # the regressors: an AR(1) and a dummy, as the tsf driver's
        xa, u = torch.zeros(n - 2), torch.randn(n - 2)
        for t in range(1, n - 2):
            xa[t] = 0.8 * xa[t - 1] + u[t]
        cols += [xa, (torch.arange(n - 2) % 7 == 0).float()]
    x = torch.stack(cols, dim=1).view(B, T, 2 + nx)
    y = z[2:].view(B, T)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            o = net(x)
        o = o.float()
        sigma = F.softplus(o[..., 1]) + 1e-4
        loss = (torch.log(sigma) + 0.5 * ((y - o[..., 0]) / sigma) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()

    for _ in range(2):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"steps_per_s": steps / dt, "ms_per_step": 1e3 * dt / steps,
                      "cpu_steps_per_s": steps / dc,
                      "maxrss_mb": rss, "nparams": sum(p.numel() for p in net.parameters())}))


if __name__ == "__main__":
    main()
