#!/usr/bin/python3
"""Reference forward pass of a tiny random OPT, written in plain PyTorch after Hugging Face's modeling_opt.py.

Parley's C# OPT (src/Runtime/Training/Models/Opt*.cs) is checked against the files this script writes, because CI has
no Python: for each of two configs (pre-LN like opt-125m and post-LN like opt-350m, both with project_in/project_out)
it writes into tests/Parley.Runtime.Tests/Training/Data/opt-tiny-<name>/

    config.json         a Hugging Face OPT config (model_type "opt")
    model.safetensors   the random weights under HF key names (model.decoder.layers.0.self_attn.q_proj.weight ...)
    expected.json       inputs (ids, attention mask, position_ids) and the logits this forward gives for them

Run with Debian's interpreter and python3-torch (transformers is not needed):

    /usr/bin/python3 benchmarks/peers/opt_reference.py

The weights are drawn with a fixed seed and larger than HF's N(0, 0.02) initialisation, so that every path (biases,
layer norms, positional embeddings, projections) moves the logits visibly.
"""

import json
import os
import struct

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "Parley.Runtime.Tests", "Training", "Data")

# Sizes kept small so each safetensors file stays under ~50 KB; word_embed_proj_dim != hidden_size so that
# project_in / project_out exist, as in opt-350m.
BASE = {
    "vocab_size": 64,
    "hidden_size": 24,
    "word_embed_proj_dim": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "ffn_dim": 48,
    "max_position_embeddings": 32,
}

CONFIGS = {
    # opt-125m style: layer norm before attention/MLP, final_layer_norm at the end
    "prenorm": {"do_layer_norm_before": True},
    # opt-350m style: post-LN, no final_layer_norm
    "postln": {"do_layer_norm_before": False},
}


def hf_config(overrides):
    config = {
        "_name_or_path": "parley/opt-tiny-random",
        "architectures": ["OPTForCausalLM"],
        "model_type": "opt",
        "activation_function": "relu",
        "attention_dropout": 0.0,
        "dropout": 0.1,
        "enable_bias": True,
        "layer_norm_elementwise_affine": True,
        "init_std": 0.02,
        "layerdrop": 0.0,
        "_remove_final_layer_norm": False,
        "pad_token_id": 1,
        "bos_token_id": 2,
        "eos_token_id": 2,
        "torch_dtype": "float32",
        "use_cache": True,
    }
    config.update(BASE)
    config.update(overrides)
    return config


def random_weights(config, seed):
    """HF key names -> float32 tensors."""
    g = torch.Generator().manual_seed(seed)

    def normal(*shape, std=0.2, mean=0.0):
        return (torch.randn(*shape, generator=g) * std + mean).float()

    h, p, f = config["hidden_size"], config["word_embed_proj_dim"], config["ffn_dim"]
    w = {}
    embed = normal(config["vocab_size"], p, std=0.5)
    embed[config["pad_token_id"]] = 0.0  # nn.Embedding(padding_idx=1) starts that row at zero
    w["model.decoder.embed_tokens.weight"] = embed
    # OPTLearnedPositionalEmbedding has max_position_embeddings + 2 rows (offset 2)
    w["model.decoder.embed_positions.weight"] = normal(config["max_position_embeddings"] + 2, h, std=0.3)
    if p != h:
        w["model.decoder.project_in.weight"] = normal(h, p, std=0.3)
        w["model.decoder.project_out.weight"] = normal(p, h, std=0.3)
    if config["do_layer_norm_before"] and not config["_remove_final_layer_norm"]:
        w["model.decoder.final_layer_norm.weight"] = normal(h, std=0.1, mean=1.0)
        w["model.decoder.final_layer_norm.bias"] = normal(h, std=0.1)
    for i in range(config["num_hidden_layers"]):
        prefix = f"model.decoder.layers.{i}."
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            w[f"{prefix}self_attn.{name}.weight"] = normal(h, h, std=0.25)
            w[f"{prefix}self_attn.{name}.bias"] = normal(h, std=0.1)
        w[f"{prefix}self_attn_layer_norm.weight"] = normal(h, std=0.1, mean=1.0)
        w[f"{prefix}self_attn_layer_norm.bias"] = normal(h, std=0.1)
        w[f"{prefix}fc1.weight"] = normal(f, h, std=0.25)
        w[f"{prefix}fc1.bias"] = normal(f, std=0.1)
        w[f"{prefix}fc2.weight"] = normal(h, f, std=0.2)
        w[f"{prefix}fc2.bias"] = normal(h, std=0.1)
        w[f"{prefix}final_layer_norm.weight"] = normal(h, std=0.1, mean=1.0)
        w[f"{prefix}final_layer_norm.bias"] = normal(h, std=0.1)
    return w


