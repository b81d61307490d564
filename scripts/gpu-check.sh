#!/usr/bin/env bash
# The one-command GPU check: builds nnseg against the machine's Python torch (CUDA LibTorch) with the Debian prefix
# in .gpu/ (scripts/build-cuda.sh fetch), runs the test programs that have CUDA tests, then the pipeline on five
# full-size synthetic cases: synth-brats, convert-brats, plan-and-preprocess (expects batch 2, patch 128^3), a
# short AMP training of fold 0 on cuda (seconds per iteration, peak GPU memory), and the predict timings.
#
#   OUT=DIR bash scripts/gpu-check.sh            # on the GPU machine; everything lands in $OUT (8 files at most)
#   GPU_CHECK_DRY=1 bash scripts/gpu-check.sh    # here, on the CPU: the same steps with an existing CPU build
#                                                # (GPU_CHECK_BUILD, default build/release), tiny settings, no CUDA
#
# Every step runs under `timeout` and within an overall budget (GPU_CHECK_BUDGET seconds, default 480); a failing
# step is recorded and the steps that do not depend on it still run. $OUT/summary.txt has one line per step
# (ok/FAIL/TIMEOUT/SKIP, seconds) and the measurements; the logs hold the details.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
DRY=${GPU_CHECK_DRY:-0}
OUT=${OUT:-$REPO/build/gpu-check-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUDGET=${GPU_CHECK_BUDGET:-480}
JOBS=${JOBS:-$(nproc)}
WORK=${GPU_CHECK_WORK:-/tmp/nnseg-gpu-check}
PREFIX=${GPU_CHECK_PREFIX:-/tmp/nnseg-gpu-prefix}
T0=$(date +%s)

PY=python3
if [ "$DRY" = 1 ]; then
  # Debian's LibTorch 1.13 (CPU) stands in for the Python torch package.
  python3 -c 'import torch' 2>/dev/null || PY=/usr/bin/python3
  export TORCH_PREFIX=${TORCH_PREFIX:-/usr/lib/x86_64-linux-gnu/cmake}
  BUILD=${GPU_CHECK_BUILD:-$REPO/build/release}
  DEVICE=cpu SYNTH_ARGS=(--spacing 3) EPOCHS=1 ITERS=2 VAL_ITERS=1
else
  BUILD=${GPU_CHECK_BUILD:-$REPO/build/cuda}
  DEVICE=cuda SYNTH_ARGS=() EPOCHS=${GPU_TRAIN_EPOCHS:-2} ITERS=${GPU_TRAIN_ITERS:-30} VAL_ITERS=${GPU_VAL_ITERS:-5}
fi
NNSEG=$BUILD/nnseg
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
for f in build.log tests.log pipeline.log train.log gpumem.csv predict.log; do : >"$OUT/$f"; done

say() { echo "$*" | tee -a "$SUMMARY"; }
left() { echo $((BUDGET - ($(date +%s) - T0))); }
# step NAME LIMIT LOG CMD...: runs CMD under timeout (LIMIT, cut to the budget left), appends its output to LOG,
# records "ok|FAIL rc|TIMEOUT|SKIP" and the seconds in the summary. Returns CMD's status.
step() {
  local name=$1 limit=$2 log=$3
  shift 3
  local l
  l=$(left)
  if [ "$l" -lt 10 ]; then
    say "$(printf '%-22s SKIP (budget spent)' "$name")"
    return 124
  fi
  [ "$limit" -gt "$l" ] && limit=$l
  echo "=== $name: $* (limit ${limit}s)" >>"$log"
  local s rc
  s=$(date +%s.%N)
  timeout -k 10 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  local dt
  dt=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  local status="ok"
  [ $rc -ne 0 ] && status="FAIL rc=$rc"
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && status="TIMEOUT after ${limit}s"
  say "$(printf '%-22s %-20s %7ss' "$name" "$status" "$dt")"
  echo "=== $name: $status in ${dt}s" >>"$log"
  return $rc
}

say "nnseg gpu-check $([ "$DRY" = 1 ] && echo "DRY RUN (CPU)" || echo GPU) $(date -u '+%F %T') UTC, budget ${BUDGET}s"
[ -d .git ] && say "git: $(git rev-parse --short HEAD 2>/dev/null) + $(git status --porcelain 2>/dev/null | wc -l) changed files"
{
  echo "host: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "compilers: $(c++ --version 2>/dev/null | head -1); cmake $(cmake --version 2>/dev/null | head -1 | awk '{print $3}')"
  echo "nvcc: $( (nvcc --version || /usr/local/cuda/bin/nvcc --version) 2>/dev/null | grep -o 'release [0-9.]*' | head -1)"
  echo "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)"
  $PY - <<'EOF' 2>&1 | sed 's/^/torch: /'
import torch
print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      "cxx11abi", torch.compiled_with_cxx11_abi(), "cmake", torch.utils.cmake_prefix_path)
EOF
} | tee -a "$SUMMARY"

