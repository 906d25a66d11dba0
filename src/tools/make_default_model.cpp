// Writes onyx's bundled default model: a small image classifier (Conv-Relu-MaxPool-Conv-Relu-GlobalAveragePool-
// Flatten-Gemm-Softmax) with a dynamic batch axis and seeded random weights. Built from the IR and saved with
// onyx's own ONNX writer, so the README's first command needs nothing but onyx.
#include <iostream>
#include <random>

#include "onyx/error.h"
#include "onyx/onnx.h"

using namespace onyx;

namespace {

Value* weight(Graph& g, const std::string& name, std::vector<int64_t> dims, std::mt19937& rng, float scale) {
  Tensor t(DType::kFloat32, dims);
  std::normal_distribution<float> dist(0.0f, scale);
  for (float& x : t.span<float>()) x = dist(rng);
  Value* v = g.add_value(name);
  v->initializer = t;
  v->type = TypeInfo::tensor(DType::kFloat32, t.shape());
  g.initializers.push_back(v);
  return v;
}

Value* node(Graph& g, const std::string& op, std::vector<Value*> ins, const std::string& out,
            std::vector<Attribute> attrs = {}) {
  Value* v = g.add_value(out);
  Node* n = g.add_node(op, "", std::move(ins), {v}, out.substr(0, out.find(':')));
  n->attributes = std::move(attrs);
  return v;
}

Attribute ints(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInts;
  a.ints = std::move(v);
  return a;
}

Attribute int_attr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInt;
  a.i = v;
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: onyx-make-default-model OUT.onnx\n";
    return 2;
  }
  try {
    std::mt19937 rng(1);
    Model m;
    m.ir_version = 8;
    m.opset_imports = {{"", 17}};
    m.producer_name = "onyx";
    m.producer_version = ONYX_VERSION_STRING;
    m.doc_string = "onyx default model: a small CNN classifier with random weights (seed 1)";
    m.graph = std::make_shared<Graph>();
    Graph& g = *m.graph;
    g.name = "onyx_default_cnn";
    Value* image = g.add_value("image");
    image->type = TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("batch"), Dim(3), Dim(32), Dim(32)}));
    g.inputs.push_back(image);

    Value* w1 = weight(g, "conv1.weight", {8, 3, 3, 3}, rng, 0.3f);
    Value* b1 = weight(g, "conv1.bias", {8}, rng, 0.1f);
    Value* w2 = weight(g, "conv2.weight", {16, 8, 3, 3}, rng, 0.15f);
    Value* b2 = weight(g, "conv2.bias", {16}, rng, 0.1f);
    Value* fw = weight(g, "fc.weight", {10, 16}, rng, 0.3f);
    Value* fb = weight(g, "fc.bias", {10}, rng, 0.1f);

    Value* x = node(g, "Conv", {image, w1, b1}, "conv1", {ints("kernel_shape", {3, 3}), ints("pads", {1, 1, 1, 1})});
    x = node(g, "Relu", {x}, "relu1");
    x = node(g, "MaxPool", {x}, "pool1", {ints("kernel_shape", {2, 2}), ints("strides", {2, 2})});
    x = node(g, "Conv", {x, w2, b2}, "conv2", {ints("kernel_shape", {3, 3}), ints("pads", {1, 1, 1, 1})});
    x = node(g, "Relu", {x}, "relu2");
    x = node(g, "GlobalAveragePool", {x}, "gap");
    x = node(g, "Flatten", {x}, "flatten", {int_attr("axis", 1)});
    x = node(g, "Gemm", {x, fw, fb}, "fc", {int_attr("transB", 1)});
    Value* probs = node(g, "Softmax", {x}, "probabilities", {int_attr("axis", -1)});
    probs->type = TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("batch"), Dim(10)}));
    g.outputs.push_back(probs);
    save_model(m, argv[1]);
  } catch (const Error& e) {
    std::cerr << "onyx-make-default-model: error: " << e.what() << "\n";
    return e.exit_code();
  }
  return 0;
}
