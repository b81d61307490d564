#!/usr/bin/env bash
# GPU build: the same sources against the CUDA LibTorch inside a machine's Python torch package.
# The GPU machine has CUDA, CMake, Ninja and Python torch but no Debian packages and no network, so the Debian
# libraries nnseg needs (ITK, nlohmann-json, CLI11, GoogleTest, Cairo, zlib, ...) travel as .deb files:
#
#   here (Debian 12, network):   scripts/build-cuda.sh fetch debs/        # downloads the .deb closure
#   there (GPU, no network):     scripts/build-cuda.sh build debs/ build/cuda
#
# `build` unpacks the .debs with dpkg -x into debs/root (no installation), points CMake at them and at
# torch.utils.cmake_prefix_path, and builds with -DNNSEG_CUDA=ON. Run the binary with
# LD_LIBRARY_PATH=debs/root/usr/lib/x86_64-linux-gnu. Status: written without a GPU machine; see the README.
set -euo pipefail

# What we link or include directly; `fetch` adds their library dependencies recursively.
roots=(libinsighttoolkit5-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libcairo2-dev zlib1g-dev
       libzip-dev pkgconf)

case "${1:-}" in
  fetch)
    out=${2:?usage: build-cuda.sh fetch DIR}
    mkdir -p "$out" && cd "$out"
    # Every package the roots depend on (Depends only, recursively), minus what any Linux base image has.
    mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${roots[@]}" | grep -E '^[a-z0-9]' | sort -u |
      grep -v -E '^(libc6|libgcc-s1|libstdc\+\+6|libc-dev-bin|libc6-dev|linux-libc-dev|gcc-.*|cpp-.*|debconf.*|dpkg|perl.*)$')
    apt-get download "${closure[@]}" >/dev/null
    echo "fetched $(ls ./*.deb | wc -l) packages into $out"
    ;;
  build)
    debs=${2:?usage: build-cuda.sh build DEBS_DIR BUILD_DIR}
    build=${3:-build/cuda}
    root="$(cd "$debs" && pwd)/root"
    mkdir -p "$root"
    for d in "$debs"/*.deb; do dpkg -x "$d" "$root"; done
    torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
    export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
    export PKG_CONFIG_PATH="$root/usr/lib/x86_64-linux-gnu/pkgconfig:$root/usr/share/pkgconfig"
    export PKG_CONFIG_SYSROOT_DIR="$root"
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNNSEG_CUDA=ON \
      -DCMAKE_PREFIX_PATH="$torch_prefix;$root/usr;$root/usr/lib/x86_64-linux-gnu/cmake;$root/usr/lib/cmake" \
      -DCMAKE_INCLUDE_PATH="$root/usr/include" -DCMAKE_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu" \
      -DPKG_CONFIG_EXECUTABLE="$root/usr/bin/pkgconf"
    cmake --build "$build" -j "$(nproc)"
    echo "built $build/nnseg; run with LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu"
    ;;
  *)
    sed -n '2,12p' "$0"
    exit 2
    ;;
esac
