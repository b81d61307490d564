#!/usr/bin/env bash
# make bench: seconds and peak RSS (/usr/bin/time -v) of extract-fingerprint and preprocess (3d_fullres) on
# full-size (240x240x155, 4-channel) BraTS-like cases, with -np 1 on one case and -np 1 / -np 2 on several.
# Builds nothing. Usage: scripts/bench.sh BUILD_DIR   (BENCH_CASES=N sets the multi-case count, default 4;
# BENCH_DIR=DIR keeps the data there instead of a temporary folder)
set -euo pipefail
BUILD=${1:?usage: scripts/bench.sh BUILD_DIR}
NNSEG=$(cd "$BUILD" && pwd)/nnseg
CASES=${BENCH_CASES:-4}
[ -x "$NNSEG" ] || { echo "bench: $NNSEG not found; build first (make build)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time not found (Debian package 'time')" >&2; exit 2; }

if [ -n "${BENCH_DIR:-}" ]; then
  WORK=$BENCH_DIR
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/nnseg-bench-XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
fi
export nnUNet_raw="$WORK/raw" nnUNet_preprocessed="$WORK/preprocessed"
unset nnUNet_raw_data_base || true
mkdir -p "$nnUNet_raw" "$nnUNet_preprocessed"

# Full-size synthetic cases: nnseg synth-brats when this binary has it, else NumPy + nibabel.
SRC="$WORK/brats"
if [ ! -d "$SRC" ]; then
  if "$NNSEG" synth-brats --help >/dev/null 2>&1; then
    "$NNSEG" synth-brats "$SRC" --cases "$CASES" --seed 0 -np 2 >/dev/null 2>&1
  else
    /usr/bin/python3 - "$SRC" "$CASES" <<'EOF'
import os, sys
import numpy as np, nibabel as nib
out, cases = sys.argv[1], int(sys.argv[2])
rng = np.random.RandomState(0)
x, y, z = np.meshgrid(np.arange(240), np.arange(240), np.arange(155), indexing='ij')
for k in range(1, cases + 1):
    name = 'BraTS20_Training_%03d' % k
    os.makedirs(os.path.join(out, name), exist_ok=True)
    r = np.sqrt(((x - 120) / 70.0) ** 2 + ((y - 120) / 85.0) ** 2 + ((z - 77) / 65.0) ** 2)
    brain = r < 1
    t = np.sqrt((x - 100 - 3 * k) ** 2 + (y - 110) ** 2 + (z - 80) ** 2)
    seg = np.where(t < 8, 4, np.where(t < 14, 1, np.where(t < 25, 2, 0))) * brain
    affine = np.diag([-1.0, -1.0, 1.0, 1.0])
    for m, base in zip(('t1', 't1ce', 't2', 'flair'), (300, 350, 500, 400)):
        img = (brain * (base + 40 * rng.standard_normal(brain.shape) + 80 * (seg > 0))).astype(np.int16)
        nib.save(nib.Nifti1Image(img, affine), os.path.join(out, name, '%s_%s.nii.gz' % (name, m)))
    nib.save(nib.Nifti1Image(seg.astype(np.uint8), affine), os.path.join(out, name, '%s_seg.nii.gz' % name))
EOF
  fi
fi
# Dataset 901: the first case alone; dataset 902: all of them.
if [ ! -d "$WORK/brats1" ]; then
  mkdir -p "$WORK/brats1"
  first=$(ls "$SRC" | sort | head -n 1)
  ln -s "$SRC/$first" "$WORK/brats1/$first"
fi
"$NNSEG" convert-brats "$WORK/brats1" -d 901 --name Bench1 --overwrite >/dev/null 2>&1
"$NNSEG" convert-brats "$SRC" -d 902 --name Bench"$CASES" --overwrite >/dev/null 2>&1

