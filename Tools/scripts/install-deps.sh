#!/usr/bin/env bash
# Installs the system packages DiffNAS needs, only those that are missing (Debian/Ubuntu).
#   ocl-icd-opencl-dev opencl-headers  the OpenCL ICD loader and headers we link against
#   pocl-opencl-icd                    an OpenCL CPU device, so a machine without a GPU runs everything
#   libclblast-dev                     CLBlast, the comparator of `diffnas bench`
#   dataset-fashion-mnist              the default real data set (/usr/share/datasets/fashion-mnist)
#   zlib1g-dev                         inflate for gzipped IDX files
set -euo pipefail
packages=(ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libclblast-dev dataset-fashion-mnist zlib1g-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "installing: ${missing[*]}" >&2
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
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
