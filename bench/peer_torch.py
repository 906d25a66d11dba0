#!/usr/bin/env python3
"""The GPU peer benchmark (run it on the H100 machine): onyx's CUDA backend against PyTorch eager and
torch.compile (default mode), same precision, batch and layout, plus ONNX Runtime CPU as a sanity row.

    python3 bench/peer_torch.py [--models resnet50,bert_encoder] [--batch 1] [--seq 128] [--dtype float16]
                                [--iterations 100] [--warmup 20] [--onyx build/onyx] [--onyx-backend cuda:fp16]
                                [--zoo /tmp/onyx-zoo] [--markdown gpu.md] [--json gpu.json]

PyTorch: the model of tests/models/generate.py (same constructor and seed as the ONNX export), .eval(),
converted to --dtype (fp16 by default), channels_last for the convnets; inputs live on the GPU. Each timed
iteration is bracketed by CUDA events (start/end recorded on the current stream; elapsed_time after a
synchronize), after --warmup iterations; torch.compile's compile time is reported apart (its first calls).
onyx: `onyx bench MODEL --backend cuda:fp16 --no-data-transfers` so that, like the PyTorch rows, the
inputs stay on the device; the GPU compute time (CUDA events) is compared when the backend reports it,
else the latency. ONNX Runtime: tools/ort/ort_run.js on the CPU with every core (a sanity row only).

`--device cpu` runs the PyTorch rows on the CPU with perf_counter timing (a smoke test of this script on a
machine without a GPU; the numbers mean nothing for the GPU comparison).
"""
import argparse
import datetime
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONVNETS = {"resnet50", "mobilenet_v3_large", "efficientnet_b0"}
TEXT = {"bert_encoder", "gpt2_decoder"}
DEFAULT_MODELS = "resnet50,mobilenet_v3_large,efficientnet_b0,vit_b_16,bert_encoder,gpt2_decoder"


def die(msg):
    sys.exit(f"peer_torch: error: {msg}")


