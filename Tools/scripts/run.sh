#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build (release), and run the default
# DMS search — Fashion-MNIST, ResNet-20 family, 25% of the base model's MACs: search a supernet
# 1.25× wider and deeper (5-5-5 blocks), retrain the found architecture, train the uniformly
# scaled baseline and a random architecture of the same space at the same MACs with the same
# recipe and seed, and write report.md with pictures into runs/search-<time>/.
# Extra arguments are passed to `diffnas search` (e.g. --target 0.3, --preset paper, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
Tools/scripts/install-deps.sh
swift build -c release --product diffnas
exec .build/release/diffnas search "$@"
