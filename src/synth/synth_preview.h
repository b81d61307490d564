// The synth-brats preview: one PNG with the four channels of a case on the axial slice through the tumour core's
// centre, and the labels over FLAIR with a legend (report/png_canvas.h).
#pragma once

#include <filesystem>
#include <string>

#include "report/png_canvas.h"
#include "synth/synth_case.h"

namespace nnseg::synth {

// BraTS overlay colours: edema green, necrotic/non-enhancing core red, enhancing yellow.
report::Rgb brats_label_colour(int label);

// Axial slice z of an Image (array order z, y, x) as rows = y, columns = x: anterior at the top and the patient's
// right on the left (radiological view) for BraTS's identity direction.
report::GraySlice axial_slice(const Image& image, int64_t z);
report::LabelSlice axial_label_slice(const Image& labels, int64_t z);

// Writes the preview PNG (atomically); `title` names the case, `anatomy` the template it came from.
void write_brats_preview(const SynthCase& c, const std::string& title, const std::string& anatomy,
                         const std::filesystem::path& png);

}  // namespace nnseg::synth
