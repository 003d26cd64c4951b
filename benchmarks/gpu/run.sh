#!/usr/bin/env bash
# GPU figures in one call: on a Linux machine with an NVIDIA GPU and the .NET SDK, from the repository root,
#   benchmarks/gpu/run.sh [OUT_FILE]          (default benchmarks/gpu/results-<host>-<date>.txt)
# It restores the benchmark and the Yoda sample against TorchSharp-cuda-linux (-p:ParleyTorch=cuda, instead of
# libtorch-cpu-linux-x64), then runs on device "cuda":
#   1. the 29.5M-parameter Llama race (dim 512, 8 layers, SwiGLU 1376, vocab 8192, batch 4 x 256): full fp32, LoRA on an
#      fp32 base and NF4 + LoRA, 20 timed steps each after 2 warm-up steps (training-race ... cuda);
#   2. the same on stories260K (batch 8 x 64);
#   3. a QLoRA run of the Yoda sample (samples/Yoda, NF4 + LoRA, 200 steps) with its timing and final loss;
# and writes every figure, the GPU's name and driver, and the versions to OUT_FILE. The CUDA build goes to
# artifacts/gpu/ (--artifacts-path), so the CPU build of the checkout stays untouched.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-benchmarks/gpu/results-$(hostname)-$(date -u +%Y%m%dT%H%MZ).txt}
mkdir -p "$(dirname "$out")"
log() { echo "$@" | tee -a "$out"; }
: > "$out"
log "# Parley GPU run $(date -u +%FT%TZ) on $(hostname)"
if ! command -v nvidia-smi > /dev/null; then
  log "nvidia-smi not found: this script needs a CUDA machine."; exit 2
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/# gpu: /' | tee -a "$out"
log "# dotnet $(dotnet --version), git $(git rev-parse --short HEAD 2>/dev/null)"

art=artifacts/gpu # under the ignored /artifacts/: the CPU build in bin/ and obj/ stays as it is
cuda_build() { # project folder; output in $art/bin/<name>/release/
  local project=$1 name
  name=$(basename "$project")
  dotnet build -c Release "$project/$name.csproj" -p:ParleyTorch=cuda --artifacts-path "$art" \
    > "/tmp/parley-gpu-build-$name.log" 2>&1 \
    || { log "build of $project failed: see /tmp/parley-gpu-build-$name.log"; tail -20 "/tmp/parley-gpu-build-$name.log" | tee -a "$out"; exit 3; }
}
cuda_build benchmarks/Parley.Benchmarks
cuda_build samples/Yoda
bench=$art/bin/Parley.Benchmarks/release/Parley.Benchmarks.dll
yoda=$art/bin/Yoda/release/Yoda.dll

log "## training race on cuda (median step, tokens/s at the median; cpu/wall and RSS are host-side)"
for model in llama29m stories260K; do
  for mode in full-fp32 lora-fp32 nf4-lora; do
    timeout 900 dotnet "$bench" training-race "$model" "$mode" 1 20 cuda 2>&1 | tail -1 | tee -a "$out"
  done
done

log "## Yoda sample, QLoRA on cuda (200 steps)"
start=$(date +%s.%N)
timeout 1800 dotnet "$yoda" --device cuda --steps 200 --no-progress --output /tmp/parley-gpu-yoda > /tmp/parley-gpu-yoda.log 2>&1
status=$?
end=$(date +%s.%N)
tail -25 /tmp/parley-gpu-yoda.log | tee -a "$out"
log "yoda: exit $status, wall $(echo "$end - $start" | bc) s"
log "# done; figures in $out"
