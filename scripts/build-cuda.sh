#!/usr/bin/env bash
# GPU build: the same sources against the CUDA LibTorch inside a machine's Python torch package.
# The GPU machine has CUDA, CMake, Ninja, g++ and Python torch but no Debian packages and no network, so the Debian 12
# libraries nnseg needs (ITK 5.2, nlohmann-json, CLI11, GoogleTest, Cairo, libzip, zlib, pkgconf; Colin27 for
# synth-brats) travel as one relocatable prefix, DIR/prefix.tar.xz (~14 MiB), made from a fixed list of .debs:
#
#   here (Debian 12, network):  scripts/build-cuda.sh fetch [DIR]         # DIR defaults to .gpu (git-ignored)
#   there (GPU, no network):    scripts/build-cuda.sh build [DIR] [BUILD] [TARGET...]
#     or step by step:          scripts/build-cuda.sh unpack DIR ROOT; eval "$(scripts/build-cuda.sh env ROOT)"
#                               scripts/build-cuda.sh configure ROOT BUILD [CMAKE_ARG...]
#
# `fetch` unpacks the .debs with dpkg -x, drops docs, man pages and static libraries (except GoogleTest's), and
# makes the prefix relocatable: ITK's CMake files name /usr/lib/x86_64-linux-gnu/libz.so etc. by absolute path
# (rewritten relative to the prefix), and ITK's DICOM/HDF5/MINC modules call find_package(DCMTK/GDCM/HDF5/LIBMINC)
# for libraries nnseg never links (those calls are removed; all ITK libraries and ITK's test driver stay, so the
# file checks in ITKTargets.cmake pass). cairo.pc, libzip.pc and zlib.pc are replaced by relocatable ones without
# Requires.private (no glib or X11 .pc files are shipped). `unpack` deletes the shipped copies of libraries that
# nnseg does not link directly when the machine has that soname already (ldconfig -p). `env` prints the exports a
# run needs (LD_LIBRARY_PATH, FONTCONFIG_FILE, PKG_CONFIG_LIBDIR). `configure` also loads
# cmake/cuda_torch_compat.cmake (CUDA 13 has no libnvToolsExt, which torch's CMake files still name).
set -euo pipefail

# Debian packages in the prefix: what we include or link, and the runtime libraries those link to beyond
# libc/libm/libstdc++/libgcc_s (checked with ldd on libcairo.so.2, libzip.so.4 and the ITK libraries).
packages=(libinsighttoolkit5-dev libinsighttoolkit5.2 nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev
          libcairo2-dev libcairo2 libpixman-1-0 libfontconfig1 libfreetype6 libpng16-16 libx11-6 libxau6 libxdmcp6
          libxext6 libxrender1 libxcb1 libxcb-render0 libxcb-shm0 libbrotli1 libbsd0 libmd0 libexpat1
          zlib1g zlib1g-dev libzip-dev libzip4 libbz2-1.0 libssl3 pkgconf-bin libpkgconf3 fonts-dejavu-core
          mricron-data)
# Libraries our binaries link directly (kept even when the machine has the same soname).
direct_re='^(libITK|libitk|libcairo\.so|libzip\.so|libz\.so|libpkgconf\.so)'
arch=x86_64-linux-gnu

usage() { sed -n '2,10p' "$0"; exit 2; }

