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
swift build --build-tests
swift test --skip-build "$@"
