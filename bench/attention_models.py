#!/usr/bin/env python3
"""Writes two small attention-only ONNX models that onyx's fuse-attention pass turns into one onyx.Attention node,
for checking the cuda target's AttentionLayer (fused kernel vs the cuBLASLt path, ONYX_CUDA_ATTENTION=cublaslt):

  attn_pad.onnx     q [B,12,S,64], kt [B,12,64,S], v [B,12,S,64], mask [B,1,1,S] inputs:
                    MatMul -> Div(8) -> Add(mask) -> Softmax -> MatMul        (BERT's form)
  attn_causal.onnx  q, kt, v inputs; a constant [S,S] mask (0 on/below the diagonal, -1e4 above):
                    MatMul -> Mul(0.125) -> Add(mask) -> Softmax -> MatMul    (GPT-2's form; the layer turns the
                    host-known mask into the causal flag)

usage: attention_models.py OUTDIR [--seq S]
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(name, seq, causal):
    f = TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("q", f, ["batch", 12, seq, 64]),
              helper.make_tensor_value_info("kt", f, ["batch", 12, 64, seq]),
              helper.make_tensor_value_info("v", f, ["batch", 12, seq, 64])]
    inits = []
    nodes = [helper.make_node("MatMul", ["q", "kt"], ["s"])]
    if causal:
        m = np.triu(np.full((seq, seq), -1e4, dtype=np.float32), k=1)
        inits += [numpy_helper.from_array(m, "mask"), numpy_helper.from_array(np.array(0.125, np.float32), "scale")]
        nodes.append(helper.make_node("Mul", ["s", "scale"], ["s2"]))
    else:
        inputs.append(helper.make_tensor_value_info("mask", f, ["batch", 1, 1, seq]))
        inits.append(numpy_helper.from_array(np.array(8.0, np.float32), "div"))
        nodes.append(helper.make_node("Div", ["s", "div"], ["s2"]))
    nodes += [helper.make_node("Add", ["s2", "mask"], ["s3"]),
              helper.make_node("Softmax", ["s3"], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v"], ["y"])]
    out = [helper.make_tensor_value_info("y", f, ["batch", 12, seq, 64])]
    g = helper.make_graph(nodes, name, inputs, out, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="onyx-bench")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seq", type=int, default=128)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, causal in (("attn_pad", False), ("attn_causal", True)):
        m = model(name, a.seq, causal)
        onnx.checker.check_model(m)
        path = os.path.join(a.out, name + ".onnx")
        onnx.save(m, path)
        print(path)


if __name__ == "__main__":
    main()