# pack STAGE OUT: STAGE holds the unpacked .debs; writes OUT/prefix.tar.xz and OUT/MANIFEST.
pack() {
  local s=$1 out=$2
  # Merged /usr: libraries some packages still put under /lib.
  if [ -d "$s/lib/$arch" ]; then
    mkdir -p "$s/usr/lib/$arch"
    cp -a "$s/lib/$arch/." "$s/usr/lib/$arch/"
    rm -rf "$s/lib"
  fi
  rm -rf "$s/etc" "$s/usr/share/doc" "$s/usr/share/doc-base" "$s/usr/share/man" "$s/usr/share/lintian" \
    "$s/usr/share/bug" "$s/usr/src" "$s/usr/lib/$arch/libcairo-script-interpreter"* \
    "$s/usr/lib/$arch/libcairo-gobject"* "$s/usr/lib/$arch/engines-3" "$s/usr/lib/$arch/ossl-modules" \
    "$s/usr/lib/$arch/libssl.so"* "$s/usr/lib/$arch/libbrotlienc.so"* "$s/usr/lib/$arch/libexpatw.so"*
  find "$s" -name '*.a' ! -name 'libgtest*.a' ! -name 'libgmock*.a' -delete
  # Of mricron-data only Colin27 (synth-brats' anatomy; gpu-check.sh copies it to /usr/share/mricron/templates).
  find "$s/usr/share/mricron" -type f ! -name ch2bet.nii.gz -delete
  rm -rf "$s/usr/share/applications" "$s/usr/share/pixmaps" "$s/usr/share/icons"
  # Only the two DejaVu Sans faces (progress.png draws text in "DejaVu Sans").
  find "$s/usr/share/fonts" -name '*.ttf' ! -name 'DejaVuSans.ttf' ! -name 'DejaVuSans-Bold.ttf' -delete
  # Absolute symlinks (zlib1g-dev's libz.so -> /lib/...) made relative inside the prefix; then dangling -dev
  # symlinks (their runtime package is not shipped) removed.
  local l t
  while IFS= read -r l; do
    t=$(readlink "$l")
    [[ $t == /* ]] || continue
    if [ -e "$s/usr${t#/usr}" ]; then ln -sfr "$s/usr${t#/usr}" "$l"; else rm -f "$l"; fi
  done < <(find "$s" -type l)
  find "$s" -xtype l -delete

  # ITK's CMake package: no DCMTK/GDCM/HDF5/MINC lookups, and no absolute /usr/lib/<arch> paths.
  local itk=$s/usr/lib/cmake/ITK-5.2
  for m in DCMTK GDCM HDF5 MINC; do
    sed -i -E 's/^(set\([A-Z_]+_DIR .*\)|find_package\(.*\))$/# removed for the relocatable GPU prefix: &/' \
      "$itk/Modules/ITK$m.cmake"
  done
  sed -i "s|\"/usr/lib/$arch/|\"\${_IMPORT_PREFIX}/lib/$arch/|g" "$itk/ITKTargets.cmake"
  sed -i "s|/usr/lib/$arch/lib|\${ITK_INSTALL_PREFIX}/lib/$arch/lib|g" "$itk"/Modules/*.cmake
  if grep -rn "find_package(\(DCMTK\|GDCM\|HDF5\|LIBMINC\)" "$itk/Modules" | grep -v '^[^:]*:[0-9]*:#'; then
    echo "build-cuda.sh: ITK module patch failed" >&2
    exit 1
  fi

  # Relocatable pkg-config files (pcfiledir = <prefix>/usr/lib/<arch>/pkgconfig).
  local pc=$s/usr/lib/$arch/pkgconfig
  find "$pc" -name 'cairo-*.pc' -delete
  local head="prefix=\${pcfiledir}/../../..
libdir=\${prefix}/lib/$arch
includedir=\${prefix}/include"
  printf '%s\n\nName: cairo\nDescription: Cairo (nnseg GPU prefix)\nVersion: %s\nLibs: -L${libdir} -lcairo\nCflags: -I${includedir}/cairo\n' \
    "$head" "$(sed -n 's/^Version: //p' "$pc/cairo.pc")" >"$pc/cairo.pc.new"
  printf '%s\n\nName: libzip\nDescription: libzip (nnseg GPU prefix)\nVersion: %s\nLibs: -L${libdir} -lzip\nCflags: -I${includedir}\n' \
    "$head" "$(sed -n 's/^Version: //p' "$pc/libzip.pc")" >"$pc/libzip.pc.new"
  printf '%s\n\nName: zlib\nDescription: zlib (nnseg GPU prefix)\nVersion: %s\nLibs: -L${libdir} -lz\nCflags: -I${includedir}\n' \
    "$head" "$(sed -n 's/^Version: //p' "$pc/zlib.pc")" >"$pc/zlib.pc.new"
  for f in cairo libzip zlib; do mv "$pc/$f.pc.new" "$pc/$f.pc"; done

  # fontconfig: our own config pointing at the shipped fonts (FONTCONFIG_FILE, see `env`).
  mkdir -p "$s/usr/etc/fonts"
  cat >"$s/usr/etc/fonts/fonts.conf" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir prefix="relative">../../share/fonts</dir>
  <cachedir>/tmp/nnseg-fontconfig-cache</cachedir>
</fontconfig>
EOF
  mkdir -p "$out"
  tar -C "$s" -cf - usr | xz -T0 -6 >"$out/prefix.tar.xz.tmp"
  mv "$out/prefix.tar.xz.tmp" "$out/prefix.tar.xz"
}

# drop_present ROOT: delete shipped libraries nnseg does not link directly whose soname the machine has.
drop_present() {
  local lib=$1/usr/lib/$arch dropped=()
  command -v ldconfig >/dev/null || return 0
  local have
  have=$(ldconfig -p 2>/dev/null | awk '/=>/{print $1}' | sort -u)
  for f in "$lib"/*.so.*; do
    [ -e "$f" ] || continue
    local soname
    soname=$(basename "$f")
    [[ $soname =~ $direct_re ]] && continue
    # Only sonames proper (libfoo.so.N), not libfoo.so.N.M.K files.
    if grep -qxF "$soname" <<<"$have"; then
      local real
      real=$(readlink -f "$f")
      rm -f "$f" "$real"
      dropped+=("$soname")
    fi
  done
  find "$lib" -maxdepth 1 -xtype l -delete
  echo "build-cuda.sh: using the machine's own ${dropped[*]:-(none)}"
}

case "${1:-}" in
  fetch | pack)
    out=${2:-.gpu}
    debs=${GPU_DEBS:-$(mktemp -d)}
    mkdir -p "$debs"
    (cd "$debs" && apt-get download "${packages[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    for p in "${packages[@]}"; do
      ls "$debs/${p}_"*.deb >/dev/null 2>&1 || { echo "build-cuda.sh: $p was not downloaded" >&2; exit 1; }
    done
    stage=$(mktemp -d)
    for d in "$debs"/*.deb; do dpkg -x "$d" "$stage"; done
    pack "$stage" "$out"
    rm -rf "$stage"
    {
      echo "# nnseg GPU prefix: Debian 12 packages (scripts/build-cuda.sh fetch), $(date -u +%F)"
      for d in "$debs"/*.deb; do dpkg-deb -W --showformat='${Package} ${Version}\n' "$d"; done
      echo "prefix.tar.xz $(stat -c %s "$out/prefix.tar.xz") bytes sha256 $(sha256sum "$out/prefix.tar.xz" | cut -c1-64)"
    } >"$out/MANIFEST"
    [ -n "${GPU_DEBS:-}" ] || rm -rf "$debs"
    echo "wrote $out/prefix.tar.xz ($(du -h "$out/prefix.tar.xz" | cut -f1)) from ${#packages[@]} packages"
    ;;
  unpack)
    dir=${2:?usage: build-cuda.sh unpack DIR ROOT}
    root=${3:?usage: build-cuda.sh unpack DIR ROOT}
    rm -rf "$root"
    mkdir -p "$root"
    if command -v xz >/dev/null; then
      tar -C "$root" -xJf "$dir/prefix.tar.xz"
    else
      python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$dir/prefix.tar.xz" "$root"
    fi
    drop_present "$root"
    ;;
  env)
    root=$(cd "${2:?usage: build-cuda.sh env ROOT}" && pwd)
    echo "export LD_LIBRARY_PATH=$root/usr/lib/$arch:$root/usr/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
    echo "export FONTCONFIG_FILE=$root/usr/etc/fonts/fonts.conf"
    echo "export PKG_CONFIG_LIBDIR=$root/usr/lib/$arch/pkgconfig:$root/usr/share/pkgconfig"
    # The Python torch 2.11 wheel's libtorch.so exports std::filesystem symbols of its own; loaded before
    # libstdc++, they interpose and std::filesystem::remove_all(path, error_code&) jumps to address 0 (seen on the
    # H100: every TempDir destructor crashed). Preloading the system libstdc++ restores the normal binding.
    stdcxx=$(${CXX:-c++} -print-file-name=libstdc++.so.6 2>/dev/null)
    [ -f "$stdcxx" ] && echo "export LD_PRELOAD=$stdcxx\${LD_PRELOAD:+:\$LD_PRELOAD}"
    ;;
  configure)
    root=$(cd "${2:?usage: build-cuda.sh configure ROOT BUILD [CMAKE_ARG...]}" && pwd)
    build=${3:?usage: build-cuda.sh configure ROOT BUILD [CMAKE_ARG...]}
    shift 3
    eval "$("$0" env "$root")"
    torch_prefix=${TORCH_PREFIX:-$(${PYTHON:-python3} -c 'import torch; print(torch.utils.cmake_prefix_path)')}
    cuda_args=()
    if [ "${NNSEG_CONFIGURE_CUDA:-1}" = 1 ]; then
      # The CUDA toolkit: $CUDA_HOME, else /usr/local/cuda, else the one holding the nvcc on the PATH.
      cuda_root=${CUDA_HOME:-/usr/local/cuda}
      if [ ! -x "$cuda_root/bin/nvcc" ] && command -v nvcc >/dev/null; then
        cuda_root=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")
      fi
      export PATH="$cuda_root/bin:$PATH" TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
      cuda_args=(-DNNSEG_CUDA=ON -DCUDAToolkit_ROOT="$cuda_root" -DCUDA_TOOLKIT_ROOT_DIR="$cuda_root"
                 -DCMAKE_CUDA_COMPILER="$cuda_root/bin/nvcc" -DCMAKE_CUDA_ARCHITECTURES=90
                 -DCMAKE_CUDA_FLAGS=-allow-unsupported-compiler)
      [ -d "$cuda_root/include/nvtx3" ] && cuda_args+=(-Dnvtx3_dir="$cuda_root/include")
    fi
    # Torch 2.12+ headers stop with "#error C++20 or later compatible compiler is required" under C++17.
    torch_inc=$(cd "$torch_prefix/../.." 2>/dev/null && pwd)/include
    if grep -rqs "C++20 or later" "$torch_inc/c10/macros" "$torch_inc/c10/util/C++17.h" "$torch_inc/ATen/ATen.h" \
      "$torch_inc/torch/csrc/api/include/torch/all.h"; then
      echo "build-cuda.sh: torch's headers require C++20: compiling as C++20"
      cuda_args+=(-DNNSEG_TORCH_NEEDS_CXX20=ON)
    fi
    # GCC 13+ no longer includes <cstdint>/<limits> transitively; ITK 5.2's headers rely on it.
    cmake -S "$(dirname "$0")/.." -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNNSEG_WERROR=OFF \
      -DCMAKE_CXX_FLAGS="-include cstdint -include limits" \
      -DCMAKE_PREFIX_PATH="$torch_prefix;$root/usr;$root/usr/lib/$arch/cmake;$root/usr/lib/cmake" \
      -DPKG_CONFIG_EXECUTABLE="$root/usr/bin/pkgconf" \
      -DCMAKE_PROJECT_INCLUDE="$(cd "$(dirname "$0")/.." && pwd)/cmake/cuda_torch_compat.cmake" \
      -DITK_DIR="$root/usr/lib/cmake/ITK-5.2" -DGTest_DIR="$root/usr/lib/$arch/cmake/GTest" \
      -Dnlohmann_json_DIR="$root/usr/share/cmake/nlohmann_json" -DCLI11_DIR="$root/usr/share/cmake/CLI11" \
      -DZLIB_ROOT="$root/usr" -DZLIB_INCLUDE_DIR="$root/usr/include" \
      -DZLIB_LIBRARY="$root/usr/lib/$arch/libz.so" \
      "${cuda_args[@]}" "$@"
    ;;
  build)
    dir=${2:-.gpu}
    build=${3:-build/cuda}
    shift $(($# < 3 ? $# : 3))
    "$0" unpack "$dir" "$dir/root"
    "$0" configure "$dir/root" "$build"
    cmake --build "$build" -j "$(nproc)" ${1:+--target "$@"}
    echo "built $build; run with: eval \"\$(scripts/build-cuda.sh env $dir/root)\""
    ;;
  *) usage ;;
esac
