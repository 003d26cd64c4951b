#!/usr/bin/python3
"""Reference forward passes of tiny random Qwen3, Gemma-3 (text) and Llama-3 (rope_scaling "llama3") models, written in
plain PyTorch after the semantics of Hugging Face's modeling_qwen3.py, modeling_gemma3.py, modeling_llama.py and
modeling_rope_utils.py (eager attention, evaluation mode).

Parley's C# Llama-family decoder (src/Runtime/Parley.Training/Models/Llama*.cs) is checked against the files this
script writes, because CI has no Python. For each family it writes into
tests/Parley.Runtime.Tests/Training/Data/<family>-tiny/

    config.json         a Hugging Face config (model_type "qwen3", "gemma3_text" or "llama")
    model.safetensors   the random weights under HF key names
    expected.json       inputs (ids, attention mask, position_ids) and the logits this forward gives for them

Run with Debian's interpreter and python3-torch (transformers is not needed):

    apt-get install python3-torch
    /usr/bin/python3 benchmarks/peers/llama_family_reference.py

What each family exercises:
  qwen3   q_norm/k_norm (RMSNorm over each head, before RoPE), an explicit head_dim != hidden/heads, GQA, tied head
  gemma3  RMSNorm with (1 + weight), embedding x sqrt(hidden), GeGLU with tanh-approximated GELU, sliding-window and
          global layers (layer_types), the local RoPE base for sliding layers and linear rope_scaling for global ones,
          post-attention / pre- and post-feed-forward norms, query scaling by query_pre_attn_scalar ** -0.5
  llama3  rope_scaling {"rope_type": "llama3"} with original_max_position_embeddings small enough that the high-,
          medium- and low-frequency branches all occur at head_dim 16, an untied lm_head
"""

import json
import math
import os

import torch
import torch.nn.functional as F

from opt_reference import attention_bias, write_expected, write_safetensors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "Parley.Runtime.Tests", "Training", "Data")

FAMILIES = {
    "qwen3": {
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "vocab_size": 64,
        "hidden_size": 32,
        "intermediate_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 12,
        "hidden_act": "silu",
        "max_position_embeddings": 128,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0,
        "rope_scaling": None,
        "attention_bias": False,
        "use_sliding_window": False,
        "sliding_window": None,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
    },
    "gemma3": {
        "architectures": ["Gemma3ForCausalLM"],
        "model_type": "gemma3_text",
        "vocab_size": 64,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "hidden_activation": "gelu_pytorch_tanh",
        "max_position_embeddings": 128,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0,
        "rope_local_base_freq": 10000.0,
        "rope_scaling": {"rope_type": "linear", "factor": 8.0},
        "query_pre_attn_scalar": 24,
        "sliding_window": 4,
        "sliding_window_pattern": 3,
        "layer_types": ["sliding_attention", "sliding_attention", "full_attention"],
        "attention_bias": False,
        "final_logit_softcapping": None,
        "attn_logit_softcapping": None,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
    },
    "llama3": {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": 64,
        "hidden_size": 32,
        "intermediate_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 16,
        "hidden_act": "silu",
        "max_position_embeddings": 512,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 64},
        "attention_bias": False,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
    },
}


