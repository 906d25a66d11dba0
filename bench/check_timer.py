#!/usr/bin/env python3
"""Checks `onyx bench` against timers outside onyx (issue #10).

    python3 bench/check_timer.py --onyx build/onyx MODEL [--backend cpu] [--iterations 20] [-- EXTRA BENCH ARGS]

1. Phases vs /usr/bin/time: one `onyx bench --iterations N --json` under /usr/bin/time. The phases onyx reports
   (input setup + build + warm-up + timed wall) must fit inside the process's elapsed time and explain most of it
   (the rest is process start, library loading, CUDA initialization and exit). Inside the timed phase,
   inferences x mean latency must fit inside the timed wall time.
2. Per inference vs /usr/bin/time (differential): a second run with more iterations; the difference of the two
   elapsed times divided by the difference of the inference counts (warm-up included) is an external
   per-inference wall time, free of start-up and exit. It must agree within --tol with the same difference of
   onyx's reported phases (which, by check 1, are mostly the inferences' latencies).
3. cuda only: two runs under a profiler — Nsight Systems (`nsys profile --trace=cuda`) when installed, else
   Nsight Compute (`ncu --metrics gpu__time_duration.sum`, a few inferences: it replays each kernel) — the
   difference of the GPU kernel time sums divided by the difference of the inference counts (warm-up included)
   is the kernel time per inference, an independent GPU timer. It must not exceed onyx's mean GPU compute time (CUDA events around
   the work, which also count memcpys and gaps between kernels) and is reported as a share of it.

Prints one line per check (PASS/FAIL/SKIP; INFO for the peak memory, printed for comparison) and exits 1 when
any failed. Choose --iterations so that the timed phase dominates the ~0.2 s time-based warm-up. --json F writes every number.
"""
import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile


def run_bench(args, iterations, tmp, tag, prefix=()):
    out_json = os.path.join(tmp, f"{tag}.json")
    time_out = os.path.join(tmp, f"{tag}.time")
    cmd = list(prefix) + [args.onyx, "bench", args.model, "--backend", args.backend, "--iterations",
                          str(iterations), "--json", out_json, "--no-progress"] + args.extra
    full = ["/usr/bin/time", "-f", "%e %M", "-o", time_out] + cmd
    p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-4000:])
        raise SystemExit(f"check_timer: error: {' '.join(cmd)} exited {p.returncode}")
    with open(time_out) as f:
        elapsed, maxrss_kib = f.read().split()[-2:]
    with open(out_json) as f:
        r = json.load(f)
    r["_elapsed_s"] = float(elapsed)
    r["_maxrss_kib"] = int(maxrss_kib)
    r["_command"] = " ".join(cmd)
    r["_stdout"] = p.stdout
    return r


