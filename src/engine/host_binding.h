// Shared by the runners that drive an Engine from host tensors (the `cpu` backend, plan runners, the `cuda`
// backend's metadata): the io tensors as runner metadata, host feeds bound to a context, outputs cloned out.
#pragma once

#include "onyx/engine.h"
#include "onyx/runner.h"

namespace onyx {

// The engine's inputs (or outputs) as runner metadata, in io order.
inline TensorMetadata engine_io_metadata(const Engine& engine, bool inputs) {
  TensorMetadata out;
  for (const IoTensor& t : engine.io_tensors())
    if (t.is_input == inputs) {
      TensorMeta m;
      m.name = t.name;
      m.dtype = t.dtype;
      m.shape = t.shape;
      out.push_back(std::move(m));
    }
  return out;
}

// Sets every input's shape and binds its host memory; kBadInput for a missing input, a wrong dtype or a feed
// that names no input.
inline void bind_host_inputs(const Engine& engine, ExecutionContext& ctx, const NamedTensors& feeds) {
  for (const IoTensor& t : engine.io_tensors()) {
    if (!t.is_input) continue;
    const Tensor* x = nullptr;
    for (const auto& [n, v] : feeds)
      if (n == t.name) x = &v;
    if (!x) fail_bad_input("input '", t.name, "' was not given");
    if (x->dtype() != t.dtype)
      fail_bad_input("input '", t.name, "': expected dtype ", dtype_name(t.dtype), ", got ",
                     dtype_name(x->dtype()));
    ctx.set_input_shape(t.name, x->dims());
    ctx.set_tensor_address(t.name, const_cast<void*>(x->raw_data()), x->nbytes());
  }
  for (const auto& [n, v] : feeds) {
    const IoTensor* t = engine.find_io_tensor(n);
    if (!t || !t->is_input) fail_bad_input("unknown input '", n, "'");
  }
}

// The outputs of the context's last run, copied out of its arena.
inline NamedTensors host_outputs(const Engine& engine, const ExecutionContext& ctx) {
  NamedTensors out;
  for (const IoTensor& t : engine.io_tensors())
    if (!t.is_input) out.emplace_back(t.name, ctx.output(t.name).clone());
  return out;
}

}  // namespace onyx
