#!/usr/bin/env bash
# The whole test suite on a fresh machine: install what is missing, build, run every test
# (the OpenCL tests run on PoCL's CPU device when no GPU is present).
set -euo pipefail
cd "$(dirname "$0")/../.."
# In CI the OpenCL device is required (DeviceRequirementTests fails without one).
if [ -n "${CI:-}" ]; then export DIFFNAS_REQUIRE_DEVICE=1; fi
# What is tested must not depend on a developer's shell: drop every DIFFNAS_* setting (kernel
# folder, conv algorithm, device, cache, tuning) except the CI device requirement.
for v in $(compgen -e | grep '^DIFFNAS_' || true); do
    [ "$v" = DIFFNAS_REQUIRE_DEVICE ] || unset "$v"
done
Tools/scripts/install-deps.sh
# ONNX Runtime for the ONNX parity test (Tests/ONNXTests), in a virtual environment in the build folder.
venv=.build/onnx-venv
if ! "$venv/bin/python3" -c "import onnx, onnxruntime, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check onnx==1.23.2 onnxruntime==1.32.0 numpy
fi
swift build --build-tests
swift test --skip-build "$@"