def random_weights(config, seed):
    """HF key names -> float32 tensors, larger than HF's N(0, 0.02) so every path moves the logits visibly."""
    g = torch.Generator().manual_seed(seed)

    def normal(*shape, std=0.2, mean=0.0):
        return (torch.randn(*shape, generator=g) * std + mean).float()

    gemma = config["model_type"] == "gemma3_text"
    norm_mean = 0.0 if gemma else 1.0  # Gemma's RMSNorm scales by (1 + weight)
    h, f, d = config["hidden_size"], config["intermediate_size"], config["head_dim"]
    heads, kv = config["num_attention_heads"], config["num_key_value_heads"]
    w = {"model.embed_tokens.weight": normal(config["vocab_size"], h, std=0.1 if gemma else 0.5)}
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "self_attn.q_proj.weight"] = normal(heads * d, h, std=0.25)
        w[p + "self_attn.k_proj.weight"] = normal(kv * d, h, std=0.25)
        w[p + "self_attn.v_proj.weight"] = normal(kv * d, h, std=0.25)
        w[p + "self_attn.o_proj.weight"] = normal(h, heads * d, std=0.2)
        if config["model_type"] in ("qwen3", "gemma3_text"):
            w[p + "self_attn.q_norm.weight"] = normal(d, std=0.1, mean=norm_mean)
            w[p + "self_attn.k_norm.weight"] = normal(d, std=0.1, mean=norm_mean)
        w[p + "mlp.gate_proj.weight"] = normal(f, h, std=0.25)
        w[p + "mlp.up_proj.weight"] = normal(f, h, std=0.25)
        w[p + "mlp.down_proj.weight"] = normal(h, f, std=0.2)
        w[p + "input_layernorm.weight"] = normal(h, std=0.1, mean=norm_mean)
        w[p + "post_attention_layernorm.weight"] = normal(h, std=0.1, mean=norm_mean)
        if gemma:
            w[p + "pre_feedforward_layernorm.weight"] = normal(h, std=0.1, mean=norm_mean)
            w[p + "post_feedforward_layernorm.weight"] = normal(h, std=0.1, mean=norm_mean)
    w["model.norm.weight"] = normal(h, std=0.1, mean=norm_mean)
    if not config["tie_word_embeddings"]:
        w["lm_head.weight"] = normal(config["vocab_size"], h, std=0.3)
    return w


def inv_freq(dim, base, scaling):
    """modeling_rope_utils: the default inverse frequencies, then the "linear" or "llama3" adjustment."""
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    kind = (scaling or {}).get("rope_type", (scaling or {}).get("type", "default"))
    if kind == "default":
        return freqs
    if kind == "linear":
        return freqs / scaling["factor"]
    if kind == "llama3":
        factor = scaling["factor"]
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / freqs
        scaled = torch.where(wavelen > low_wavelen, freqs / factor, freqs)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        return torch.where(medium, smoothed, scaled)
    raise ValueError(kind)


