#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, and run the default job
# (`diffnas verify` on the default OpenCL device: every kernel against the CPU reference).
# Extra arguments are passed to diffnas verify.
set -euo pipefail
cd "$(dirname "$0")/../.."
Tools/scripts/install-deps.sh
swift build -c release --product diffnas
exec .build/release/diffnas verify "$@"