# ---------------------------------------------------------------------------------------------------------------
# 1. Build (GPU) or configure-only rehearsal (dry): unpack .gpu, configure against torch, build only what we run.
build_ok=1
if [ "$DRY" = 1 ]; then
  if [ -f .gpu/prefix.tar.xz ]; then
    step unpack-prefix 60 "$OUT/build.log" bash scripts/build-cuda.sh unpack .gpu "$PREFIX"
    step configure-rehearsal 180 "$OUT/build.log" env NNSEG_CONFIGURE_CUDA=0 \
      bash scripts/build-cuda.sh configure "$PREFIX" "$REPO/build/cudaprep-dry"
  fi
  [ -x "$NNSEG" ] || { say "no $NNSEG: build it first (make build)"; build_ok=0; }
else
  step unpack-prefix 60 "$OUT/build.log" bash scripts/build-cuda.sh unpack .gpu "$PREFIX" || build_ok=0
  if [ $build_ok = 1 ]; then
    step configure 180 "$OUT/build.log" bash scripts/build-cuda.sh configure "$PREFIX" "$BUILD" || {
      build_ok=0
      grep -A8 "CMake Error" "$OUT/build.log" | head -n 40 | tee -a "$SUMMARY"
    }
  fi
  if [ $build_ok = 1 ]; then
    grep -E "ITK_DIR|Torch_DIR|CUDAToolkit_ROOT|CMAKE_CUDA_COMPILER:|CAIRO_INCLUDE_DIRS" "$BUILD/CMakeCache.txt" \
      >>"$OUT/build.log" 2>/dev/null
  fi
fi
# The prefix's libraries for the build's linker and for running nnseg and the tests (not for python3).
[ -d "$PREFIX" ] && eval "$(bash scripts/build-cuda.sh env "$PREFIX")"
# synth-brats' Colin27 anatomy (Debian mricron-data), at the path nnseg reads it from, as here.
colin=/usr/share/mricron/templates/ch2bet.nii.gz
if [ ! -f "$colin" ] && [ -f "$PREFIX$colin" ]; then
  mkdir -p "$(dirname "$colin")" 2>/dev/null && cp "$PREFIX$colin" "$colin" 2>/dev/null
fi
say "Colin27: $([ -f "$colin" ] && echo present || echo 'missing: synth-brats uses the procedural head')"

# Test programs with CUDA tests (they skip without a GPU), among the targets this build has.
cuda_tests=()
if [ -f "$BUILD/build.ninja" ]; then
  targets=$(sed -n 's/^build \([^ :]*\): phony .*/\1/p' "$BUILD/build.ninja")
  for f in $(grep -lE 'cuda::is_available|kCUDA|autocast' $(find src -name '*_test.cpp' | sort)); do
    t=$(basename "$f" .cpp)
    grep -qx "$t" <<<"$targets" && cuda_tests+=("$t")
  done
fi
say "CUDA test programs: ${cuda_tests[*]:-(none found)}"

