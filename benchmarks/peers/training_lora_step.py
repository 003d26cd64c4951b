#!/usr/bin/env python3
"""PyTorch peer of Parley's TrainingStepBenchmarks: one optimizer step on stories260K, batch 8 x 64, one thread.

Same model (llama2.c stories260K.bin, 5 layers, dim 64, GQA 8/4, SwiGLU 172, tied head), same batch shape, same
LoRA (r=16, alpha=32, dropout 0.05 on q,k,v,o,gate,up,down), AdamW, gradient clipping at 1.0. PyTorch on the CPU has
no NF4 kernels without bitsandbytes, so the peer runs full fp32 and LoRA on an fp32 base.

Usage: /usr/bin/python3 benchmarks/peers/training_lora_step.py [path/to/stories260K.bin]   (Debian: apt-get install python3-torch)
Prints one line per mode: median and minimum ms per step with tokens/s, peak RSS.
"""
import math
import os

# Debian's PyTorch multiplies in OpenBLAS, which ignores torch.set_num_threads() unless told before it loads.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
# (benchmarks/peers/training_race.py also fixes OpenBLAS's kernel choice, OPENBLAS_CORETYPE, and reports cpu/wall.)

import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROWS, COLS, STEPS, WARMUP = 8, 64, 15, 3


def load(path):
    with open(path, "rb") as f:
        dim, hidden, layers, heads, kv_heads, vocab, seq_len = struct.unpack("<7i", f.read(28))
        data = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
    cfg = dict(dim=dim, hidden=hidden, layers=layers, heads=heads, kv_heads=kv_heads, vocab=abs(vocab), seq_len=seq_len)
    off = 0

    def take(*shape):
        nonlocal off
        n = math.prod(shape)
        t = data[off:off + n].view(*shape).clone()
        off += n
        return t

    hd = dim // heads
    w = {"emb": take(abs(vocab), dim), "att_norm": take(layers, dim), "wq": take(layers, dim, dim),
         "wk": take(layers, kv_heads * hd, dim), "wv": take(layers, kv_heads * hd, dim), "wo": take(layers, dim, dim),
         "ffn_norm": take(layers, dim), "w1": take(layers, hidden, dim), "w2": take(layers, dim, hidden),
         "w3": take(layers, hidden, dim), "norm": take(dim)}
    return cfg, w


class LoraLinear(nn.Module):
    def __init__(self, base, r=16, alpha=32, dropout=0.05):
        super().__init__()
        self.base = base
        self.base.weight.requires_grad_(False)
        self.a = nn.Linear(base.in_features, r, bias=False)
        self.b = nn.Linear(r, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.a.weight, a=math.sqrt(5))
        nn.init.zeros_(self.b.weight)
        self.drop = nn.Dropout(dropout)
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + self.b(self.a(self.drop(x))) * self.scale


class RMSNorm(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.weight = nn.Parameter(w.clone())

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))


def linear(w):
    l = nn.Linear(w.shape[1], w.shape[0], bias=False)
    l.weight.data.copy_(w)
    return l


class Layer(nn.Module):
    def __init__(self, cfg, w, i):
        super().__init__()
        self.h, self.kv, self.hd = cfg["heads"], cfg["kv_heads"], cfg["dim"] // cfg["heads"]
        self.n1, self.n2 = RMSNorm(w["att_norm"][i]), RMSNorm(w["ffn_norm"][i])
        self.q, self.k, self.v, self.o = (linear(w[n][i]) for n in ("wq", "wk", "wv", "wo"))
        self.gate, self.down, self.up = linear(w["w1"][i]), linear(w["w2"][i]), linear(w["w3"][i])

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = self.n1(x)
        q = self.q(h).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k(h).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v(h).view(b, t, self.kv, self.hd).transpose(1, 2)

        def rope(z):
            z1, z2 = z[..., : self.hd // 2], z[..., self.hd // 2:]
            return z * cos + torch.cat([-z2, z1], -1) * sin

        q, k = rope(q), rope(k)
        k = k.repeat_interleave(self.h // self.kv, 1)
        v = v.repeat_interleave(self.h // self.kv, 1)
        # torch 1.13 (Debian 12) has no scaled_dot_product_attention: the math path written out
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.hd)
        att = scores.masked_fill(~mask, float("-inf")).softmax(-1) @ v
        x = x + self.o(att.transpose(1, 2).reshape(b, t, -1))
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self, cfg, w):
        super().__init__()
        self.emb = nn.Embedding(cfg["vocab"], cfg["dim"])
        self.emb.weight.data.copy_(w["emb"])
        self.layers = nn.ModuleList(Layer(cfg, w, i) for i in range(cfg["layers"]))
        self.norm = RMSNorm(w["norm"])
        self.hd = cfg["dim"] // cfg["heads"]

    def forward(self, ids):
        t = ids.shape[1]
        inv = 1.0 / (10000 ** (torch.arange(0, self.hd, 2).float() / self.hd))
        f = torch.arange(t).float()[:, None] * inv
        e = torch.cat([f, f], -1)
        cos, sin = e.cos(), e.sin()
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        x = self.emb(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return F.linear(self.norm(x), self.emb.weight)


def run(mode, cfg, w):
    torch.manual_seed(0)
    model = Model(cfg, w)
    if mode == "lora-fp32":
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.layers:
            for name in ("q", "k", "v", "o", "gate", "up", "down"):
                setattr(layer, name, LoraLinear(getattr(layer, name)))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, 512, (ROWS, COLS), generator=g)
    model.train()
    times = []
    for step in range(WARMUP + STEPS):
        start = time.perf_counter()
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad()
        if step >= WARMUP:
            times.append(time.perf_counter() - start)
    times.sort()
    median, best = times[len(times) // 2], times[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{mode}\tmedian {median * 1000:.1f} ms/step ({ROWS * COLS / median:.0f} tokens/s)\tmin {best * 1000:.1f} ms/step ({ROWS * COLS / best:.0f} tokens/s)"
          f"\tpeak RSS {peak} MiB\ttrainable {sum(p.numel() for p in params)}")


def main():
    torch.set_num_threads(1)
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "fixtures", "models", "stories260K", "stories260K.bin")
    cfg, w = load(path)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {ROWS}x{COLS}")
    for mode in ("full-fp32", "lora-fp32"):
        run(mode, cfg, w)


if __name__ == "__main__":
    main()
