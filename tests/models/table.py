#!/usr/bin/env python3
"""Summarizes check_model.py --results files (JSON lines) as the Markdown tables of tests/models/README.md.

    python3 tests/models/table.py build/zoo/results.jsonl [--detail]

The summary has one row per model: opsets, batch sizes (and sequence lengths), backends, tolerance, status
(every case PASS, or the counts), the largest errors over all cases, and onyx's own run time per backend (mean
over the batch-1 cases of the fastest run of each case). --detail prints one row per model, opset, batch, backend and output instead.
"""
import argparse
import json
from collections import OrderedDict


def fmt(x):
    return "-" if x is None else f"{x:.2g}"


def tol(x):
    m, e = f"{x:.0e}".split("e")
    return f"{m}e{int(e)}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", nargs="+")
    p.add_argument("--detail", action="store_true")
    a = p.parse_args()
    recs = OrderedDict()
    for path in a.results:
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    # the last result for a case wins (files may hold reruns); its time is the fastest seen, as
                    # shared machines make single timings noisy
                    key = (r["model"], r["opset"], r["batch"], r["seq"], r["backend"], r["output"])
                    if key in recs and recs[key]["ms"] is not None and r["ms"] is not None:
                        r["ms"] = min(r["ms"], recs[key]["ms"])
                    recs[key] = r
    if a.detail:
        print("| model | opset | batch | seq | backend | output | status | max abs | max rel | onyx ms |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in sorted(recs.values(), key=lambda r: (r["model"], r["opset"], r["batch"], r["backend"])):
            print(f"| {r['model']} | {r['opset']} | {r['batch']} | {r['seq'] or '-'} | {r['backend']} | {r['output']} "
                  f"| {r['status']} | {fmt(r['max_abs'])} | {fmt(r['max_rel'])} | "
                  f"{'-' if r['ms'] is None else round(r['ms'])} |")
        return
    models = OrderedDict()
    for r in recs.values():
        models.setdefault(r["model"], []).append(r)
    print("| model | opsets | batch (seq) | backends | rtol / atol | status | max abs err | ref ms (b1) "
          "| cpu ms (b1) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, rs in models.items():
        opsets = ", ".join(str(o) for o in sorted({r["opset"] for r in rs}))
        bs = sorted({(r["batch"], r["seq"]) for r in rs})
        batches = ", ".join(f"{b} ({s})" if s else str(b) for b, s in bs)
        backends = ", ".join(sorted({r["backend"] for r in rs}, key=["ref", "cpu"].index))
        tols = ", ".join(sorted({f"{tol(r['rtol'])} / {tol(r['atol'])}" for r in rs}))
        counts = OrderedDict()
        for r in rs:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        status = "pass" if set(counts) == {"PASS"} else ", ".join(f"{v} {k}" for k, v in counts.items())
        errs = [r["max_abs"] for r in rs if r["max_abs"] is not None]

        def ms(backend):
            t = [r["ms"] for r in rs if r["backend"] == backend and r["batch"] == 1 and r["ms"] is not None]
            return "-" if not t else str(round(sum(t) / len(t)))
        print(f"| {name} | {opsets} | {batches} | {backends} | {tols} | {status} | {fmt(max(errs) if errs else None)} "
              f"| {ms('ref')} | {ms('cpu')} |")


if __name__ == "__main__":
    main()
