#!/usr/bin/env python3
"""Exports the real-model test suite with PyTorch's ONNX exporter (random weights, fixed seeds).

    python3 tests/models/generate.py --out build/models/zoo [--models resnet50,vit_b_16] [--opsets 13,17]

Writes <out>/<model>-op<opset>.onnx and <out>/<model>.json (inputs: name, dtype, shape with "batch"/"seq"
placeholders, value range). Existing files are kept unless --force. Uses Debian's python3-torch and
python3-torchvision; nothing is downloaded (weights are random, torch.manual_seed(0)).
"""
import argparse
import inspect
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---- text models (written out so the exporter sees plain ops, as HF-style models export) ---------------------

class SelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)

    def forward(self, x, additive_mask):
        b, s, h = x.shape
        q, k, v = self.qkv(x).split(h, dim=-1)
        shape = (b, s, self.heads, h // self.heads)
        q, k, v = (t.reshape(shape).transpose(1, 2) for t in (q, k, v))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(h // self.heads) + additive_mask
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.out(ctx.transpose(1, 2).reshape(b, s, h))


class EncoderLayer(nn.Module):  # post-LN, as BERT
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.attn = SelfAttention(hidden, heads)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
        self.ff1 = nn.Linear(hidden, ffn)
        self.ff2 = nn.Linear(ffn, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, mask):
        x = self.ln1(x + self.attn(x, mask))
        return self.ln2(x + self.ff2(F.gelu(self.ff1(x))))


class BertEncoder(nn.Module):
    """BERT-base sized: 12 layers, hidden 768, 12 heads, FFN 3072, vocab 30522, with a padding mask."""

    def __init__(self, layers=12, hidden=768, heads=12, ffn=3072, vocab=30522, max_pos=512):
        super().__init__()
        self.tok = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.typ = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(EncoderLayer(hidden, heads, ffn) for _ in range(layers))
        self.pool = nn.Linear(hidden, hidden)

    def forward(self, input_ids, attention_mask):
        s = input_ids.shape[1]
        pos = torch.arange(s, device=input_ids.device).unsqueeze(0)
        x = self.ln(self.tok(input_ids) + self.pos(pos) + self.typ(torch.zeros_like(input_ids)))
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, mask)
        return x, torch.tanh(self.pool(x[:, 0]))


class DecoderBlock(nn.Module):  # pre-LN, as GPT-2
    def __init__(self, hidden, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(hidden)
        self.attn = SelfAttention(hidden, heads)
        self.ln2 = nn.LayerNorm(hidden)
        self.fc = nn.Linear(hidden, 4 * hidden)
        self.proj = nn.Linear(4 * hidden, hidden)

    def forward(self, x, mask):
        x = x + self.attn(self.ln1(x), mask)
        return x + self.proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt2Decoder(nn.Module):
    """GPT-2 small sized: 12 layers, hidden 768, 12 heads, vocab 50257, learned positions, causal mask."""

    def __init__(self, layers=12, hidden=768, heads=12, vocab=50257, max_pos=1024):
        super().__init__()
        self.wte = nn.Embedding(vocab, hidden)
        self.wpe = nn.Embedding(max_pos, hidden)
        self.blocks = nn.ModuleList(DecoderBlock(hidden, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(hidden)
        causal = torch.tril(torch.ones(max_pos, max_pos, dtype=torch.bool))
        self.register_buffer("causal", causal, persistent=False)

    def forward(self, input_ids):
        s = input_ids.shape[1]
        pos = torch.arange(s, device=input_ids.device).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(pos)
        mask = torch.zeros(s, s, dtype=x.dtype, device=x.device).masked_fill(~self.causal[:s, :s], -1e4)
        for b in self.blocks:
            x = b(x, mask)
        return torch.matmul(self.ln_f(x), self.wte.weight.t())


class SeqModel(nn.Module):
    """Embedding → 2-layer bidirectional LSTM → GRU → Linear: the recurrent ops with dynamic batch and sequence."""

    def __init__(self, vocab=1000, emb=64, hidden=96, classes=10):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.gru = nn.GRU(2 * hidden, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, tokens):
        x, _ = self.lstm(self.emb(tokens))
        x, h = self.gru(x)
        return self.head(x), h


# ---- the suite ------------------------------------------------------------------------------------------------

def image(size=224):
    return [{"name": "image", "dtype": "float32", "shape": ["batch", 3, size, size], "range": [0.0, 1.0]}]


def tv(name, **kw):
    def make():
        import torchvision.models as m
        return getattr(m, name)(weights=None, **kw)
    return make


MODELS = {
    "resnet50": (tv("resnet50"), image()),
    "mobilenet_v2": (tv("mobilenet_v2"), image()),
    "mobilenet_v3_large": (tv("mobilenet_v3_large"), image()),
    "efficientnet_b0": (tv("efficientnet_b0"), image()),
    "densenet121": (tv("densenet121"), image()),
    "squeezenet1_1": (tv("squeezenet1_1"), image()),
    "googlenet": (tv("googlenet", aux_logits=False, init_weights=True), image()),
    "inception_v3": (tv("inception_v3", aux_logits=False, init_weights=True), image(299)),
    "shufflenet_v2_x1_0": (tv("shufflenet_v2_x1_0"), image()),
    "regnet_y_400mf": (tv("regnet_y_400mf"), image()),
    "convnext_tiny": (tv("convnext_tiny"), image()),
    "vit_b_16": (tv("vit_b_16"), image()),
    "swin_t": (tv("swin_t"), image()),
    "bert_encoder": (BertEncoder, [
        {"name": "input_ids", "dtype": "int64", "shape": ["batch", "seq"], "range": [0, 30521]},
        {"name": "attention_mask", "dtype": "int64", "shape": ["batch", "seq"], "range": [0, 1]}]),
    "gpt2_decoder": (Gpt2Decoder, [
        {"name": "input_ids", "dtype": "int64", "shape": ["batch", "seq"], "range": [0, 50256]}]),
    "lstm_gru": (SeqModel, [
        {"name": "tokens", "dtype": "int64", "shape": ["batch", "seq"], "range": [0, 999]}]),
}
OUTPUTS = {"bert_encoder": ["last_hidden_state", "pooled"], "gpt2_decoder": ["logits"], "lstm_gru": ["logits", "h_n"]}
# Sequence length used for the example input at export time (dynamic in the exported model).
EXAMPLE_SEQ = 16


def example_inputs(spec):
    out = []
    for s in spec:
        shape = [2 if d == "batch" else EXAMPLE_SEQ if d == "seq" else d for d in s["shape"]]
        if s["dtype"] == "float32":
            out.append(torch.rand(*shape))
        else:
            lo, hi = s["range"]
            out.append(torch.randint(lo, hi + 1, shape, dtype=torch.int64))
    return tuple(out)


def calibrate_batchnorm(model, spec):
    """Sets BatchNorm running statistics from a forward pass on random inputs (train mode, cumulative average).

    Randomly initialized convnets otherwise keep mean 0 / var 1 statistics, and activations grow layer after
    layer (Inception-v3 reaches logits of 1e12), which makes any fixed tolerance meaningless."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        model(*example_inputs(spec))
    model.eval()


def build(name):
    """The model with seeded random weights, BatchNorm calibrated, in eval mode."""
    make, spec = MODELS[name]
    torch.manual_seed(0)
    model = make().eval()
    # Some constructors zero-initialize layers (ViT's classifier head): outputs would be constant and the
    # comparison meaningless. Give every all-zero weight matrix random values.
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() >= 2 and not param.any():
                nn.init.normal_(param, std=0.02)
    calibrate_batchnorm(model, spec)
    return model


def export(name, opsets, out_dir, force):
    """Exports `name` at each opset (the model is built once); yields (path, seconds or 0.0 when kept)."""
    _, spec = MODELS[name]
    meta = os.path.join(out_dir, f"{name}.json")
    with open(meta + ".tmp", "w") as f:
        json.dump({"model": name, "inputs": spec}, f, indent=1)
    os.replace(meta + ".tmp", meta)
    model = None
    for opset in opsets:
        path = os.path.join(out_dir, f"{name}-op{opset}.onnx")
        if os.path.exists(path) and not force:
            yield path, 0.0
            continue
        if model is None:
            model = build(name)
        torch.manual_seed(0)
        inputs = example_inputs(spec)
        outputs = OUTPUTS.get(name, ["logits"])
        dynamic = {s["name"]: {i: d for i, d in enumerate(s["shape"]) if isinstance(d, str)} for s in spec}
        for o in outputs:
            dynamic[o] = {0: "batch"}
        t0 = time.time()
        tmp = path + ".tmp"
        # Grad stays enabled: under no_grad, nn.MultiheadAttention (ViT, Swin) takes a fused fast path
        # (aten::_native_multi_head_attention) that torch 1.13's exporter cannot export.
        # torch >= 2.9 defaults to the dynamo exporter; these tests use the TorchScript exporter everywhere
        # (Debian's torch 1.13 in CI, PyTorch 2.x on the GPU machine) so that both machines see the same kind of graph.
        extra = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
        torch.onnx.export(model, inputs, tmp, opset_version=opset, input_names=[s["name"] for s in spec],
                          output_names=outputs, dynamic_axes=dynamic, do_constant_folding=True, **extra)
        os.replace(tmp, path)
        yield path, time.time() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of: " + ", ".join(MODELS))
    p.add_argument("--opsets", default="13,17")
    p.add_argument("--force", action="store_true", help="re-export existing files")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in a.models.split(","):
        if name not in MODELS:
            sys.exit(f"generate.py: error: unknown model '{name}' (choose from {', '.join(MODELS)})")
        for path, secs in export(name, [int(o) for o in a.opsets.split(",")], a.out, a.force):
            print(f"{path}" + (f" (exported in {secs:.1f} s)" if secs else " (kept)"), flush=True)


if __name__ == "__main__":
    main()
