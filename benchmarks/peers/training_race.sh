#!/usr/bin/env bash
# Parley vs PyTorch, interleaved: for each model, thread count and mode, one Parley process then one PyTorch process
# (each sets its own thread count before its native libraries load), so both see the same machine load.
#   dotnet build -c Release benchmarks/Parley.Benchmarks && benchmarks/peers/training_race.sh [STEPS_29M] [STEPS_260K] [MODELS]
# MODELS: "llama29m stories260K" (default), or one of them, e.g. `training_race.sh 4 15 llama29m` (the 29.5M rows only,
# about 4 minutes on a quiet machine).
# Needs Debian's python3-torch and libopenblas0-pthread (with the reference libblas3 PyTorch is ~3x slower).
set -euo pipefail
cd "$(dirname "$0")/../.."
steps29=${1:-4}
steps260=${2:-15}
models=${3:-llama29m stories260K}
parley=benchmarks/Parley.Benchmarks/bin/Release/net10.0/Parley.Benchmarks.dll
for model in $models; do
  steps=$steps29
  [ "$model" = stories260K ] && steps=$steps260
  for threads in 1 2; do
    for mode in full-fp32 lora-fp32 nf4-lora; do
      OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads dotnet "$parley" training-race "$model" "$mode" "$threads" "$steps"
      if [ "$mode" != nf4-lora ]; then
        (cd benchmarks/peers && /usr/bin/python3 training_race.py "$model" "$mode" "$threads" "$steps")
      fi
      echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
    done
  done
done
