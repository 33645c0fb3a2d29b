#!/usr/bin/env python3
"""Turns `diffnas bench --json FILE` (and optionally the PyTorch step's JSON) into the README's
performance table: per case our rate, each comparator's, and our ratio over it; then the
ResNet-20 step against PyTorch and the DMS search step against the training step.

    python3 Tools/bench/table.py bench.json [--pytorch pytorch.json]
"""

import argparse
import json
import sys


def rate(x, unit):
    return "—" if x is None else (f"{x:.2f}" if x < 10 else f"{x:.1f}") + f" {unit}"


def ratio_text(comparator):
    """ "0.72× (0.65–0.80)": the median of the rounds' paired ratios and its interval, or the plain
    ratio from a JSON written before the paired ratios were recorded."""
    paired = comparator.get("paired_ratio")
    if paired:
        return f"{paired['median']:.2f}× ({paired['low']:.2f}–{paired['high']:.2f})"
    ratio = comparator.get("ratio")
    return "" if ratio is None else f"{ratio:.2f}×"


def coverage_line(report):
    """What the brackets mean, with the coverage of the first paired ratio (every case of one
    run has the same number of rounds)."""
    for case in report["cases"]:
        for comparator in case.get("comparators", []):
            paired = comparator.get("paired_ratio")
            if paired:
                rounds = len(paired["per_round"])
                return (
                    f"ours ÷ it: the median over {rounds} rounds of the two runs' throughput ratio in each round; in brackets "
                    f"the interval that holds that median with probability {100 * paired['coverage']:.1f}% (order statistics)"
                )
    return "ours ÷ it: our throughput over the comparator's, both at their median times"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench")
    parser.add_argument("--pytorch", help="the JSON of Tools/pytorch/resnet20_step.py")
    args = parser.parse_args()
    try:
        with open(args.bench) as f:
            report = json.load(f)
        pytorch = None
        if args.pytorch:
            with open(args.pytorch) as f:
                pytorch = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        sys.exit(f"error: cannot read the benchmark JSON: {error}")

    print(f"device: {report['device_description']}; commit {report['commit'][:7]}; {report['date']}")
    print(f"host CPU: {report.get('host_cpu', 'not recorded')}")
    print(f"host libraries: " + "; ".join(f"{k}: {v}" for k, v in sorted(report.get("host_libraries", {}).items())))
    print(coverage_line(report))
    print()
    print("| suite | case | shape | DiffNAS | comparator | its rate | ours ÷ it |")
    print("|---|---|---|---|---|---|---|")
    for case in report["cases"]:
        ours = case["ours"]
        first = True
        for comparator in case.get("comparators", []):
            status = comparator["status"]
            name = comparator["name"] if status == "ok" else f"{comparator['name']} ({status})"
            print(
                f"| {case['suite'] if first else ''} | {case['name'] if first else ''} | {case['shape'] if first else ''} "
                f"| {rate(ours.get('rate'), case['unit']) if first else ''} | {name} | {rate(comparator.get('rate'), case['unit'])} "
                f"| {ratio_text(comparator)} |"
            )
            first = False
    steps = {s["name"]: s for s in report.get("steps", []) if s["name"] in ("resnet20 SGD step", "DMS search step", "supernet SGD step")}
    print()
    print("| step | batch | DiffNAS images/s | comparator | its images/s | ours ÷ it |")
    print("|---|---|---|---|---|---|")
    train = steps.get("resnet20 SGD step")
    if train and train.get("images_per_second"):
        ours = train["images_per_second"]
        if pytorch:
            theirs = pytorch["images_per_second"]
            label = f"PyTorch {pytorch['torch']} ({pytorch['threads']} threads, {pytorch['memory_format']})"
            print(f"| resnet20 SGD step | {train['batch']} | {ours:.1f} | {label} | {theirs:.1f} | {ours / theirs:.2f}× |")
        else:
            print(f"| resnet20 SGD step | {train['batch']} | {ours:.1f} | PyTorch (not measured) | — | — |")
    search, plain = steps.get("DMS search step"), steps.get("supernet SGD step")
    if search and search.get("images_per_second") and plain and plain.get("images_per_second"):
        print(
            f"| DMS search step | {search['batch']} | {search['images_per_second']:.1f} | the same supernet's SGD step "
            f"| {plain['images_per_second']:.1f} | {search['images_per_second'] / plain['images_per_second']:.2f}× |"
        )
    for step in report.get("steps", []):
        if step["name"] not in steps and step.get("images_per_second"):
            label = f"{step['name']} ({step['detail'].split(',')[0]})"
            print(f"| {label} | {step['batch']} | {step['images_per_second']:.1f} | — | — | — |")


if __name__ == "__main__":
    main()