ROWS=()
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# measure LABEL CASES NP -- command...: runs it under /usr/bin/time -v and records seconds and peak RSS.
measure() {
  local label=$1 cases=$2 np=$3
  shift 4
  local log="$WORK/time.log"
  if ! /usr/bin/time -v "$@" >"$WORK/out.log" 2>"$log"; then
    echo "bench: failed: $*" >&2
    tail -n 30 "$WORK/out.log" "$log" >&2
    exit 1
  fi
  local wall rss cpu
  cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s += $2} END {print s}' "$log")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
    awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  ROWS+=("$(printf '%-26s %5s %4s %9.2f %9.2f %11.0f' "$label" "$cases" "$np" "$wall" "$cpu" "$((rss / 1024))")")
}

measure "extract-fingerprint" 1 1 -- "$NNSEG" extract-fingerprint -d 901 --np 1 --overwrite
"$NNSEG" plan -d 901 >/dev/null 2>&1
measure "preprocess 3d_fullres" 1 1 -- "$NNSEG" preprocess -d 901 -c 3d_fullres --np 1 --overwrite
for np in 1 2; do
  measure "extract-fingerprint" "$CASES" "$np" -- "$NNSEG" extract-fingerprint -d 902 --np "$np" --overwrite
done
"$NNSEG" plan -d 902 >/dev/null 2>&1
for np in 1 2; do
  measure "preprocess 3d_fullres" "$CASES" "$np" -- "$NNSEG" preprocess -d 902 -c 3d_fullres --np "$np" --overwrite
done

echo "nnseg bench: full-size cases (240x240x155, 4 channels), $(nproc) cores, $(uname -m), load average at start $LOAD_START"
printf '%-26s %5s %4s %9s %9s %11s\n' "step" "cases" "np" "seconds" "cpu s" "peak RSS MB"
for row in "${ROWS[@]}"; do echo "$row"; done

