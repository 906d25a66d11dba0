// Helpers for pass tests: build small graphs by hand, optimize a copy, and compare ref(original) with
// ref(optimized).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "onyx/graph.h"
#include "onyx/passes.h"
#include "onyx/ref.h"
#include "onyx/tensor.h"

namespace onyx::passtest {

// The documented tolerance between ref(original) and ref(optimized): fusion changes rounding (folded BN
// weights, Mul by 1/sqrt(2) vs Div, ...).
constexpr double kPassRtol = 1e-4;
constexpr double kPassAtol = 1e-5;

class GraphBuilder {
 public:
  explicit GraphBuilder(int64_t opset = 17) : model(std::make_shared<Model>()) {
    model->ir_version = 8;
    model->opset_imports = {{"", opset}};
    model->graph = std::make_shared<Graph>();
    model->graph->name = "test";
  }
  Graph& g() { return *model->graph; }
  Value* input(const std::string& name, std::vector<int64_t> dims, DType dtype = DType::kFloat32) {
    Value* v = g().add_value(name);
    v->type = TypeInfo::tensor(dtype, Shape::from_dims(dims));
    g().inputs.push_back(v);
    return v;
  }
  Value* constant(const std::string& name, Tensor t) {
    Value* v = g().add_value(name);
    v->type = TypeInfo::tensor(t.dtype(), t.shape());
    v->initializer = std::move(t);
    g().initializers.push_back(v);
    return v;
  }
  // A float32 constant with deterministic pseudo-random values in [lo, hi].
  Value* weights(const std::string& name, std::vector<int64_t> dims, double lo = -1, double hi = 1) {
    Tensor t(DType::kFloat32, dims);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double u = 0.5 + 0.5 * std::sin(static_cast<double>(i) * 12.9898 + static_cast<double>(name.size()) * 78.233);
      p[i] = static_cast<float>(lo + (hi - lo) * u);
    }
    return constant(name, t);
  }
  Value* scalar(const std::string& name, float v) { return constant(name, Tensor::scalar<float>(v)); }
  Value* node(const std::string& op, std::vector<Value*> ins, std::vector<Attribute> attrs = {},
              const std::string& name = "") {
    const std::string n = name.empty() ? op + std::to_string(counter_++) : name;
    Value* out = g().add_value(n + "_out");
    Node* node = g().add_node(op, "", std::move(ins), {out}, n);
    node->attributes = std::move(attrs);
    return out;
  }
  void output(Value* v) { g().outputs.push_back(v); }

  std::shared_ptr<Model> model;

 private:
  int counter_ = 0;
};

// Deterministic input for a graph input (symbolic or unknown dims become 2).
inline Tensor make_input(const Value& v, int salt) {
  std::vector<int64_t> dims;
  for (const Dim& d : v.type.shape.dims()) dims.push_back(d.is_known() ? d.value() : 2);
  Tensor t(v.type.dtype, dims);
  if (v.type.dtype == DType::kFloat32) {
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i)
      p[i] = static_cast<float>(std::sin(static_cast<double>(i) * 0.731 + salt) * 2.0);
  }
  return t;
}

inline NamedValues make_inputs(const Model& m) {
  NamedValues feeds;
  int salt = 1;
  for (const Value* v : m.graph->inputs) feeds.emplace_back(v->name(), RunValue(make_input(*v, salt++)));
  return feeds;
}

// Compares two runs within the pass tolerance; returns "" when they agree.
inline std::string compare_runs(const NamedValues& a, const NamedValues& b, double rtol = kPassRtol,
                                double atol = kPassAtol) {
  if (a.size() != b.size()) return "output count differs";
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].second.kind != RunValue::Kind::kTensor || b[i].second.kind != RunValue::Kind::kTensor) continue;
    const Tensor& x = a[i].second.tensor;
    const Tensor& y = b[i].second.tensor;
    if (x.dims() != y.dims() || x.dtype() != y.dtype()) return a[i].first + ": shape or dtype differs";
    if (!dtype_is_float(x.dtype())) {
      if (!x.bitwise_equal(y)) return a[i].first + ": values differ";
      continue;
    }
    for (int64_t k = 0; k < x.numel(); ++k) {
      const double p = x.get_double(k), q = y.get_double(k);
      if (std::isnan(p) && std::isnan(q)) continue;
      if (p == q) continue;
      if (!(std::fabs(p - q) <= atol + rtol * std::fabs(p)))
        return a[i].first + "[" + std::to_string(k) + "]: " + std::to_string(p) + " vs " + std::to_string(q);
    }
  }
  return "";
}

// Count of nodes of `op` ("onyx.FusedConv" for the onyx domain).
inline int count_ops(const Model& m, const std::string& op) {
  int c = 0;
  for (const auto& n : m.graph->nodes())
    if ((n->domain.empty() ? n->op_type : n->domain + "." + n->op_type) == op) ++c;
  return c;
}

struct Optimized {
  std::shared_ptr<Model> original, optimized;
  PassReport report;
  std::string mismatch;  // "" when ref(original) and ref(optimized) agree
};

// Builds the model twice with `build`, prepares both, optimizes one and compares their ref outputs.
inline Optimized optimize_and_compare(const std::function<void(GraphBuilder&)>& build, int64_t opset = 17,
                                      const PassOptions& options = {}) {
  Optimized r;
  GraphBuilder a(opset), b(opset);
  build(a);
  build(b);
  r.original = a.model;
  r.optimized = b.model;
  prepare_model(*r.original);
  prepare_model(*r.optimized);
  r.report = optimize(*r.optimized, options);
  const NamedValues feeds = make_inputs(*r.original);
  const NamedValues x = RefSession(r.original).run(feeds);
  const NamedValues y = RefSession(r.optimized).run(feeds);
  r.mismatch = compare_runs(x, y);
  return r;
}

inline Attribute iattr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInt;
  a.i = v;
  return a;
}
inline Attribute fattr(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kFloat;
  a.f = v;
  return a;
}
inline Attribute intsattr(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInts;
  a.ints = std::move(v);
  return a;
}

}  // namespace onyx::passtest
