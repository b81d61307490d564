#!/usr/bin/env bash
# make demo: the pipeline on synthetic BraTS data, as far as it has landed (README "Demo").
# Usage: scripts/demo.sh [path/to/nnseg] [OUT_DIR]
set -euo pipefail
NNSEG=${1:-build/release/nnseg}
OUT=${2:-out/demo}
CASES=${DEMO_CASES:-8}
# 3 mm keeps the CPU training step of the demo at a few seconds per iteration; DEMO_SPACING=1 gives the real BraTS
# geometry (240x240x155) and nnU-Net's BraTS plan (batch 2, patch 128^3), which needs a GPU to train.
SPACING=${DEMO_SPACING:-3}
EPOCHS=${DEMO_EPOCHS:-4}
ITERS=${DEMO_ITERATIONS:-8}

rm -rf "$OUT"
mkdir -p "$OUT"
export nnUNet_raw="$OUT/nnUNet_raw"
export nnUNet_preprocessed="$OUT/nnUNet_preprocessed"
export nnUNet_results="$OUT/nnUNet_results"
start=$(date +%s)

step() { printf '\n== %s\n' "$*"; }

step "1. synthesize $CASES BraTS 2020-style training cases and 2 validation cases (Colin27 anatomy)"
"$NNSEG" synth-brats "$OUT/MICCAI_BraTS2020_TrainingData" --cases "$CASES" --seed 1 --spacing "$SPACING" \
  --preview "$OUT/preview.png"
"$NNSEG" synth-brats "$OUT/MICCAI_BraTS2020_ValidationData" --cases 2 --seed 2 --no-seg --spacing "$SPACING"
"$NNSEG" info "$OUT/MICCAI_BraTS2020_TrainingData/BraTS20_Training_001/BraTS20_Training_001_flair.nii.gz" \
  "$OUT/MICCAI_BraTS2020_TrainingData/BraTS20_Training_001/BraTS20_Training_001_seg.nii.gz"

step "2. convert to an nnU-Net dataset (Task082 conventions: T1,T1ce,T2,FLAIR -> 0000..0003, labels 1/2/4 -> 2/1/3)"
"$NNSEG" convert-brats "$OUT/MICCAI_BraTS2020_TrainingData" -d 82 --name BraTS2020 \
  --test "$OUT/MICCAI_BraTS2020_ValidationData"

step "3. verify the dataset"
"$NNSEG" verify -d 82

if "$NNSEG" --help | grep -q 'plan-and-preprocess'; then
  step "4. verify again, fingerprint, plan and preprocess (3d_fullres), as nnUNet_plan_and_preprocess -t 82 --verify_dataset_integrity"
  "$NNSEG" plan-and-preprocess -d 82 -c 3d_fullres --verify-dataset-integrity
fi

if "$NNSEG" --help | grep -q ' train '; then
  step "5. train fold 0 (nnUNetTrainerV2) on the CPU: $EPOCHS epochs x $ITERS iterations (the real schedule is 1000 x 250)"
  "$NNSEG" train -d 82 -c 3d_fullres -f 0 --epochs "$EPOCHS" --iterations-per-epoch "$ITERS" --val-iterations 4 \
    --no-final-validation
fi

step "what was made"
find "$OUT/nnUNet_raw" -maxdepth 2 | sort | head -20
echo "dataset.json:"
cat "$OUT/nnUNet_raw/Dataset082_BraTS2020/dataset.json"
echo
if [ -d "$nnUNet_preprocessed/Dataset082_BraTS2020" ]; then
  echo "preprocessed:"
  (cd "$nnUNet_preprocessed/Dataset082_BraTS2020" && find . -maxdepth 1 | sort && ls */ | head -8)
fi
fold="$nnUNet_results/Dataset082_BraTS2020/nnUNetTrainerV2__nnUNetPlans__3d_fullres/fold_0"
if [ -d "$fold" ]; then
  echo "trained fold 0: $fold"
  ls "$fold"
  echo "training curves: $fold/progress.png"
fi
echo "preview of case 001 (T1, T1ce, T2, FLAIR, labels): $OUT/preview.png"
echo "demo finished in $(( $(date +%s) - start )) s"
