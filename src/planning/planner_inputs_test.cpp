// Channel names and classes from dataset.json, v1 and v2 forms, and the errors.
#include "planning/planner_inputs.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace nnseg {
namespace {

TEST(PlannerInputs, V2Form) {
  const auto j = OrderedJson::parse(R"({"name": "BraTS2020",
      "channel_names": {"0": "T1", "1": "T1ce", "2": "T2", "3": "FLAIR"},
      "labels": {"background": 0, "edema": 1, "non-enhancing": 2, "enhancing": 3}, "numTraining": 369,
      "file_ending": ".nii.gz"})");
  const PlannerInputs in = planner_inputs_from_json(j, "dataset.json");
  EXPECT_EQ(in.dataset_name, "BraTS2020");
  EXPECT_EQ(in.channel_names, (std::vector<std::string>{"T1", "T1ce", "T2", "FLAIR"}));
  EXPECT_EQ(in.classes, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(in.num_classes_with_background(), 4);
}

TEST(PlannerInputs, V1FormKeepsKeyOrderAndSortsChannels) {
  const auto j = OrderedJson::parse(R"({"modality": {"1": "ADC", "0": "T2"},
      "labels": {"0": "background", "2": "b", "1": "a"}})");
  const PlannerInputs in = planner_inputs_from_json(j, "dataset.json");
  EXPECT_EQ(in.dataset_name, "");
  EXPECT_EQ(in.channel_names, (std::vector<std::string>{"T2", "ADC"}));
  EXPECT_EQ(in.classes, (std::vector<int64_t>{2, 1}));  // v1 all_classes: the JSON's key order
}

TEST(PlannerInputs, Errors) {
  auto expect_error = [](const std::string& text, const std::string& part) {
    try {
      planner_inputs_from_json(OrderedJson::parse(text), "/d/dataset.json");
      FAIL() << text;
    } catch (const InputError& e) {
      const std::string msg = format_error(e);
      EXPECT_NE(msg.find("/d/dataset.json"), std::string::npos) << msg;
      EXPECT_NE(msg.find(part), std::string::npos) << msg;
    }
  };
  expect_error(R"({"labels": {"background": 0}})", "channel_names");
  expect_error(R"({"channel_names": {"0": "T1", "2": "T2"}, "labels": {"background": 0}})", "consecutive");
  expect_error(R"({"channel_names": {"x": "T1"}, "labels": {"background": 0}})", "channel indices");
  expect_error(R"({"channel_names": {"0": "T1"}})", "missing key labels");
  expect_error(R"({"channel_names": {"0": "T1"}, "labels": {"a": 1}})", "background");
  expect_error(R"({"channel_names": {"0": "T1"}, "labels": {"background": 0, "wt": [1, 2]}})", "labels.wt");
  expect_error(R"({"channel_names": {"0": "T1"}, "labels": {"background": 0, "a": 1, "b": 1}})", "distinct");
  expect_error(R"({"channel_names": {"0": 5}, "labels": {"background": 0}})", "channel_names.0 = 5");
  EXPECT_THROW(load_planner_inputs("/nonexistent/dataset.json"), InputError);
}

}  // namespace
}  // namespace nnseg