if [ "$DRY" != 1 ] && [ $build_ok = 1 ]; then
  # nnseg first (everything else needs it), then the test programs, each as far as it compiles (-k 0).
  step build-nnseg 300 "$OUT/build.log" cmake --build "$BUILD" -j "$JOBS" --target nnseg || build_ok=0
  if [ $build_ok = 1 ]; then
    libs=$(ldd "$NNSEG" 2>&1)
    { echo "=== ldd nnseg (prefix libraries, torch, cuda)"; grep -E "$PREFIX|torch|c10|cuda|not found" <<<"$libs"; } \
      >>"$OUT/build.log"
    grep -q libtorch_cuda <<<"$libs" || say "WARNING: nnseg does not link libtorch_cuda: torch will see no GPU"
    grep "not found" <<<"$libs" | sed 's/^/WARNING: missing library /' | tee -a "$SUMMARY"
    [ ${#cuda_tests[@]} -gt 0 ] && [ "${GPU_CHECK_TESTS:-1}" = 1 ] &&
      step build-tests 200 "$OUT/build.log" cmake --build "$BUILD" -j "$JOBS" --target "${cuda_tests[@]}" -- -k 0
  fi
  if grep -q "FAILED: " "$OUT/build.log"; then
    say "compile/link failures (first lines; build.log has all):"
    grep -E "FAILED: |error:|undefined reference" "$OUT/build.log" | head -n 16 | tee -a "$SUMMARY"
  fi
fi

# ---------------------------------------------------------------------------------------------------------------
# 2. The CUDA test programs. Trainer tests other than the device ones train on the CPU: only those run.
if [ $build_ok = 1 ] && [ "${GPU_CHECK_TESTS:-1}" = 1 ]; then
  for t in "${cuda_tests[@]}"; do
    exe=$(find "$BUILD" -name "$t" -type f -perm -u+x | head -n 1)
    if [ -z "$exe" ]; then
      say "$(printf '%-22s SKIP (not built)' "test $t")"
      continue
    fi
    filter='*'
    [ "$t" = trainer_test ] && filter='TrainFlags.*:TrainCli.BadInputs*:TrainerTest.GradScaler*'
    : >"$OUT/.test.log"
    step "test $t" 60 "$OUT/.test.log" "$exe" --gtest_filter="$filter"
    cat "$OUT/.test.log" >>"$OUT/tests.log"
    # gtest's closing lines: "[  PASSED  ] 4 tests.", "[  SKIPPED ] 1 test, listed below:", "[  FAILED  ] ..."
    awk '/^\[  PASSED  \] [0-9]+ test/ { p = $4 } /^\[  SKIPPED \] [0-9]+ test/ { k = $4 }
         /^\[  FAILED  \] [0-9]+ test/ { f = $4 } /^\[  (SKIPPED|FAILED)  ?\] [A-Za-z]/ { if (!seen[$4]++) names = names " " $4 }
         END { printf "  %s: %d passed, %d skipped, %d failed%s\n", t, p, k, f, names }' t="$t" "$OUT/.test.log" |
      tee -a "$SUMMARY"
  done
  rm -f "$OUT/.test.log"
  if [ "$DRY" != 1 ] && grep -qE '^\[  SKIPPED \] .*Cuda' "$OUT/tests.log"; then
    say "WARNING: CUDA tests were skipped: torch::cuda::is_available() is false in the test programs"
  fi
fi

# ---------------------------------------------------------------------------------------------------------------
# 3. The pipeline on five synthetic cases, then a short training of fold 0.
export nnUNet_raw=$WORK/raw nnUNet_preprocessed=$WORK/preprocessed nnUNet_results=$WORK/results
unset nnUNet_raw_data_base RESULTS_FOLDER || true
pipeline_ok=$build_ok
if [ $build_ok = 1 ]; then
  rm -rf "$WORK"
  mkdir -p "$nnUNet_raw" "$nnUNet_preprocessed" "$nnUNet_results"
  step synth-brats 120 "$OUT/pipeline.log" "$NNSEG" synth-brats "$WORK/brats" --cases 5 --seed 0 \
    "${SYNTH_ARGS[@]}" -np "$JOBS" || pipeline_ok=0
  [ $pipeline_ok = 1 ] && { step convert-brats 60 "$OUT/pipeline.log" "$NNSEG" convert-brats "$WORK/brats" -d 82 \
    -np "$JOBS" || pipeline_ok=0; }
  [ $pipeline_ok = 1 ] && { step plan-and-preprocess 180 "$OUT/pipeline.log" "$NNSEG" plan-and-preprocess -d 82 \
    -c 3d_fullres -np "$JOBS" || pipeline_ok=0; }
fi
plans=$nnUNet_preprocessed/Dataset082_BraTS2020/nnUNetPlans.json
if [ -f "$plans" ]; then
  cp "$plans" "$OUT/plans.json"
  env -u LD_LIBRARY_PATH $PY - "$plans" "$DRY" <<'EOF' 2>&1 | tee -a "$SUMMARY"
import json, sys
c = json.load(open(sys.argv[1]))["configurations"]["3d_fullres"]
ok = c["batch_size"] == 2 and list(c["patch_size"]) == [128, 128, 128]
note = "as expected" if ok else ("(dry run: small images)" if sys.argv[2] == "1" else "EXPECTED batch 2, patch [128,128,128]")
print(f"plan 3d_fullres: batch {c['batch_size']}, patch {list(c['patch_size'])}, spacing {c.get('spacing')} {note}")
EOF
fi

train_ok=0
if [ $pipeline_ok = 1 ]; then
  poller=
  if command -v nvidia-smi >/dev/null && [ "$DRY" != 1 ]; then
    nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader,nounits -lms 200 >"$OUT/gpumem.csv" 2>&1 &
    poller=$!
  fi
  step train 240 "$OUT/train.log" "$NNSEG" train -d 82 -c 3d_fullres -f 0 --epochs "$EPOCHS" \
    --iterations-per-epoch "$ITERS" --val-iterations "$VAL_ITERS" --no-final-validation --device "$DEVICE" \
    -np "$JOBS" && train_ok=1
  [ -n "$poller" ] && kill "$poller" 2>/dev/null
  [ $train_ok = 1 ] || grep -E "error|Error|what\(\)|Aborted|Segmentation" "$OUT/train.log" | tail -n 4 | tee -a "$SUMMARY"
  fold=$nnUNet_results/Dataset082_BraTS2020/nnUNetTrainerV2__nnUNetPlans__3d_fullres/fold_0
  # Seconds per iteration: the progress lines ("epoch N train [...] 30/30 R it/s") and nnU-Net's epoch times
  # (training + validation iterations + checkpoint), read from the command's own output.
  grep -oE 'epoch [0-9]+ train.* [0-9]+/[0-9]+ [0-9.]+ it/s' "$OUT/train.log" | awk '
    { n = split($0, w, " "); rate = w[n - 1]; split(w[n - 2], d, "/");
      if (d[1] == d[2] && rate > 0) printf "train epoch %s: %d iterations at %s it/s = %.3f s/iteration\n", w[2], d[2], rate, 1 / rate }' |
    sort -u | tee -a "$SUMMARY"
  grep -oE 'This epoch took [0-9.]+ s' "$OUT/train.log" | awk -v it="$ITERS" -v v="$VAL_ITERS" \
    '{ printf "epoch %d took %.1f s (%d train + %d val iterations, checkpoint)\n", NR - 1, $4, it, v }' |
    tee -a "$SUMMARY"
  for f in "$fold"/training_log_*.txt; do
    [ -f "$f" ] && { echo "=== $f"; cat "$f"; } >>"$OUT/train.log"
  done
  ls -la "$fold" >>"$OUT/train.log" 2>&1
  if [ -s "$OUT/gpumem.csv" ]; then
    awk -F', *' '$2 ~ /^[0-9]+$/ { if ($2 > m) m = $2; n++ } END { printf "peak GPU memory used: %d MiB (%d samples every 200 ms)\n", m, n }' \
      "$OUT/gpumem.csv" | tee -a "$SUMMARY"
  fi
fi

# ---------------------------------------------------------------------------------------------------------------
# 4. >>> LEAD: predict timings go here. <<<
# predict_timings: called with the trained fold_0 (checkpoint_final.pth) of the 3d_fullres run above. Fill in the
# `nnseg predict` calls (e.g. the fold's validation case, with and without mirroring, --device cuda) and record each
# with `step NAME LIMIT "$OUT/predict.log" CMD...`, plus any numbers with `say`.
predict_timings() {
  # One full-size case (240x240x155, 4 channels; 18 tiles of 128^3) through `nnseg predict` on the GPU: with
  # mirroring (8 passes per tile, fp16 autocast) and without. The first run includes CUDA/cuDNN warm-up.
  local in=$WORK/predict_in case
  case=$(ls "$nnUNet_raw/Dataset082_BraTS2020/imagesTr" | head -n 1 | sed 's/_0000\.nii\.gz$//')
  mkdir -p "$in"
  ln -sf "$nnUNet_raw/Dataset082_BraTS2020/imagesTr/${case}"_000?.nii.gz "$in/"
  for run in warmup tta no-tta; do
    local flags=()
    [ "$run" = no-tta ] && flags=(--disable-tta)
    rm -rf "$WORK/pred_$run"
    step "predict $run" 90 "$OUT/predict.log" "$NNSEG" predict -i "$in" -o "$WORK/pred_$run" -d 82 -c 3d_fullres \
      -f 0 --device "$DEVICE" -np "$JOBS" "${flags[@]}"
  done
  grep -E "predicted .* in [0-9.]+ s" "$OUT/predict.log" | sed 's/^.*predicted/predicted/' | tee -a "$SUMMARY"
}
if [ $train_ok = 1 ]; then
  predict_timings
fi

say "total $(($(date +%s) - T0)) s; logs: $(cd "$OUT" && ls | tr '\n' ' ')"