def rope(position_ids, freqs):
    angles = position_ids.float().unsqueeze(-1) * freqs  # [b, s, d/2]
    emb = torch.cat((angles, angles), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rms_norm(x, weight, eps, plus_one):
    normed = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return normed * (1.0 + weight) if plus_one else weight * normed


def forward(config, w, input_ids, mask=None, position_ids=None):
    batch, length = input_ids.shape
    kind = config["model_type"]
    gemma = kind == "gemma3_text"
    qk_norm = kind in ("qwen3", "gemma3_text")
    h, d = config["hidden_size"], config["head_dim"]
    heads, kv = config["num_attention_heads"], config["num_key_value_heads"]
    eps = config["rms_norm_eps"]
    if mask is None:
        mask = torch.ones(batch, length, dtype=torch.long)
    packed = position_ids
    if position_ids is None:
        position_ids = torch.arange(length).unsqueeze(0).expand(batch, length)  # HF's default: cache_position

    x = F.embedding(input_ids, w["model.embed_tokens.weight"])
    if gemma:
        x = x * torch.tensor(h ** 0.5, dtype=torch.float32)  # Gemma3TextScaledWordEmbedding

    global_cos, global_sin = rope(position_ids, inv_freq(d, config["rope_theta"], config.get("rope_scaling")))
    if gemma:
        local_cos, local_sin = rope(position_ids, inv_freq(d, config["rope_local_base_freq"], None))
    full_bias = attention_bias(mask, packed, length)
    if gemma:
        window = config["sliding_window"]
        index = torch.arange(length)
        outside = (index.unsqueeze(1) - index.unsqueeze(0)) >= window  # key too far behind the query
        sliding_bias = full_bias.masked_fill(outside, torch.finfo(torch.float32).min)

    scaling = config["query_pre_attn_scalar"] ** -0.5 if gemma else d ** -0.5

    def norm(t, name):
        return rms_norm(t, w[name], eps, gemma)

    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        sliding = gemma and config["layer_types"][i] == "sliding_attention"
        cos, sin = (local_cos, local_sin) if sliding else (global_cos, global_sin)
        bias = sliding_bias if sliding else full_bias

        residual = x
        y = norm(x, p + "input_layernorm.weight")
        q = F.linear(y, w[p + "self_attn.q_proj.weight"]).view(batch, length, heads, d)
        k = F.linear(y, w[p + "self_attn.k_proj.weight"]).view(batch, length, kv, d)
        v = F.linear(y, w[p + "self_attn.v_proj.weight"]).view(batch, length, kv, d)
        if qk_norm:
            q = norm(q, p + "self_attn.q_norm.weight")
            k = norm(k, p + "self_attn.k_norm.weight")
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        c, s = cos.unsqueeze(1), sin.unsqueeze(1)
        q = q * c + rotate_half(q) * s
        k = k * c + rotate_half(k) * s
        k = k.repeat_interleave(heads // kv, dim=1)
        v = v.repeat_interleave(heads // kv, dim=1)
        scores = torch.matmul(q, k.transpose(2, 3)) * scaling + bias
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32)
        attended = torch.matmul(probs, v).transpose(1, 2).reshape(batch, length, heads * d)
        y = F.linear(attended, w[p + "self_attn.o_proj.weight"])
        if gemma:
            y = norm(y, p + "post_attention_layernorm.weight")
            x = residual + y
            residual = x
            y = norm(x, p + "pre_feedforward_layernorm.weight")
        else:
            x = residual + y
            residual = x
            y = norm(x, p + "post_attention_layernorm.weight")
        gate = F.linear(y, w[p + "mlp.gate_proj.weight"])
        act = F.gelu(gate, approximate="tanh") if gemma else F.silu(gate)
        y = F.linear(act * F.linear(y, w[p + "mlp.up_proj.weight"]), w[p + "mlp.down_proj.weight"])
        if gemma:
            y = norm(y, p + "post_feedforward_layernorm.weight")
        x = residual + y

    x = norm(x, "model.norm.weight")
    head = w["model.embed_tokens.weight"] if config["tie_word_embeddings"] else w["lm_head.weight"]
    return F.linear(x, head)


def cases():
    """A plain row, a left-padded batch with its attention mask, and a packed row with position_ids; the rows are longer
    than Gemma's sliding window (4) so the window matters."""
    return [
        {"name": "single", "input_ids": [[2, 17, 33, 5, 60, 41, 9, 28, 13, 50]]},
        {
            "name": "left_padded",
            "input_ids": [[0, 0, 0, 2, 44, 12, 7, 51, 36, 3], [2, 30, 3, 19, 62, 8, 25, 14, 57, 6]],
            "attention_mask": [[0, 0, 0, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]],
        },
        {
            "name": "packed",
            "input_ids": [[2, 11, 48, 20, 37, 21, 2, 56, 4, 2, 23, 45, 8]],
            "position_ids": [[0, 1, 2, 3, 4, 5, 0, 1, 2, 0, 1, 2, 3]],
        },
    ]


def main():
    torch.set_num_threads(1)
    for index, (name, family) in enumerate(FAMILIES.items()):
        config = dict(family)
        weights = random_weights(config, seed=4321 + index)
        folder = os.path.join(OUT, f"{name}-tiny")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
            f.write("\n")
        write_safetensors(os.path.join(folder, "model.safetensors"), weights)

        write_expected(folder, "llama_family_reference.py", cases(), lambda ids, mask, pos: forward(config, weights, ids, mask, pos))
        print(f"{folder}: {sum(t.numel() for t in weights.values())} parameters")


if __name__ == "__main__":
    main()
