// The trainer's end-of-training validation (spec/training.md §10, issue 5 item 7): predicts the fold's validation
// cases from their preprocessed arrays with checkpoint_final (mirroring on, step 0.5, as v1's validate()), exports
// them to fold_F/validation/CASE<ending> in the original geometry, evaluates them against the raw labelsTr/ into
// fold_F/validation/summary.json (foreground labels; BraTS datasets also get WT/TC/ET Dice and HD95), and decides the
// fold's connected-component postprocessing (fold_F/postprocessing.json, validation_postprocessed/), as v1 does.
#pragma once

#include "core/progress.h"
#include "training/trainer.h"

namespace nnseg {

// True for a dataset whose name contains "BraTS" (any case) and whose labels include 1, 2 and 3: evaluation then
// adds the BraTS regions and postprocessing the enhancing-tumour threshold.
bool is_brats_dataset(const std::string& dataset_name, const std::vector<int>& classes);

// Runs the validation; `nnseg train` passes it to the trainer as TrainOptions::final_validation_runner.
// Without a raw dataset (no references) the predictions are written and evaluation is skipped with a log line.
void run_final_validation(const FinalValidationInputs& inputs, Progress& progress);

}  // namespace nnseg
