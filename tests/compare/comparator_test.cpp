// The comparator: statistics, tolerance rules, error statistics, NaN/Inf, structure checks, minimum
// tolerances.
#include <gtest/gtest.h>

#include <cmath>

#include "onyx/compare.h"

namespace onyx {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) {
  return Tensor::from_vector<float>(std::move(dims), v);
}

TEST(Comparator, IdenticalTensorsPass) {
  const Tensor t = f32({2, 2}, {1, -2, 3, 0});
  const OutputComparison c = compare_output("y", t, t, {});
  EXPECT_TRUE(c.passed);
  EXPECT_EQ(c.abs_error.max, 0);
  EXPECT_EQ(c.mismatches, 0);
  EXPECT_EQ(c.ref_summary.min, -2);
  EXPECT_EQ(c.ref_summary.max, 3);
}

TEST(Comparator, StatisticsAndWorstElement) {
  const Tensor ref = f32({2, 3}, {1, 2, 3, 4, 5, 10});
  const Tensor act = f32({2, 3}, {1, 2.5f, 3, 4, 5, 9});
  CompareOptions o;
  o.atol = 0.1;
  o.rtol = 0.01;
  const OutputComparison c = compare_output("y", ref, act, o);
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.mismatches, 2);
  EXPECT_DOUBLE_EQ(c.abs_error.max, 1.0);
  EXPECT_NEAR(c.abs_error.mean, 1.5 / 6, 1e-12);
  EXPECT_DOUBLE_EQ(c.abs_error.median, 0);
  EXPECT_DOUBLE_EQ(c.abs_error.p90, 0.75);  // sorted errors 0,0,0,0,0.5,1: linear interpolation at 4.5
  EXPECT_DOUBLE_EQ(c.rel_error.max, 0.25);  // 0.5 / 2
  EXPECT_EQ(c.worst_index, 5);
  EXPECT_EQ(c.worst_coords, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(c.worst_ref, 10);
  EXPECT_EQ(c.worst_actual, 9);
  EXPECT_DOUBLE_EQ(c.min_atol, 1.0);
  EXPECT_DOUBLE_EQ(c.min_rtol, 0.25);
  EXPECT_DOUBLE_EQ(c.min_atol_given_rtol, 1.0);
  EXPECT_DOUBLE_EQ(c.min_rtol_given_atol, 0.25);
  EXPECT_FALSE(c.histogram.empty());
  // An element fails only when it exceeds both tolerances.
  o.rtol = 0.3;
  EXPECT_TRUE(compare_output("y", ref, act, o).passed);
  o.rtol = 0;
  o.atol = 1.0;
  EXPECT_TRUE(compare_output("y", ref, act, o).passed);
}

TEST(Comparator, ErrorStatisticChoosesWhatMustPass) {
  const Tensor ref = f32({4}, {1, 1, 1, 1});
  const Tensor act = f32({4}, {1, 1, 1, 2});  // one big error
  CompareOptions o;
  o.atol = 0.3;
  o.rtol = 0.3;
  EXPECT_FALSE(compare_output("y", ref, act, o).passed);
  o.check_error_stat = ErrorStat::kMax;
  EXPECT_FALSE(compare_output("y", ref, act, o).passed);
  o.check_error_stat = ErrorStat::kMean;  // mean 0.25
  EXPECT_TRUE(compare_output("y", ref, act, o).passed);
  o.check_error_stat = ErrorStat::kMedian;
  const OutputComparison c = compare_output("y", ref, act, o);
  EXPECT_TRUE(c.passed);
  EXPECT_EQ(c.min_atol, 0);
  EXPECT_EQ(parse_error_stat("median"), ErrorStat::kMedian);
  EXPECT_THROW(parse_error_stat("p99"), Error);
}

