// Network weights as a NumPy .npz (spec/cli.md `export-weights`, `predict --weights`): one member per tensor of the
// v1 Generic_UNet state dict (network.md §7), keyed by its v1 name, in state_dict order and shape.
#pragma once

#include <filesystem>

#include "network/generic_unet.h"
#include "training/checkpoint.h"

namespace nnseg {

namespace fs = std::filesystem;

// Writes `state` to `npz_path` (stored, as np.savez): floating tensors as float32, integer buffers (BatchNorm's
// num_batches_tracked) as int64; a leading "module." (DataParallel) is dropped from the names.
void write_weights_npz(const fs::path& npz_path, const NamedTensors& state);

// The state dict of the checkpoint at `checkpoint_path` (load_checkpoint: InputError naming it when missing or not
// a checkpoint) written with write_weights_npz.
void export_weights_npz(const fs::path& checkpoint_path, const fs::path& npz_path);

// Every member of the archive as a CPU tensor, in archive order: float16/32/64 as float32, signed integers and
// uint8 as int64. InputError naming the file (read_npz's errors) and, for bool or uint16/32/64 members, the tensor.
NamedTensors read_weights_npz(const fs::path& npz_path);

// Reads `npz_path` and copies it into `net` by v1 name. InputError naming the .npz file and the tensor for a missing,
// unexpected or mis-shaped tensor (both shapes given) or an integer array where the network has a floating tensor.
void load_weights_npz(GenericUNet& net, const fs::path& npz_path);

}  // namespace nnseg