def nsys_kernel_ns(nsys, rep):
    """Sum of GPU kernel times (ns) and memcpy/memset times (ns) in an nsys report."""
    def report(name):
        p = subprocess.run([nsys, "stats", "--report", name, "--format", "csv", "--force-export", "true", rep],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        text = p.stdout
        # The CSV starts at the header line (nsys prints notes before it).
        start = text.find("Time (%)")
        if start < 0:
            return 0
        total = 0
        for row in csv.DictReader(io.StringIO(text[start:])):
            v = row.get("Total Time (ns)")
            if v:
                total += float(v)
        return total

    kern = report("cuda_gpu_kern_sum")
    mem = report("cuda_gpu_mem_time_sum")
    return kern, mem


def find_tool(name, given):
    if given == "off":
        return None
    if given != "auto":
        return given
    return shutil.which(name) or next(
        (p for p in (f"/usr/local/cuda/bin/{name}",) if os.path.exists(p)), None)


def ncu_kernel_ns(log):
    """Sum of gpu__time_duration.sum over the kernels of an ncu --csv log (ns)."""
    scale = {"nsecond": 1, "ns": 1, "usecond": 1e3, "us": 1e3, "msecond": 1e6, "ms": 1e6, "second": 1e9, "s": 1e9}
    with open(log) as f:
        lines = [l for l in f if l.startswith('"')]
    total = 0.0
    for row in csv.DictReader(io.StringIO("".join(lines))):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        total += float(row["Metric Value"].replace(",", "")) * scale.get(row.get("Metric Unit", "ns"), 1)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--onyx", default="build/onyx")
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--iterations", type=int, default=20, help="timed inferences of the first run")
    ap.add_argument("--factor", type=int, default=5, help="the second run has FACTOR x more iterations")
    ap.add_argument("--tol", type=float, default=0.10, help="relative tolerance of the per-inference check")
    ap.add_argument("--min-explained", type=float, default=0.75,
                    help="share of the elapsed time the reported phases must explain")
    ap.add_argument("--nsys", default="auto", help="nsys binary, 'auto' (PATH, /usr/local/cuda/bin) or 'off'")
    ap.add_argument("--ncu", default="auto", help="ncu binary (used when nsys is missing), 'auto' or 'off'")
    ap.add_argument("--ncu-iterations", type=int, default=2,
                    help="timed inferences of the first ncu run (the second has 3x; ncu replays every kernel)")
    ap.add_argument("--json", help="write every number here")
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:  # more `onyx bench` arguments
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    args = ap.parse_args(argv)
    args.extra = extra
    results = {"model": args.model, "backend": args.backend, "checks": []}
    failed = False

    def report(name, ok, text):
        nonlocal failed
        status = ok if isinstance(ok, str) else ("SKIP" if ok is None else ("PASS" if ok else "FAIL"))
        failed |= ok is False
        print(f"[{status}] {name}: {text}", flush=True)
        results["checks"].append({"check": name, "status": status, "detail": text})

    with tempfile.TemporaryDirectory() as tmp:
        n1, n2 = args.iterations, args.iterations * args.factor
        a = run_bench(args, n1, tmp, "a")
        b = run_bench(args, n2, tmp, "b")
        for tag, r in (("run1", a), ("run2", b)):
            results[tag] = {k: r[k] for k in ("setup_s", "build_s", "warmup_s", "warmup_inferences", "timed_s",
                                              "inferences", "load_average", "peak_rss_bytes")}
            results[tag].update(elapsed_s=r["_elapsed_s"], maxrss_kib=r["_maxrss_kib"], command=r["_command"],
                                latency_mean_ms=r["latency"]["mean_ms"] if r["latency"] else None,
                                gpu_compute_mean_ms=(r["gpu_compute"] or {}).get("mean_ms"))
        print(f"command: {a['_command']}  (and --iterations {n2})")
        print(f"load average before the runs: {a['load_average']:.2f}, {b['load_average']:.2f}; cores {a['cores']}")

        # 1. phases within the process's elapsed time
        for tag, r in (("run1", a), ("run2", b)):
            phases = r["setup_s"] + r["build_s"] + r["warmup_s"] + r["timed_s"]
            el = r["_elapsed_s"]
            share = phases / el if el > 0 else 0
            ok = phases <= el + 0.02 and share >= args.min_explained
            report(f"phases in /usr/bin/time ({tag}, {r['inferences']} timed)", ok,
                   f"setup {r['setup_s']:.3f} + build {r['build_s']:.3f} + warm-up {r['warmup_s']:.3f} + timed "
                   f"{r['timed_s']:.3f} = {phases:.3f} s of {el:.2f} s elapsed ({100 * share:.1f} %; the rest "
                   f"{el - phases:.3f} s is start, libraries, device init, exit; /usr/bin/time resolution 0.01 s)")
            inside = r["inferences"] * r["latency"]["mean_ms"] / 1e3
            ok = inside <= r["timed_s"] * 1.001 and inside >= 0.8 * r["timed_s"]
            report(f"latencies in the timed wall ({tag})", ok,
                   f"{r['inferences']} x mean latency {r['latency']['mean_ms']:.4f} ms = {inside:.4f} s of timed "
                   f"{r['timed_s']:.4f} s ({100 * inside / r['timed_s']:.1f} %)")
            if r["_maxrss_kib"] > 0:
                report(f"peak memory ({tag})", "INFO",
                       f"onyx {r['peak_rss_bytes'] / 1048576:.1f} MiB, /usr/bin/time {r['_maxrss_kib'] / 1024:.1f} MiB")

        # 2. differential per-inference wall time
        inf_a = a["inferences"] + a["warmup_inferences"]
        inf_b = b["inferences"] + b["warmup_inferences"]
        d_el = b["_elapsed_s"] - a["_elapsed_s"]
        d_inf = inf_b - inf_a
        external = d_el / d_inf if d_inf > 0 else float("nan")
        phases = lambda r: r["setup_s"] + r["build_s"] + r["warmup_s"] + r["timed_s"]
        onyx_per = (phases(b) - phases(a)) / d_inf if d_inf > 0 else float("nan")
        rel = external / onyx_per - 1 if onyx_per > 0 else float("nan")
        results["per_inference"] = {"external_ms": external * 1e3, "onyx_ms": onyx_per * 1e3,
                                    "relative_difference": rel}
        report("per-inference wall (differential /usr/bin/time)", abs(rel) <= args.tol,
               f"({b['_elapsed_s']:.2f} - {a['_elapsed_s']:.2f}) s / ({inf_b} - {inf_a}) inferences = "
               f"{external * 1e3:.4f} ms vs onyx's phases ({phases(b):.3f} - {phases(a):.3f}) s / {d_inf} = "
               f"{onyx_per * 1e3:.4f} ms ({100 * rel:+.1f} %, tolerance {100 * args.tol:.0f} %); onyx mean latency "
               f"{a['latency']['mean_ms']:.4f} / {b['latency']['mean_ms']:.4f} ms in the two runs")

        # 3. GPU kernel time from a profiler: Nsight Systems when installed, else Nsight Compute
        if args.backend.startswith("cuda") or (a.get("gpu_compute") or {}).get("count"):
            comp = (a["gpu_compute"]["mean_ms"] * a["inferences"] + b["gpu_compute"]["mean_ms"] * b["inferences"]) / (
                a["inferences"] + b["inferences"])
            nsys = find_tool("nsys", args.nsys)
            ncu = find_tool("ncu", args.ncu)
            results["profilers"] = {"nsys": nsys, "ncu": ncu}
            per = None
            if nsys:
                ks = []
                for tag, n in (("na", n1), ("nb", n2)):
                    rep = os.path.join(tmp, tag)
                    r = run_bench(args, n, tmp, tag, prefix=[nsys, "profile", "--trace=cuda", "--sample=none",
                                                             "--cpuctxsw=none", "--force-overwrite", "true",
                                                             "-o", rep])
                    kern, mem = nsys_kernel_ns(nsys, rep + ".nsys-rep")
                    ks.append((r["inferences"] + r["warmup_inferences"], kern))
                tool = "nsys"
            elif ncu:
                # Nsight Compute replays every kernel, so few inferences; its clocks and caches are left alone
                # (--clock-control none --cache-control none) so that kernels run as in the benchmark.
                ks = []
                for tag, n in (("ca", args.ncu_iterations), ("cb", 3 * args.ncu_iterations)):
                    log = os.path.join(tmp, tag + ".csv")
                    sub = argparse.Namespace(**vars(args))
                    sub.extra = args.extra + ["--warm-up", "0"]
                    try:
                        r = run_bench(sub, n, tmp, tag, prefix=[ncu, "--metrics", "gpu__time_duration.sum", "--csv",
                                                                "--clock-control", "none", "--cache-control",
                                                                "none", "--log-file", log])
                    except SystemExit as e:
                        ks = None
                        report("GPU kernel time (ncu)", None, f"ncu could not profile: {e}")
                        break
                    ks.append((r["inferences"] + r["warmup_inferences"], ncu_kernel_ns(log)))
                tool = "ncu"
            else:
                ks = None
                report("GPU kernel time (profiler)", None, "neither nsys nor ncu is installed: no independent "
                       "GPU timer; the differential wall-time check above bounds the latency instead")
            if ks and ks[0][1] == 0 and ks[1][1] == 0:
                ks = None
                report(f"GPU kernel time ({tool})", None, f"{tool} recorded no kernel times (no permission to the "
                       f"GPU performance counters?)")
            if ks:
                (ia, ka), (ib, kb) = ks
                per = (kb - ka) / (ib - ia) / 1e6 if ib > ia else float("nan")
                results["kernel_per_inference"] = {"tool": tool, "kernel_ms": per, "runs": ks,
                                                   "onyx_gpu_compute_mean_ms": comp}
                report(f"GPU kernel time ({tool}, differential)", 0 < per <= comp * (1 + args.tol),
                       f"({kb / 1e6:.3f} - {ka / 1e6:.3f}) ms of kernels / ({ib} - {ia}) inferences = {per:.4f} ms "
                       f"per inference vs onyx GPU compute mean {comp:.4f} ms: the kernels fill "
                       f"{100 * per / comp:.1f} % of it (the events also count copies and the gaps between kernels)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