TEST(Comparator, PerOutputOverrides) {
  CompareOptions o;
  o.atol_per_output["loose"] = 1;
  o.rtol_per_output["loose"] = 1;
  o.error_stat_per_output["loose"] = ErrorStat::kMean;
  const NamedTensors ref = {{"tight", f32({1}, {1})}, {"loose", f32({1}, {1})}};
  const NamedTensors act = {{"tight", f32({1}, {1.5f})}, {"loose", f32({1}, {1.5f})}};
  const IterationComparison r = compare_outputs(ref, act, o);
  ASSERT_EQ(r.outputs.size(), 2u);
  EXPECT_FALSE(r.outputs[0].passed);
  EXPECT_TRUE(r.outputs[1].passed);
  EXPECT_EQ(r.outputs[1].error_stat, ErrorStat::kMean);
  EXPECT_FALSE(r.passed);
  o.fail_fast = true;
  EXPECT_EQ(compare_outputs(ref, act, o).outputs.size(), 1u);
}

TEST(Comparator, NanAndInfinity) {
  const float nan = NAN, inf = INFINITY;
  const Tensor ref = f32({4}, {nan, inf, -inf, 1});
  EXPECT_TRUE(compare_output("y", ref, ref, {}).passed);  // NaN matches NaN, inf matches inf
  const OutputComparison c = compare_output("y", ref, f32({4}, {1, inf, inf, nan}), {});
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.nan_mismatches, 2);
  EXPECT_EQ(c.inf_mismatches, 1);
  EXPECT_EQ(c.ref_summary.nan, 1);
  EXPECT_EQ(c.ref_summary.inf, 2);
  EXPECT_TRUE(std::isinf(c.abs_error.max));
}

TEST(Comparator, ZeroReferenceUsesEpsilonForRelativeError) {
  const OutputComparison c = compare_output("y", f32({1}, {0}), f32({1}, {1e-6f}), {});
  EXPECT_TRUE(c.passed);  // within atol 1e-5
  EXPECT_GT(c.rel_error.max, 1e9);
}

TEST(Comparator, StructureChecks) {
  const OutputComparison shape =
      compare_output("y", f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3, 2}, {1, 2, 3, 4, 5, 6}), {});
  EXPECT_FALSE(shape.passed);
  EXPECT_NE(shape.structural_error.find("shape [3,2] vs reference [2,3]"), std::string::npos);
  const OutputComparison dtype =
      compare_output("y", f32({1}, {1}), Tensor::from_vector<int32_t>({1}, {1}), {});
  EXPECT_FALSE(dtype.passed);
  EXPECT_NE(dtype.structural_error.find("dtype int32"), std::string::npos);
  // Different float widths compare by value.
  const OutputComparison widths =
      compare_output("y", f32({1}, {1.5f}), Tensor::from_vector<Float16>({1}, {Float16(1.5f)}), {});
  EXPECT_TRUE(widths.passed);
  const IterationComparison missing = compare_outputs({{"a", f32({1}, {1})}}, {}, {});
  EXPECT_FALSE(missing.passed);
  EXPECT_EQ(missing.missing, (std::vector<std::string>{"a"}));
}

TEST(Comparator, IntegersBoolsAndStrings) {
  const Tensor i = Tensor::from_vector<int64_t>({3}, {1, 2, 3});
  EXPECT_FALSE(compare_output("y", i, Tensor::from_vector<int64_t>({3}, {1, 2, 4}), {}).passed);
  const Tensor b = Tensor::from_vector<bool>({2}, {true, false});
  const OutputComparison cb = compare_output("y", b, Tensor::from_vector<bool>({2}, {true, true}), {});
  EXPECT_FALSE(cb.passed);
  EXPECT_EQ(cb.worst_index, 1);
  const Tensor s = Tensor::from_vector<std::string>({2}, {"a", "b"});
  EXPECT_TRUE(compare_output("y", s, s, {}).passed);
  const OutputComparison cs = compare_output("y", s, Tensor::from_vector<std::string>({2}, {"a", "c"}), {});
  EXPECT_FALSE(cs.passed);
  EXPECT_EQ(cs.worst_index, 1);
}

TEST(Comparator, FormatsReadableLines) {
  const OutputComparison c = compare_output("y", f32({2}, {1, 2}), f32({2}, {1, 3}), {});
  const auto lines = format_comparison(c);
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_NE(all.find("worst element: [1]"), std::string::npos) << all;
  EXPECT_NE(all.find("minimum tolerance to pass"), std::string::npos) << all;
  EXPECT_NE(all.find("FAILED"), std::string::npos) << all;
  EXPECT_NE(one_line_error(c).find("max abs 1"), std::string::npos);
}

}  // namespace
}  // namespace onyx
