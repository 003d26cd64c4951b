#!/usr/bin/python3
"""Tiny pre-quantized bitsandbytes 4-bit checkpoints, laid out as transformers saves a model loaded with
BitsAndBytesConfig(load_in_4bit=True) (the "*-bnb-4bit" repositories), plus the logits of the dequantized model.

For each projection (q/k/v/o_proj, gate/up/down_proj) the state dict holds, as bitsandbytes' Params4bit and
QuantState.as_dict(packed=True) write them:

    <name>.weight                                uint8 [n/2, 1]   two 4-bit codes per byte, high nibble first
    <name>.weight.absmax                         uint8 [blocks]   (double quant) or float32 [blocks]
    <name>.weight.quant_map                      float32 [16]     the NF4 or FP4 code
    <name>.weight.nested_absmax                  float32          (double quant) one scale per 256 absmax values
    <name>.weight.nested_quant_map               float32 [256]    (double quant) the signed dynamic map
    <name>.weight.quant_state.bitsandbytes__nf4  uint8            JSON: quant_type, blocksize, dtype, shape,
                                                                  nested_blocksize, nested_offset, nested_dtype

The quantization follows bitsandbytes' default (torch) backend: absmax per block of 64, nearest code of
x * (1 / absmax) (first minimum), double quantization of absmax - absmax.mean() in blocks of 256. The other weights are
stored in 16 bits, as in the published checkpoints. Written into tests/Parley.Runtime.Tests/Training/Data/:

    qwen3-tiny-bnb-nf4/   NF4 with double quantization, bf16 elsewhere, sharded in two files with an index
    llama3-tiny-bnb-fp4/  FP4 without double quantization, fp16 elsewhere

Both start from the fp32 weights of llama_family_reference.py (run that first). Run:

    /usr/bin/python3 benchmarks/peers/bnb4bit_reference.py
"""

import json
import os
import struct

import torch

import llama_family_reference as family
from nf4_reference import dynamic_map, quantize_blockwise

OUT = family.OUT
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

NF4 = torch.tensor([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                    0.7229568362236023, 1.0])
FP4 = torch.tensor([0, 0.0625, 8.0, 12.0, 4.0, 6.0, 2.0, 3.0, -0.0, -0.0625, -8.0, -12.0, -4.0, -6.0, -2.0, -3.0]) / 12.0

DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16", torch.uint8: "U8"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors):
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        data = tensor_bytes(tensors[name])
        header[name] = {"dtype": DTYPES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def quantize_4bit(weight, code, quant_type, double_quant, dtype_name):
    """(state-dict entries under "<name>.weight...", the float32 dequantized weight)."""
    codes, absmax = quantize_blockwise(weight.flatten(), code, 64)
    packed = ((codes[0::2] << 4) | codes[1::2]).view(-1, 1)
    state = {"quant_type": quant_type, "blocksize": 64, "dtype": dtype_name, "shape": list(weight.shape)}
    entries = {"": packed, ".quant_map": code.clone()}
    if double_quant:
        offset = absmax.mean()
        nested = dynamic_map()
        qabsmax, nested_absmax = quantize_blockwise(absmax - offset, nested, 256)
        restored = nested[qabsmax.long()] * nested_absmax.repeat_interleave(256)[: absmax.numel()] + offset
        entries[".absmax"] = qabsmax
        entries[".nested_absmax"] = nested_absmax
        entries[".nested_quant_map"] = nested
        state.update({"nested_blocksize": 256, "nested_offset": offset.item(), "nested_dtype": "float32"})
    else:
        restored = absmax
        entries[".absmax"] = absmax
    entries[f".quant_state.bitsandbytes__{quant_type}"] = torch.tensor(list(json.dumps(state).encode("utf-8")), dtype=torch.uint8)
    dequantized = (code[codes.long()].view(-1, 64) * restored.unsqueeze(1)).view(weight.shape)
    return entries, dequantized


def build(name, source, quant_type, double_quant, dtype, shards):
    config = dict(family.FAMILIES[source])
    weights = family.random_weights(config, seed=4321 + list(family.FAMILIES).index(source))
    code = NF4 if quant_type == "nf4" else FP4
    dtype_name = str(dtype).replace("torch.", "")
    config["torch_dtype"] = dtype_name
    config["quantization_config"] = {
        "quant_method": "bitsandbytes", "load_in_4bit": True, "load_in_8bit": False,
        "bnb_4bit_quant_type": quant_type, "bnb_4bit_use_double_quant": double_quant,
        "bnb_4bit_compute_dtype": dtype_name, "bnb_4bit_quant_storage": "uint8",
        "llm_int8_skip_modules": None, "llm_int8_threshold": 6.0,
    }
    stored, effective = {}, {}
    for key, value in weights.items():
        if key.endswith(".weight") and key.split(".")[-2] in PROJECTIONS:
            entries, dequantized = quantize_4bit(value, code, quant_type, double_quant, dtype_name)
            for suffix, tensor in entries.items():
                stored[key + suffix] = tensor
            effective[key] = dequantized
        else:
            stored[key] = value.to(dtype)
            effective[key] = value.to(dtype).float()

    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):
        os.remove(os.path.join(folder, old))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), stored)
    else:
        # split by layer, as save_pretrained's max_shard_size does by key order: each weight's quant state stays with it
        names = sorted(stored)
        files = [f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards)]
        weight_map = {n: files[0 if ".layers.0." in n or n.startswith("model.embed") else 1] for n in names}
        for file in files:
            write_safetensors(os.path.join(folder, file), {n: stored[n] for n in names if weight_map[n] == file})
        index = {"metadata": {"total_size": sum(len(tensor_bytes(t)) for t in stored.values())}, "weight_map": weight_map}
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f, indent=2)
            f.write("\n")

    family.write_expected(folder, "bnb4bit_reference.py", family.cases(), lambda ids, mask, pos: family.forward(config, effective, ids, mask, pos))
    print(f"{folder}: {len(stored)} tensors")


def main():
    torch.set_num_threads(1)
    build("qwen3-tiny-bnb-nf4", "qwen3", "nf4", double_quant=True, dtype=torch.bfloat16, shards=2)
    build("llama3-tiny-bnb-fp4", "llama3", "fp4", double_quant=False, dtype=torch.float16, shards=1)


if __name__ == "__main__":
    main()
