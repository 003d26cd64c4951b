#!/usr/bin/python3
"""NF4 double quantization in plain PyTorch, after bitsandbytes' quantize_4bit(compress_statistics=True) on its default
(CPU/torch) backend, for tests/Parley.Runtime.Tests/Training/Data/nf4-double-quant-128x300.json.

The case that matters: a 128 x 300 weight has 600 blocks of 64, so the absmax is double-quantized in three blocks of
256 around offset = absmax.mean(). PyTorch computes that mean in float32 with its own summation order; a mean taken in
double and rounded once differs by one ulp here, and the offset enters every restored absmax. The input is made by an
integer LCG that C# reproduces exactly, so nothing but the expected numbers needs committing.

    apt-get install python3-torch
    /usr/bin/python3 benchmarks/peers/nf4_reference.py
"""

import json
import os

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "Parley.Runtime.Tests", "Training", "Data", "nf4-double-quant-128x300.json")


def lcg_weight(rows, cols, seed):
    """u = ((x >> 8) / 2^24 - 0.5) exactly, times a float32 per-row scale (0.01 * (1 + row % 7)): float32 exact in C#."""
    x = seed & 0xFFFFFFFF
    values = np.empty(rows * cols, dtype=np.float32)
    for i in range(rows * cols):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        u = np.float32((x >> 8) / 16777216.0 - 0.5)
        values[i] = u * np.float32(0.01 * (1 + (i // cols) % 7))
    return torch.from_numpy(values)


def dynamic_map():
    """bitsandbytes.functional.create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8), in float32."""
    data = []
    non_sign_bits = 7
    for i in range(7):
        fraction_items = 2 ** (i + non_sign_bits - 7) + 1
        boundaries = torch.linspace(0.1, 1, fraction_items)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (-6 + i)) * means).tolist()
        data += (-(10 ** (-6 + i)) * means).tolist()
    data.append(0)
    data.append(1.0)
    data.sort()
    return torch.tensor(data)


def quantize_blockwise(a, code, blocksize):
    """Absmax per block, then the nearest code of x * (1 / absmax) clamped to [-1, 1] (torch.argmin's first minimum)."""
    n = a.numel()
    blocks = (n + blocksize - 1) // blocksize
    padded = torch.zeros(blocks * blocksize)
    padded[:n] = a
    padded = padded.view(blocks, blocksize)
    absmax = padded.abs().max(dim=1).values
    scaled = torch.clamp(padded * (1 / absmax).unsqueeze(1), -1, 1)
    codes = (scaled.unsqueeze(-1) - code).abs().argmin(dim=-1).flatten()[:n]
    return codes.to(torch.uint8), absmax


def main():
    torch.set_num_threads(1)
    weight = lcg_weight(128, 300, seed=20261130)
    absmax = weight.view(-1, 64).abs().max(dim=1).values          # 600 NF4 blocks
    offset = absmax.mean()                                          # what bitsandbytes subtracts
    in_double = np.float32(absmax.double().sum().item() / absmax.numel())
    codes, scales = quantize_blockwise(absmax - offset, dynamic_map(), 256)
    sums = {}
    for n in (1, 3, 7, 8, 9, 31, 32, 33, 64, 65, 255, 600, 1000, 4097, 30000):
        sums[str(n)] = float(weight[:n].sum().item())
    case = {
        "generator": "benchmarks/peers/nf4_reference.py",
        "torch": torch.__version__,
        "input": "lcg_weight(128, 300, seed=20261130)",
        "absmax_blocks": absmax.numel(),
        "offset_float32_mean": float(offset.item()),
        "offset_double_rounded_once": float(in_double),
        "absmax_codes": codes.tolist(),
        "absmax_scales": [float(s) for s in scales.tolist()],
        "prefix_sums": sums,
    }
    with open(OUT, "w") as f:
        json.dump(case, f, separators=(",", ":"))
        f.write("\n")
    print(f"{OUT}: offset {offset.item()!r} (double-then-round {float(in_double)!r})")


if __name__ == "__main__":
    main()