# Prediction (issue 5): one full-size case through `nnseg predict` (preprocessing in memory, sliding window with the
# Gaussian, export) with the BraTS plan (patch 128^3, 5 poolings). Any weights time the same, so the model is the
# network after one training iteration. Without mirroring the run is measured; with mirroring (8 passes per tile) it
# is measured only when BENCH_PREDICT_TTA=1 (about 8x longer on a CPU), otherwise estimated from the measured run.
if "$NNSEG" predict --help >/dev/null 2>&1 && [ "${BENCH_PREDICT:-1}" = 1 ]; then
  export nnUNet_results="$WORK/results"
  PTHREADS=${BENCH_THREADS:-2}
  "$NNSEG" train -d 901 -c 3d_fullres -f all --epochs 1 --iterations-per-epoch 1 --val-iterations 1 \
    --no-final-validation --np "$PTHREADS" >"$WORK/train.log" 2>&1 || { tail -20 "$WORK/train.log" >&2; exit 1; }
  PROWS=()
  # predict_row LABEL FLAGS...: seconds and peak RSS of one case.
  predict_row() {
    local label=$1
    shift
    rm -rf "$WORK/pred"
    /usr/bin/time -v "$NNSEG" predict -i "$nnUNet_raw/Dataset901_Bench1/imagesTr" -o "$WORK/pred" -d 901 -f all \
      --np "$PTHREADS" "$@" >"$WORK/out.log" 2>"$WORK/time.log" || { tail -30 "$WORK/time.log" >&2; exit 1; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.log" |
      awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.log")
    PROWS+=("$(printf '%-34s %9.1f %11.0f' "$label" "$wall" "$((rss / 1024))")")
    LAST_WALL=$wall
  }
  predict_row "predict, no mirroring" --disable-tta
  if [ "${BENCH_PREDICT_TTA:-0}" = 1 ]; then
    predict_row "predict, mirroring (8 passes per tile)"
  else
    PROWS+=("$(printf '%-34s %9.0f %11s' "predict, mirroring (estimate: 8x)" "$(awk -v w="$LAST_WALL" 'BEGIN {print 8 * w}')" "-")")
  fi
  echo
  echo "nnseg bench: predict one 240x240x155x4 case on cpu, BraTS plan (patch 128^3), $PTHREADS threads (goal: peak RSS <= 2560 MB)"
  printf '%-34s %9s %11s\n' "run" "seconds" "peak RSS MB"
  for row in "${PROWS[@]}"; do echo "$row"; done
fi

# Training speed (issue 4): ms per forward+backward+SGD step of our GenericUNet (LibTorch) and of the same network in
# PyTorch-Python (bench/bench_train_step.py on src/network/generic_unet_reference.py), one warm-up step then
# BENCH_STEPS timed ones (median), same threads; then a full trainer iteration against the network step alone.
# BENCH_BRATS_PATCH sets the BraTS-plan patch (default 64, a multiple of 32 as 5 poolings need; the planned 128^3 is far too slow for a CPU benchmark).
STEP_BIN="$BUILD/bench/nnseg_bench_train_step"
if [ ! -x "$STEP_BIN" ]; then
  echo "bench: $STEP_BIN not found (configure with NNSEG_WITH_TORCH=ON); training benchmarks skipped" >&2
  exit 0
fi
THREADS=${BENCH_THREADS:-2}
STEPS=${BENCH_STEPS:-3}
BRATS_PATCH=${BENCH_BRATS_PATCH:-64}
PY=/usr/bin/python3
HAVE_PY=0
"$PY" -c 'import torch' 2>/dev/null && HAVE_PY=1
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
key() { awk -v k="$1" '$1 == k {print $2}' "$2"; }
TROWS=()
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# step_row LABEL PLAN PATCH BATCH [STEPS]: ours and Python on the same step, same threads.
step_row() {
  local label=$1 plan=$2 patch=$3 batch=$4 steps=${5:-$STEPS} ours py="n/a" ratio="n/a"
  "$STEP_BIN" step "$plan" "$patch" "$batch" "$THREADS" "$steps" >"$WORK/ours.txt"
  ours=$(key ms_median "$WORK/ours.txt")
  if [ "$HAVE_PY" = 1 ]; then
    "$PY" "$SRCDIR/bench/bench_train_step.py" "$plan" "$patch" "$batch" "$THREADS" "$steps" >"$WORK/py.txt"
    py=$(key ms_median "$WORK/py.txt")
    ratio=$(awk -v a="$ours" -v b="$py" 'BEGIN {printf "%.2f", a / b}')
  fi
  [ "$py" = n/a ] || py=$(printf '%.0f' "$py")
  TROWS+=("$(printf '%-34s %-12s %3s %7s %9.0f %9s %8s' "$label" "${batch},${patch}^3" "$THREADS" "$steps" "$ours" \
    "$py" "$ratio")")
}
step_row "BraTS plan (4->4, 6 stages, b32)" brats "$BRATS_PATCH" 2 "${BENCH_BRATS_STEPS:-2}"
step_row "small plan (4->4, 4 stages, b16)" small 32 2
"$STEP_BIN" trainer "$THREADS" "${BENCH_TRAIN_ITERATIONS:-10}" >"$WORK/trainer.txt" 2>"$WORK/trainer.log"

echo
echo "nnseg bench: training step on cpu, $(nproc) cores, $(uname -m), ours: LibTorch $(key torch "$WORK/ours.txt")," \
  "python: $([ "$HAVE_PY" = 1 ] && key torch "$WORK/py.txt" || echo 'not available'), load average at start $LOAD_START"
printf '%-34s %-12s %3s %7s %9s %9s %8s\n' "step (fwd+bwd+DS loss+clip+SGD)" "batch,patch" "thr" "steps" "ours ms" \
  "torch ms" "ours/py"
for row in "${TROWS[@]}"; do echo "$row"; done
echo "full trainer iteration (train_fold: loader + augmentation in a background thread + step), tiny dataset," \
  "small plan 4->2 classes, batch $(key batch "$WORK/trainer.txt"), patch $(key patch "$WORK/trainer.txt")^3," \
  "$THREADS threads, $(key iterations "$WORK/trainer.txt") iterations (median):"
T=$WORK/trainer.txt
printf '  same run:   full iteration mean %.0f ms / trainer step mean %.0f ms = %.3f (waiting for batches only)\n' \
  "$(key full_ms_mean "$T")" "$(key trainer_step_ms_mean "$T")" "$(key ratio_same_run "$T")"
printf '  standalone: full iteration median %.0f ms / network step alone median %.0f ms = %.3f (goal <= 1.05)\n' \
  "$(key full_ms_median "$T")" "$(key net_ms_median "$T")" "$(key ratio_standalone "$T")"