def load_generate():
    spec = importlib.util.spec_from_file_location("onyx_generate", os.path.join(ROOT, "tests/models/generate.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make_inputs(torch, spec, batch, seq, device, dtype):
    out = []
    g = torch.Generator().manual_seed(1)
    for s in spec:
        shape = [batch if d == "batch" else seq if d == "seq" else d for d in s["shape"]]
        if s["dtype"] == "float32":
            t = torch.rand(*shape, generator=g).to(device=device, dtype=dtype)
        else:
            lo, hi = s["range"]
            t = torch.randint(lo, hi + 1, shape, generator=g, dtype=torch.int64).to(device)
            if s["name"] == "attention_mask":
                t = torch.ones_like(t)
        out.append(t)
    return out


def time_torch(torch, fn, inputs, warmup, iterations, device):
    """Per-iteration latency in ms: CUDA events on a GPU, perf_counter on the CPU."""
    with torch.inference_mode():
        for _ in range(warmup):
            fn(*inputs)
        times = []
        if device == "cuda":
            torch.cuda.synchronize()
            for _ in range(iterations):
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                fn(*inputs)
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
        else:
            for _ in range(iterations):
                t0 = time.perf_counter()
                fn(*inputs)
                times.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(times), "mean_ms": statistics.fmean(times), "min_ms": min(times)}


def onyx_row(a, path, shapes, tmp, name):
    out = os.path.join(tmp, f"{name}.onyx.json")
    cmd = [a.onyx, "bench", path, "--backend", a.onyx_backend, "--iterations", str(a.iterations),
           "--no-progress", "--json", out, "--save-inputs", os.path.join(tmp, f"{name}.npz")]
    if a.device == "cuda":
        cmd.append("--no-data-transfers")
    cmd += ["--input-shapes", *shapes]
    p = subprocess.run(cmd, capture_output=True, text=True)
    transfers = "--no-data-transfers" not in cmd
    if p.returncode == 3 and not transfers:  # the backend cannot keep data on the device: time with transfers
        cmd.remove("--no-data-transfers")
        transfers = True
        p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": ((p.stderr or p.stdout).strip().splitlines() or ["?"])[-1]}
    with open(out) as f:
        j = json.load(f)
    src = j.get("gpu_compute") or j["latency"]
    what = "gpu_compute" if j.get("gpu_compute") else "latency" + (" incl. H2D/D2H" if transfers and a.device == "cuda" else "")
    return {"median_ms": src["median_ms"], "mean_ms": src["mean_ms"], "min_ms": src["min_ms"],
            "what": what, "build_s": j["build_s"]}


def ort_row(a, path, tmp, name):
    inputs = os.path.join(tmp, f"{name}.npz")
    if not os.path.exists(inputs):
        return {"error": "no inputs (onyx bench did not run)"}
    out = os.path.join(tmp, f"{name}.ort.json")
    if shutil.which("node") is None or not os.path.isdir(os.path.join(ROOT, "tools/ort/node_modules")):
        return ort_python_row(a, path, inputs)
    p = subprocess.run(["node", os.path.join(ROOT, "tools/ort/ort_run.js"), "--model", path, "--inputs", inputs,
                        "--threads", str(os.cpu_count() or 1), "--warmup", "3",
                        "--iterations", str(min(a.iterations, 20)), "--json", out], capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": ((p.stderr or p.stdout).strip().splitlines() or ["?"])[-1]}
    with open(out) as f:
        return json.load(f)


def ort_python_row(a, path, inputs):
    """The same sanity row through the onnxruntime Python package (the GPU machine has it, not node)."""
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        return {"error": f"neither node + onnxruntime-node nor the onnxruntime Python package: {e}"}
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = os.cpu_count() or 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    with np.load(inputs) as z:
        feeds = {k: z[k] for k in z.files}
    for _ in range(3):
        sess.run(None, feeds)
    times = []
    for _ in range(min(a.iterations, 20)):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(times), "mean_ms": statistics.fmean(times), "min_ms": min(times),
            "what": f"onnxruntime {ort.__version__} Python, CPU"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=DEFAULT_MODELS)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq", type=int, default=128, help="sequence length of the text models")
    ap.add_argument("--dtype", default="float16", choices=["float16", "float32", "bfloat16"])
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--onyx", default=os.path.join(ROOT, "build/onyx"))
    ap.add_argument("--onyx-backend", default=None, help="default cuda:fp16 (cuda for float32)")
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    ap.add_argument("--no-ort", action="store_true", help="skip the ONNX Runtime CPU sanity row")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--zoo", default=os.path.join(tempfile.gettempdir(), "onyx-zoo"))
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.onyx_backend is None:
        a.onyx_backend = {"float16": "cuda:fp16", "float32": "cuda", "bfloat16": "cuda:bf16"}[a.dtype]
        if a.device == "cpu":
            a.onyx_backend = "cpu"
    import torch
    if a.device == "cuda" and not torch.cuda.is_available():
        die("no CUDA device visible to PyTorch (use --device cpu for a smoke test)")
    gen = load_generate()
    dtype = getattr(torch, a.dtype)
    card = torch.cuda.get_device_name(0) if a.device == "cuda" else platform.processor() or platform.machine()
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    os.makedirs(a.zoo, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="onyx-gpu-peer-") as tmp:
        for name in a.models.split(","):
            if name not in gen.MODELS:
                die(f"unknown model '{name}'")
            path, _ = next(iter(gen.export(name, [a.opset], a.zoo, False)))
            make, spec = gen.MODELS[name]
            seq = a.seq if name in TEXT else None
            shapes = []
            for s in spec:
                dims = [a.batch if d == "batch" else seq if d == "seq" else d for d in s["shape"]]
                shapes.append(f"{s['name']}:[{','.join(map(str, dims))}]")
            label = f"{name} b{a.batch}" + (f" s{seq}" if seq else "")
            print(f"[{label}]", flush=True)
            row = {"model": name, "label": label}
            torch.manual_seed(0)
            model = make().eval().to(a.device)
            if dtype != torch.float32:
                model = model.to(dtype)
            memory_format = torch.channels_last if name in CONVNETS else torch.contiguous_format
            model = model.to(memory_format=memory_format)
            inputs = make_inputs(torch, spec, a.batch, seq, a.device, dtype)
            if name in CONVNETS:
                inputs = [t.contiguous(memory_format=torch.channels_last) for t in inputs]
            row["eager"] = time_torch(torch, model, inputs, a.warmup, a.iterations, a.device)
            print(f"  eager: {row['eager']['median_ms']:.3f} ms", flush=True)
            if not a.no_compile:
                if not hasattr(torch, "compile"):
                    row["compile"] = {"error": f"torch {torch.__version__} has no torch.compile"}
                else:
                    compiled = torch.compile(model)
                    t0 = time.perf_counter()
                    with torch.inference_mode():
                        compiled(*inputs)
                        if a.device == "cuda":
                            torch.cuda.synchronize()
                    compile_s = time.perf_counter() - t0
                    row["compile"] = time_torch(torch, compiled, inputs, a.warmup, a.iterations, a.device)
                    row["compile"]["compile_s"] = compile_s
                    print(f"  torch.compile: {row['compile']['median_ms']:.3f} ms (compiled in {compile_s:.1f} s)",
                          flush=True)
            del model
            if a.device == "cuda":
                torch.cuda.empty_cache()
            row["onyx"] = onyx_row(a, path, shapes, tmp, name)
            print(f"  onyx {a.onyx_backend}: {row['onyx']}", flush=True)
            if not a.no_ort:
                row["ort_cpu"] = ort_row(a, path, tmp, name)
                print(f"  onnxruntime CPU: {row['ort_cpu']}", flush=True)
            rows.append(row)

    def cell(r, key):
        v = r.get(key)
        if not v:
            return "—"
        if "median_ms" not in v:
            return "n/a: " + v.get("error", "?")
        note = f" ({v['what']})" if v.get("what", "").startswith("latency") else ""
        return f"{v['median_ms']:.3f}{note}"

    def ratio(r, key):
        o, p = r.get("onyx") or {}, r.get(key) or {}
        if "median_ms" in o and "median_ms" in p:
            return f"{o['median_ms'] / p['median_ms']:.2f}x"
        return "—"
    header = (f"GPU peer suite — {card}, torch {torch.__version__}, {a.dtype}, batch {a.batch}, {started}; "
              f"median ms over {a.iterations} iterations after {a.warmup} warm-up "
              f"({'CUDA events' if a.device == 'cuda' else 'perf_counter: a CPU smoke test'})\n\n")
    lines = ["| model | onyx " + a.onyx_backend + " | PyTorch eager | torch.compile | onyx/eager | onyx/compile "
             "| ORT CPU (sanity) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['label']} | {cell(r, 'onyx')} | {cell(r, 'eager')} | {cell(r, 'compile')} | "
                     f"{ratio(r, 'eager')} | {ratio(r, 'compile')} | {cell(r, 'ort_cpu')} |")
    table = header + "\n".join(lines) + "\n"
    print()
    print(table)
    if a.markdown:
        with open(a.markdown, "w") as fh:
            fh.write(table)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"date": started, "card": card, "torch": torch.__version__, "dtype": a.dtype,
                       "batch": a.batch, "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
