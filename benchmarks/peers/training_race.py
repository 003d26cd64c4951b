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

PEER_PROFILE=1 prints a measured profile of the step instead (phases, forward time per module type, the autograd
profiler's op table); PEER_PERF_CTL=FIFO switches `perf record -D -1 --control fifo:FIFO` on for the timed steps only.
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

from training_lora_step import Layer, LoraLinear, Model, load  # noqa: E402

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


def profile(model, ids, params, opt, steps):
    """A measured profile of the step, the same phases and forward split as Parley's StepProfile (training-race with
    PARLEY_PROFILE=1): wall time per phase, forward time per module type exclusive of the hooked modules it calls
    (forward hooks), then torch.autograd.profiler's table of the ops (self CPU time) over the same steps."""
    kinds = {LoraLinear: "LoraLinear (add, scale, glue)", torch.nn.Dropout: "Dropout (LoRA)", Layer: "Layer (attention, RoPE, residual)"}
    names = {}
    for name, module in model.named_modules():
        kind = kinds.get(type(module))
        if type(module) is torch.nn.Linear:
            kind = "Linear (lora_A/lora_B)" if 16 in module.weight.shape else "Linear (dense base)"
        elif type(module).__name__ == "RMSNorm":
            kind = "RMSNorm"
        elif type(module) is torch.nn.Embedding:
            kind = "Embedding"
        if kind:
            names[module] = kind
    stack, exclusive, calls = [], {}, {}

    def enter(module, args):
        stack.append([time.perf_counter(), 0.0])

    def leave(module, args, output):
        start, children = stack.pop()
        elapsed = time.perf_counter() - start
        kind = names[module]
        exclusive[kind] = exclusive.get(kind, 0.0) + elapsed - children
        calls[kind] = calls.get(kind, 0) + 1
        if stack:
            stack[-1][1] += elapsed

    for module in names:
        module.register_forward_pre_hook(enter)
        module.register_forward_hook(leave)
    phases = ["forward", "loss", "backward", "clip_grad_norm", "AdamW step", "zero_grad"]
    totals = [0.0] * len(phases)
    cpu0 = wall0 = 0.0
    prof = None
    for step in range(WARMUP + steps):
        if step == WARMUP:
            exclusive.clear()
            calls.clear()
            cpu0, wall0 = time.process_time(), time.perf_counter()
        marks = [time.perf_counter()]
        logits = model(ids)
        marks.append(time.perf_counter())
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), ignore_index=-100)
        loss.item()
        marks.append(time.perf_counter())
        loss.backward()
        marks.append(time.perf_counter())
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        marks.append(time.perf_counter())
        opt.step()
        marks.append(time.perf_counter())
        opt.zero_grad()
        marks.append(time.perf_counter())
        if step >= WARMUP:
            for i in range(len(phases)):
                totals[i] += marks[i + 1] - marks[i]
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"profile: mean of {steps} steps after {WARMUP} warm-up; step {wall / steps * 1000:.0f} ms wall, {cpu / steps * 1000:.0f} ms CPU")
    for name, total in zip(phases, totals):
        print(f"  phase\t{name:<16}\t{total / steps * 1000:8.1f} ms")
    hooked = 0.0
    for kind, total in sorted(exclusive.items(), key=lambda e: -e[1]):
        hooked += total / steps
        print(f"  forward\t{kind:<28}\t{total / steps * 1000:8.1f} ms\t{calls[kind] // steps} calls/step")
    print(f"  forward\t{'(rest: head, RoPE angles)':<28}\t{(totals[0] / steps - hooked) * 1000:8.1f} ms")
    for module in names:
        module._forward_hooks.clear()
        module._forward_pre_hooks.clear()
    # the op table, over two more steps (the profiler's own overhead inflates wall time a little; self CPU times are per op)
    with torch.autograd.profiler.profile() as prof:
        for _ in range(2):
            train_step(model, ids, params, opt)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=40))


def train_step(model, ids, params, opt):
    """One step: forward, loss, backward, clipping at 1.0, AdamW (what the race times)."""
    logits = model(ids)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), ignore_index=-100)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    opt.zero_grad()
    return loss


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
    if os.environ.get("PEER_PROFILE") == "1":
        profile(model, ids, params, opt, STEPS)
        return
    perf = open(os.environ["PEER_PERF_CTL"], "w", buffering=1) if os.environ.get("PEER_PERF_CTL") else None
    times, cpus, cpu, wall_total = [], [], 0.0, 0.0
    for step in range(WARMUP + STEPS):
        if perf and step == WARMUP:
            perf.write("enable\n")
        cpu_start = time.process_time()
        start = time.perf_counter()
        loss = train_step(model, ids, params, opt)
        elapsed = time.perf_counter() - start
        if step >= WARMUP:
            times.append(elapsed)
            wall_total += elapsed
            cpus.append(time.process_time() - cpu_start)
            cpu += cpus[-1]
    if perf:
        perf.write("disable\n")
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
