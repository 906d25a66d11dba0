#!/usr/bin/env python3
"""The CPU peer benchmark: onyx against ONNX Runtime on the same models, data, batch and thread count.

    python3 bench/peer_suite.py [--backend cpu|ref] [--threads 2] [--models resnet50,bert_encoder]
                                [--iterations 20] [--warmup 3] [--zoo /tmp/onyx-zoo] [--markdown out.md]

For each model of the suite (exported by tests/models/generate.py into --zoo when missing) it runs, in the same
invocation and one after the other:
  * `onyx bench MODEL --backend B --threads T --iterations N` (warm-up first), saving the generated inputs;
  * ONNX Runtime (npm onnxruntime-node, tools/ort/ort_run.js) on those same inputs: intra-op threads T,
    inter-op 1, graph optimizations "all", --warmup W then --iterations N;
and prints median and mean latency of each and the ratio onyx/ORT (below 1: onyx is faster).
Before each model it waits until the 1-minute load average is below --max-load (other work would skew both),
and it records the load average in the table. Needs node and tools/ort/node_modules (bash scripts/setup.sh).
The GPU half (PyTorch eager and torch.compile) is bench/peer_torch.py.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name → (shape substitutions, label). "batch"/"seq" placeholders come from the zoo's <model>.json.
SUITE = {
    "resnet50": {"seq": None},
    "mobilenet_v3_large": {"seq": None},
    "efficientnet_b0": {"seq": None},
    "vit_b_16": {"seq": None},
    "bert_encoder": {"seq": 128},
    "gpt2_decoder": {"seq": 128},
}
DEFAULT_MODELS = "resnet50,mobilenet_v3_large,efficientnet_b0,vit_b_16,bert_encoder,gpt2_decoder"


def die(msg):
    sys.exit(f"peer_suite: error: {msg}")


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def wait_for_quiet(max_load, max_wait):
    start = time.time()
    while True:
        la = loadavg()
        if la <= max_load:
            return la
        if time.time() - start > max_wait:
            print(f"  [W] load average {la:.2f} still above {max_load} after {max_wait:.0f} s; measuring anyway",
                  flush=True)
            return la
        print(f"  waiting: load average {la:.2f} > {max_load}", flush=True)
        time.sleep(15)


def ensure_model(zoo, name, opset):
    path = os.path.join(zoo, f"{name}-op{opset}.onnx")
    meta = os.path.join(zoo, f"{name}.json")
    if not (os.path.exists(path) and os.path.exists(meta)):
        print(f"  exporting {name} (tests/models/generate.py)", flush=True)
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/models/generate.py"), "--out", zoo,
                        "--models", name, "--opsets", str(opset)], check=True)
    with open(meta) as f:
        return path, json.load(f)


def input_shapes(meta, batch, seq):
    out = []
    for s in meta["inputs"]:
        dims = []
        for d in s["shape"]:
            if d == "batch":
                dims.append(batch)
            elif d == "seq":
                if seq is None:
                    die(f"{meta['model']}: input {s['name']} has a sequence dimension; give a seq length")
                dims.append(seq)
            else:
                dims.append(int(d))
        out.append(f"{s['name']}:[{','.join(map(str, dims))}]")
    return out


def run(cmd, what):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
        return None, f"{what} failed (exit {p.returncode}): {' | '.join(tail)}"
    return p, None


def git_commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onyx", default=os.path.join(ROOT, "build/onyx"))
    ap.add_argument("--backend", default="cpu", help="onyx backend (default cpu; ref for the interpreter)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models", default=DEFAULT_MODELS, help="comma separated; NAME or NAME:SEQ (default seq 128)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3, help="warm-up inferences (ORT); onyx warms up 0.2 s, >= 1")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--zoo", default=os.path.join(tempfile.gettempdir(), "onyx-zoo"))
    ap.add_argument("--max-load", type=float, default=2.0, help="wait until the load average is below this")
    ap.add_argument("--max-wait", type=float, default=600, help="seconds to wait for a quiet machine")
    ap.add_argument("--markdown", help="also write the table (Markdown) to this file")
    ap.add_argument("--json", help="write every measurement to this JSON file")
    a = ap.parse_args()
    if a.threads < 1 or a.iterations < 1 or a.batch < 1:
        die("--threads, --iterations and --batch must be at least 1")
    if not os.access(a.onyx, os.X_OK):
        die(f"{a.onyx}: not built (bash scripts/build.sh)")
    ort_js = os.path.join(ROOT, "tools/ort/ort_run.js")
    if not os.path.isdir(os.path.join(ROOT, "tools/ort/node_modules")):
        die("tools/ort/node_modules is missing (bash scripts/setup.sh)")
    os.makedirs(a.zoo, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = git_commit()  # of the checkout when the run began
    rows = []
    with tempfile.TemporaryDirectory(prefix="onyx-peer-") as tmp:
        for item in a.models.split(","):
            name, _, seq_text = item.partition(":")
            if name not in SUITE:
                die(f"unknown model '{name}' (suite: {', '.join(SUITE)})")
            seq = int(seq_text) if seq_text else SUITE[name]["seq"]
            path, meta = ensure_model(a.zoo, name, a.opset)
            shapes = input_shapes(meta, a.batch, seq)
            label = f"{name} b{a.batch}" + (f" s{seq}" if seq else "")
            print(f"[{label}]", flush=True)
            la = wait_for_quiet(a.max_load, a.max_wait)
            inputs = os.path.join(tmp, f"{name}.npz")
            onyx_json = os.path.join(tmp, f"{name}.onyx.json")
            ort_json = os.path.join(tmp, f"{name}.ort.json")
            row = {"model": name, "label": label, "batch": a.batch, "seq": seq, "load_before": la}
            _, err = run([a.onyx, "bench", path, "--backend", a.backend, "--threads", str(a.threads),
                          "--iterations", str(a.iterations), "--no-progress", "--save-inputs", inputs,
                          "--json", onyx_json, "--input-shapes", *shapes], "onyx bench")
            if err:
                row["onyx_error"] = err
                print("  " + err, flush=True)
            else:
                with open(onyx_json) as f:
                    j = json.load(f)
                row.update(onyx_median_ms=j["latency"]["median_ms"], onyx_mean_ms=j["latency"]["mean_ms"],
                           onyx_p90_ms=j["latency"]["p90_ms"], onyx_cov=j["latency"]["cov"],
                           onyx_build_s=j["build_s"], onyx_peak_rss_mib=j["peak_rss_bytes"] / 2**20)
                print(f"  onyx {a.backend}: median {row['onyx_median_ms']:.2f} ms, mean {row['onyx_mean_ms']:.2f} ms",
                      flush=True)
                _, err = run(["node", ort_js, "--model", path, "--inputs", inputs, "--threads", str(a.threads),
                              "--warmup", str(a.warmup), "--iterations", str(a.iterations), "--json", ort_json],
                             "onnxruntime")
                if err:
                    row["ort_error"] = err
                    print("  " + err, flush=True)
                else:
                    with open(ort_json) as f:
                        o = json.load(f)
                    row.update(ort_median_ms=o["median_ms"], ort_mean_ms=o["mean_ms"])
                    row["ratio"] = row["onyx_median_ms"] / row["ort_median_ms"]
                    print(f"  onnxruntime: median {o['median_ms']:.2f} ms, mean {o['mean_ms']:.2f} ms; "
                          f"onyx/ORT {row['ratio']:.2f}x", flush=True)
            row["load_after"] = loadavg()
            rows.append(row)

    header = (f"CPU peer suite — {platform.node()} ({os.cpu_count()} cores), {started}, commit {commit}, "
              f"onyx backend `{a.backend}`, {a.threads} thread(s), {a.iterations} timed iterations\n\n")
    lines = ["| model | onyx median (ms) | onyx mean (ms) | ORT median (ms) | ORT mean (ms) | onyx/ORT (median) "
             "| load before/after |",
             "|---|---:|---:|---:|---:|---:|---:|"]

    def f(v):
        return f"{v:.2f}" if isinstance(v, float) else "—"
    for r in rows:
        if "onyx_error" in r or "ort_error" in r:
            lines.append(f"| {r['label']} | {r.get('onyx_error') or f(r.get('onyx_median_ms'))} | | "
                         f"{r.get('ort_error', '')} | | | {r['load_before']:.2f}/{r['load_after']:.2f} |")
            continue
        lines.append(f"| {r['label']} | {f(r['onyx_median_ms'])} | {f(r['onyx_mean_ms'])} | {f(r['ort_median_ms'])} "
                     f"| {f(r['ort_mean_ms'])} | {r['ratio']:.2f}x | {r['load_before']:.2f}/{r['load_after']:.2f} |")
    table = header + "\n".join(lines) + "\n"
    print()
    print(table)
    if a.markdown:
        with open(a.markdown, "w") as fh:
            fh.write(table)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"date": started, "commit": commit, "backend": a.backend, "threads": a.threads,
                       "iterations": a.iterations, "rows": rows}, fh, indent=1)
    return 1 if any("onyx_error" in r or "ort_error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
