#!/usr/bin/env bash
# The one list of system packages nnseg needs (Debian 12). Idempotent; quiet when everything is installed.
# Usage: scripts/install-deps.sh   (as root, or with sudo available)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang-format time  # time: peak RSS in make bench
  libtorch-dev                 # LibTorch 1.13 (CPU): network, training, inference
  libinsighttoolkit5-dev       # ITK 5.2: NIfTI I/O, connected components, distance maps
  nlohmann-json3-dev           # JSON artifacts
  libcli11-dev                 # command line
  libgtest-dev libgmock-dev    # tests
  libbenchmark-dev             # make bench
  libcairo2-dev                # progress.png, previews, overlays
  zlib1g-dev libzip-dev        # .nii.gz checks, .npz
  mricron-data                 # Colin27 brain (ch2bet.nii.gz) for synthetic BraTS anatomy
  libopenblas0-openmp          # fast BLAS for LibTorch CPU (the reference libblas3 is ~2x slower on transposed convs)
  python3-numpy python3-nibabel python3-scipy python3-torch  # independent reference checks in tests (skipped if absent)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
