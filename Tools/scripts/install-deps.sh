#!/usr/bin/env bash
# Installs the system packages DiffNAS needs, only those that are missing (Debian/Ubuntu).
#   ocl-icd-opencl-dev opencl-headers  the OpenCL ICD loader and headers we link against
#   pocl-opencl-icd                    an OpenCL CPU device, so a machine without a GPU runs everything
#   libclblast-dev                     CLBlast, the comparator of `diffnas bench`
#   dataset-fashion-mnist              the default real data set (/usr/share/datasets/fashion-mnist)
#   zlib1g-dev                         inflate for gzipped IDX files
#   libopenblas-dev libdnnl-dev        OpenBLAS and oneDNN, the native CPU comparators of `diffnas bench`
#                                      (loaded at run time; without them the bench reports them missing)
# The data set is optional for the tests: where the distribution lacks it, a warning is printed and
# the tests that need it say why they are skipped; the default `diffnas search` then asks for --data.
set -euo pipefail
packages=(ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libclblast-dev zlib1g-dev)
optional=(dataset-fashion-mnist libopenblas-dev libdnnl-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
missing_optional=()
for p in "${optional[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing_optional+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && [ ${#missing_optional[@]} -eq 0 ]; then
    exit 0
fi
echo "installing: ${missing[*]} ${missing_optional[*]}" >&2
if ! command -v apt-get >/dev/null; then
    echo "error: apt-get not found; install these packages with your package manager: ${missing[*]}" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
        echo "error: not root and no sudo; run as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for p in "${missing_optional[@]}"; do
    if ! $sudo apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1; then
        case "$p" in
        dataset-*) echo "warning: $p is not available here; the tests that need it are skipped (and say so), and diffnas needs --data" >&2 ;;
        *) echo "warning: $p is not available here; diffnas bench reports its comparator as missing" >&2 ;;
        esac
    fi
done
