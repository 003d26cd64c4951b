#!/usr/bin/python3
"""PyTorch peer of Parley's `training-race` (benchmarks/Parley.Benchmarks/Training/TrainingRace.cs): optimizer steps on
the same model shape, batch, LoRA and optimizer, with the thread count really enforced.

    /usr/bin/python3 benchmarks/peers/training_race.py MODEL MODE THREADS [STEPS]
      MODEL   llama29m (random Llama: dim 512, 8 layers, 8 heads, SwiGLU 1376, vocab 8192, tied head; batch 4 x 256)
              stories260K (llama2.c's model read from the fixtures; batch 8 x 64)
      MODE    full-fp32 | lora-fp32   (PyTorch on the CPU has no NF4 kernels without bitsandbytes)

Thread control: Debian's PyTorch multiplies matrices in OpenBLAS, which ignores torch.set_num_threads() and starts one
thread per core unless OPENBLAS_NUM_THREADS is set before the library loads. So the thread variables are set here,
before `import torch`, and the printed cpu/wall (process CPU time over wall time during the timed steps) shows how
many cores the steps really used. OpenBLAS's kernel choice is fixed the same way (OPENBLAS_CORETYPE from the CPU
flags), since on an unrecognised CPU model it silently runs its generic SSE3 kernels at a third of the speed.
"""

import os
import sys

MODEL, MODE, THREADS = sys.argv[1], sys.argv[2], int(sys.argv[3])
STEPS = int(sys.argv[4]) if len(sys.argv) > 4 else 8
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(THREADS)


def openblas_core():
    """Debian's OpenBLAS picks its kernels by CPU model and falls back to the SSE3 "Prescott" ones on CPUs it does not
    recognise (a virtual "Intel Xeon Processor" here): 25 instead of 84 GFLOPS. Name the core by the CPU's flags."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next(line for line in f if line.startswith("flags")).split())
    except (OSError, StopIteration):
        return None
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


if "OPENBLAS_CORETYPE" not in os.environ and openblas_core():
    os.environ["OPENBLAS_CORETYPE"] = openblas_core()

import resource  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from training_lora_step import LoraLinear, Model, load  # noqa: E402

WARMUP = 2


def random_llama29m():
    dim, hidden, layers, heads, vocab = 512, 1376, 8, 8, 8192
    cfg = dict(dim=dim, hidden=hidden, layers=layers, heads=heads, kv_heads=heads, vocab=vocab, seq_len=256)
    g = torch.Generator().manual_seed(0)

    def normal(*shape):
        return torch.randn(*shape, generator=g) * 0.02

    w = {"emb": normal(vocab, dim), "att_norm": torch.ones(layers, dim), "wq": normal(layers, dim, dim),
         "wk": normal(layers, dim, dim), "wv": normal(layers, dim, dim), "wo": normal(layers, dim, dim),
         "ffn_norm": torch.ones(layers, dim), "w1": normal(layers, hidden, dim), "w2": normal(layers, dim, hidden),
         "w3": normal(layers, hidden, dim), "norm": torch.ones(dim)}
    return cfg, w


def main():
    torch.set_num_threads(THREADS)
    if MODEL == "llama29m":
        cfg, w = random_llama29m()
        rows, cols = 4, 256
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        cfg, w = load(os.path.join(here, "..", "..", "..", "shared", "fixtures", "models", "stories260K", "stories260K.bin"))
        rows, cols = 8, 64
    torch.manual_seed(0)
    model = Model(cfg, w)
    del w
    if MODE == "lora-fp32":
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.layers:
            for name in ("q", "k", "v", "o", "gate", "up", "down"):
                setattr(layer, name, LoraLinear(getattr(layer, name)))
    elif MODE != "full-fp32":
        raise SystemExit(f"mode {MODE}: the CPU peer runs full-fp32 and lora-fp32")
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, cfg["vocab"], (rows, cols), generator=g)
    model.train()
    times, cpus, cpu, wall_total = [], [], 0.0, 0.0
    for step in range(WARMUP + STEPS):
        cpu_start = time.process_time()
        start = time.perf_counter()
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad()
        elapsed = time.perf_counter() - start
        if step >= WARMUP:
            times.append(elapsed)
            wall_total += elapsed
            cpus.append(time.process_time() - cpu_start)
            cpu += cpus[-1]
    times.sort()
    cpus.sort()
    median = times[len(times) // 2]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"pytorch\t{MODEL}\t{MODE}\tthreads {torch.get_num_threads()}\tmedian {median * 1000:.0f} ms\tmin {times[0] * 1000:.0f} ms\t"
          f"{rows * cols / median:.0f} tokens/s\tcpu {cpus[len(cpus) // 2] * 1000:.0f} ms/step\tcpu/wall {cpu / wall_total:.2f}\tpeak RSS {peak} MiB\t"
          f"trainable {sum(p.numel() for p in params)}\tloss {loss.item():.4f}\ttorch {torch.__version__}\t"
          f"openblas {os.environ.get('OPENBLAS_CORETYPE', 'auto')}")


if __name__ == "__main__":
    main()