def write_safetensors(path, tensors):
    """The safetensors layout by hand: u64 little-endian header size, JSON header, raw little-endian data."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        data = tensors[name].contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # the format pads the header to 8 bytes with spaces
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def positions_from_mask(mask):
    # OPTLearnedPositionalEmbedding.forward without position_ids: padding gets -1, real tokens count from 0
    return (torch.cumsum(mask, dim=1) * mask - 1).long()


def attention_bias(mask, position_ids, length):
    """Additive [batch, 1, seq, seq] mask: causal, hiding padded keys, and confined to each packed sequence when
    position_ids restart at 0 (what transformers' masking utilities build for packed position_ids)."""
    batch = mask.shape[0]
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    allowed = causal.unsqueeze(0).expand(batch, length, length).clone()
    allowed &= mask.bool().unsqueeze(1)
    if position_ids is not None:
        sequence = torch.cumsum((position_ids == 0).long(), dim=1)
        allowed &= sequence.unsqueeze(2) == sequence.unsqueeze(1)
    bias = torch.zeros(batch, 1, length, length)
    bias.masked_fill_(~allowed.unsqueeze(1), torch.finfo(torch.float32).min)
    return bias


def opt_forward(config, w, input_ids, mask=None, position_ids=None):
    """OPTForCausalLM.forward in evaluation mode (no dropout), eager attention."""
    batch, length = input_ids.shape
    h = config["hidden_size"]
    heads = config["num_attention_heads"]
    head_dim = h // heads
    eps = 1e-5
    pre_ln = config["do_layer_norm_before"]
    if mask is None:
        mask = torch.ones(batch, length, dtype=torch.long)
    if position_ids is None:
        position_ids = positions_from_mask(mask)
        packed = None
    else:
        packed = position_ids

    x = F.embedding(input_ids, w["model.decoder.embed_tokens.weight"])
    if "model.decoder.project_in.weight" in w:
        x = F.linear(x, w["model.decoder.project_in.weight"])
    x = x + F.embedding(position_ids + 2, w["model.decoder.embed_positions.weight"])
    bias = attention_bias(mask, packed, length)

    def ln(t, name):
        return F.layer_norm(t, (h,), w[name + ".weight"], w[name + ".bias"], eps)

    for i in range(config["num_hidden_layers"]):
        p = f"model.decoder.layers.{i}."
        residual = x
        if pre_ln:
            x = ln(x, p + "self_attn_layer_norm")
        scaling = head_dim ** -0.5
        q = F.linear(x, w[p + "self_attn.q_proj.weight"], w[p + "self_attn.q_proj.bias"]) * scaling
        k = F.linear(x, w[p + "self_attn.k_proj.weight"], w[p + "self_attn.k_proj.bias"])
        v = F.linear(x, w[p + "self_attn.v_proj.weight"], w[p + "self_attn.v_proj.bias"])
        q, k, v = (t.view(batch, length, heads, head_dim).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) + bias
        probs = torch.softmax(scores, dim=-1)
        attended = (probs @ v).transpose(1, 2).reshape(batch, length, h)
        x = F.linear(attended, w[p + "self_attn.out_proj.weight"], w[p + "self_attn.out_proj.bias"])
        x = residual + x
        if not pre_ln:
            x = ln(x, p + "self_attn_layer_norm")
        residual = x
        if pre_ln:
            x = ln(x, p + "final_layer_norm")
        x = F.relu(F.linear(x, w[p + "fc1.weight"], w[p + "fc1.bias"]))
        x = F.linear(x, w[p + "fc2.weight"], w[p + "fc2.bias"])
        x = residual + x
        if not pre_ln:
            x = ln(x, p + "final_layer_norm")

    if "model.decoder.final_layer_norm.weight" in w:
        x = ln(x, "model.decoder.final_layer_norm")
    if "model.decoder.project_out.weight" in w:
        x = F.linear(x, w["model.decoder.project_out.weight"])
    return F.linear(x, w["model.decoder.embed_tokens.weight"])  # lm_head tied to embed_tokens


def cases():
    """Fixed inputs: a plain row, a left-padded batch with its attention mask, and a packed row with position_ids."""
    return [
        {"name": "single", "input_ids": [[2, 17, 33, 5, 60, 41, 9, 28]]},
        {
            "name": "left_padded",
            "input_ids": [[1, 1, 1, 2, 44, 12, 7, 51], [2, 30, 3, 19, 62, 8, 25, 14]],
            "attention_mask": [[0, 0, 0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1]],
        },
        {
            "name": "packed",
            "input_ids": [[2, 11, 48, 20, 37, 2, 56, 4, 2, 23]],
            "position_ids": [[0, 1, 2, 3, 4, 0, 1, 2, 0, 1]],
        },
    ]


def fmt(x):
    return format(float(x), ".9g")  # 9 significant digits round-trip a float32


def write_expected(folder, generator, reference_cases, forward):
    """expected.json: each case's inputs and the logits of forward(ids, mask, position_ids), as the C# tests read them."""
    parts = []
    for case in reference_cases:
        ids = torch.tensor(case["input_ids"])
        mask = torch.tensor(case["attention_mask"]) if "attention_mask" in case else None
        pos = torch.tensor(case["position_ids"]) if "position_ids" in case else None
        with torch.no_grad():
            logits = forward(ids, mask, pos)
        fields = [f'"name":"{case["name"]}"', f'"input_ids":{json.dumps(case["input_ids"])}']
        if mask is not None:
            fields.append(f'"attention_mask":{json.dumps(case["attention_mask"])}')
        if pos is not None:
            fields.append(f'"position_ids":{json.dumps(case["position_ids"])}')
        fields.append(f'"shape":{json.dumps(list(logits.shape))}')
        fields.append('"logits":[' + ",".join(fmt(v) for v in logits.flatten().tolist()) + "]")
        parts.append("{" + ",".join(fields) + "}")
    with open(os.path.join(folder, "expected.json"), "w") as f:
        f.write('{"generator":"benchmarks/peers/' + generator + '","torch":"' + torch.__version__ + '","cases":[\n')
        f.write(",\n".join(parts))
        f.write("\n]}\n")


def main():
    torch.set_num_threads(1)
    for index, (name, overrides) in enumerate(CONFIGS.items()):
        config = hf_config(overrides)
        weights = random_weights(config, seed=1234 + index)
        folder = os.path.join(OUT, f"opt-tiny-{name}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
            f.write("\n")
        write_safetensors(os.path.join(folder, "model.safetensors"), weights)

        write_expected(folder, "opt_reference.py", cases(), lambda ids, mask, pos: opt_forward(config, weights, ids, mask, pos))
        print(f"{folder}: {sum(t.numel() for t in weights.values())} parameters")


if __name__ == "__main__":
    main()
