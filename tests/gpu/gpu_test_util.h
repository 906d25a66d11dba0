// Helpers for the GPU tests of src/cuda: skip without a device, move float data to and from the device in any of
// float32/float16/bfloat16 (and raw bytes), random data, and tolerance checks that report the first mismatch.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cuda/buffer.h"
#include "onyx/cuda.h"
#include "onyx/dtype.h"
#include "onyx/graph.h"
#include "onyx/tensor.h"
#include "ops/op_test_util.h"

namespace onyx::cuda::test {

// Every GPU test uses this fixture: it skips when no device is visible (the smoke test fails loudly instead) and
// gives each test its own stream.
class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_devices().empty()) GTEST_SKIP() << "no CUDA device: " << cuda_status();
    stream_ = std::make_unique<Stream>();
  }
  cudaStream_t stream() const { return stream_->get(); }
  void sync() const { stream_->synchronize(); }

 private:
  std::unique_ptr<Stream> stream_;
};

// Waits for the whole device (uploads below go through the legacy default stream, which the tests' non-blocking
// streams do not wait for).
inline void check_cuda_sync() {
  const cudaError_t e = cudaDeviceSynchronize();
  if (e != cudaSuccess) ADD_FAILURE() << "cudaDeviceSynchronize: " << cudaGetErrorString(e);
}

// Rounds a float through a storage dtype (what the device sees after upload).
inline float round_to(DType t, float v) {
  switch (t) {
    case DType::kFloat16: return half_bits_to_float(float_to_half_bits(v));
    case DType::kBFloat16: return bfloat16_bits_to_float(float_to_bfloat16_bits(v));
    default: return v;
  }
}
inline std::vector<float> round_all(DType t, std::vector<float> v) {
  for (float& x : v) x = round_to(t, x);
  return v;
}

// Uploads floats as `t` (float32/float16/bfloat16) and waits.
inline DeviceBuffer upload_floats(DType t, const std::vector<float>& v) {
  const size_t es = dtype_size(t);
  std::vector<uint8_t> bytes(v.size() * es);
  for (size_t i = 0; i < v.size(); ++i) {
    if (t == DType::kFloat32) {
      std::memcpy(&bytes[i * 4], &v[i], 4);
    } else {
      const uint16_t b = t == DType::kFloat16 ? float_to_half_bits(v[i]) : float_to_bfloat16_bits(v[i]);
      std::memcpy(&bytes[i * 2], &b, 2);
    }
  }
  DeviceBuffer buf(std::max<size_t>(bytes.size(), 1));
  buf.upload(bytes.data(), bytes.size(), nullptr);
  check_cuda_sync();
  return buf;
}
inline std::vector<float> download_floats(DType t, const DeviceBuffer& buf, size_t n, cudaStream_t stream) {
  const size_t es = dtype_size(t);
  std::vector<uint8_t> bytes(n * es);
  buf.download(bytes.data(), bytes.size(), stream);
  if (cudaStreamSynchronize(stream) != cudaSuccess) ADD_FAILURE() << "cudaStreamSynchronize failed";
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (t == DType::kFloat32) {
      std::memcpy(&out[i], &bytes[i * 4], 4);
    } else {
      uint16_t b;
      std::memcpy(&b, &bytes[i * 2], 2);
      out[i] = t == DType::kFloat16 ? half_bits_to_float(b) : bfloat16_bits_to_float(b);
    }
  }
  return out;
}

template <typename T>
DeviceBuffer upload(const std::vector<T>& v) {
  DeviceBuffer buf(std::max<size_t>(v.size() * sizeof(T), 1));
  buf.upload(v.data(), v.size() * sizeof(T), nullptr);
  check_cuda_sync();
  return buf;
}
template <typename T>
std::vector<T> download(const DeviceBuffer& buf, size_t n, cudaStream_t stream) {
  std::vector<T> out(n);
  buf.download(out.data(), n * sizeof(T), stream);
  if (cudaStreamSynchronize(stream) != cudaSuccess) ADD_FAILURE() << "cudaStreamSynchronize failed";
  return out;
}

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -2.f, float hi = 2.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline int64_t count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// ---- Building test models (attributes: onyx::test::attr_int, attr_ints, ... of ops/op_test_util.h).
using onyx::test::attr_int;
using onyx::test::attr_ints;

inline Model new_model(int64_t opset = 17) {
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", opset}};
  m.graph = std::make_shared<Graph>();
  m.graph->name = "t";
  return m;
}

// A graph input of dtype t and shape s.
inline Value* add_input(Graph& g, const std::string& name, DType t, Shape s) {
  Value* v = g.add_value(name);
  v->type = TypeInfo::tensor(t, std::move(s));
  v->type.has_shape = true;
  g.inputs.push_back(v);
  return v;
}

// An initializer holding t.
inline Value* add_init(Graph& g, const std::string& name, Tensor t) {
  Value* v = g.add_value(name);
  v->type = TypeInfo::tensor(t.dtype(), Shape::from_dims(t.dims()));
  v->initializer = std::move(t);
  g.initializers.push_back(v);
  return v;
}

// Random weights uniform in [-scale, scale] from `seed` (float32 values, stored as dt).
inline Value* add_weight(Graph& g, const std::string& name, std::vector<int64_t> dims, uint32_t seed,
                         float scale = 0.5f, DType dt = DType::kFloat32) {
  Tensor t =
      Tensor::from_vector<float>(dims, random_floats(static_cast<size_t>(count(dims)), seed, -scale, scale));
  return add_init(g, name, dt == DType::kFloat32 ? std::move(t) : t.cast(dt));
}

// Tolerances: float32 results of the same formula agree to a few ulps; float16/bfloat16 outputs are rounded once
// from float32 (half an ulp: 2^-11 / 2^-8 relative), plus the rounding of inputs the reference also sees.
struct Tol {
  double atol, rtol;
};
inline Tol tol_for(DType t) {
  switch (t) {
    case DType::kFloat16: return {1e-3, 2e-3};
    case DType::kBFloat16: return {1e-2, 1.6e-2};
    default: return {1e-5, 1e-5};
  }
}

inline ::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& want, Tol tol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], w = want[i];
    if (std::isnan(w) && std::isnan(g)) continue;
    if (std::isinf(w) && g == w) continue;
    if (!(std::fabs(g - w) <= tol.atol + tol.rtol * std::fabs(w)))
      return ::testing::AssertionFailure() << "element " << i << ": got " << g << ", want " << w << " (atol "
                                           << tol.atol << ", rtol " << tol.rtol << ")";
  }
  return ::testing::AssertionSuccess();
}

inline const DType kFloatTypes[] = {DType::kFloat32, DType::kFloat16, DType::kBFloat16};

}  // namespace onyx::cuda::test
