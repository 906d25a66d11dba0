// RotaryEmbedding (opset 23): rotary positional embeddings (RoPE).
//
// X: [B, H, S, D] or [B, S, H*D] (3-D needs num_heads). The first rotary_dim (attribute rotary_embedding_dim, 0 = D)
// elements of every head vector are rotated in pairs, the rest pass through. Pairs are (i, i + rotary_dim/2)
// (default) or (2i, 2i+1) (interleaved=1); pair i turns by the angle whose cosine/sine are cos_cache/sin_cache:
//   out_a = a*cos - b*sin,  out_b = b*cos + a*sin.
// With position_ids [B, S] the caches are [max_position, rotary_dim/2] rows picked by position; without, they are
// [B, S, rotary_dim/2].
#include <vector>

#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

struct RopeAttrs {
  bool interleaved = false;
  int64_t num_heads = 0;
  int64_t rotary_dim = 0;
};

RopeAttrs parse_attrs(const Node& node) {
  RopeAttrs a;
  a.interleaved = node.attr_int("interleaved", 0) != 0;
  a.num_heads = node.attr_int("num_heads", 0);
  a.rotary_dim = node.attr_int("rotary_embedding_dim", 0);
  if (a.num_heads < 0) fail_bad_input(node.describe(), ": num_heads must be positive, got ", a.num_heads);
  if (a.rotary_dim < 0)
    fail_bad_input(node.describe(), ": rotary_embedding_dim must be >= 0, got ", a.rotary_dim);
  return a;
}

void infer_rope(InferContext& ctx) {
  parse_attrs(ctx.node());
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::kUndefined && !dtype_is_float(dt)) ctx.fail("X must be a float tensor, got ", dtype_name(dt));
  const Shape& s = ctx.input_shape(0);
  if (s.rank_known() && s.rank() != 3 && s.rank() != 4) ctx.fail("X must have rank 3 or 4, got ", s.to_string());
  ctx.set_output_type(0, ctx.input_type(0));
}

template <typename T>
void run_typed(KernelContext& ctx, const RopeAttrs& a) {
  const Tensor& x = ctx.input(0);
  const Tensor& cos_t = ctx.input(1);
  const Tensor& sin_t = ctx.input(2);
  if (cos_t.dtype() != x.dtype() || sin_t.dtype() != x.dtype())
    ctx.fail("cos_cache and sin_cache must have X's dtype ", dtype_name(x.dtype()));
  int64_t B, H, S, D;
  const bool four_d = x.rank() == 4;
  if (four_d) {
    B = x.dim(0), H = x.dim(1), S = x.dim(2), D = x.dim(3);
  } else if (x.rank() == 3) {
    if (a.num_heads <= 0) ctx.fail("3-D input needs the num_heads attribute");
    if (x.dim(2) % a.num_heads != 0)
      ctx.fail("hidden size ", x.dim(2), " is not a multiple of num_heads ", a.num_heads);
    B = x.dim(0), S = x.dim(1), H = a.num_heads, D = x.dim(2) / a.num_heads;
  } else {
    ctx.fail("X must have rank 3 or 4, got ", dims_to_string(x.dims()));
  }
  const int64_t rd = a.rotary_dim > 0 ? a.rotary_dim : D;
  if (rd > D || rd % 2 != 0) ctx.fail("rotary dimension ", rd, " must be even and at most the head size ", D);
  const int64_t half = rd / 2;
  const bool has_pos = ctx.has_input(3);
  std::vector<int64_t> pos;
  if (has_pos) {
    const Tensor& p = ctx.input(3);
    if (p.dtype() != DType::kInt64 || p.dims() != std::vector<int64_t>{B, S})
      ctx.fail("position_ids must be int64 [", B, ",", S, "], got ", p.describe());
    if (cos_t.rank() != 2 || cos_t.dim(1) != half || sin_t.dims() != cos_t.dims())
      ctx.fail("with position_ids, cos_cache and sin_cache must be [max_position, ", half, "], got ",
               dims_to_string(cos_t.dims()), " and ", dims_to_string(sin_t.dims()));
    pos = p.to_int64_vector();
    for (int64_t v : pos)
      if (v < 0 || v >= cos_t.dim(0)) ctx.fail("position id ", v, " is outside [0, ", cos_t.dim(0), ")");
  } else if (cos_t.dims() != std::vector<int64_t>{B, S, half} || sin_t.dims() != cos_t.dims()) {
    ctx.fail("without position_ids, cos_cache and sin_cache must be [", B, ",", S, ",", half, "], got ",
             dims_to_string(cos_t.dims()), " and ", dims_to_string(sin_t.dims()));
  }
  Tensor out(x.dtype(), x.dims());
  const T* src = x.data<T>();
  const T* cp = cos_t.data<T>();
  const T* sp = sin_t.data<T>();
  T* dst = out.data<T>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s) {
      const int64_t row = has_pos ? pos[static_cast<size_t>(b * S + s)] : b * S + s;
      const T* cr = cp + row * half;
      const T* sr = sp + row * half;
      for (int64_t h = 0; h < H; ++h) {
        const int64_t off = four_d ? ((b * H + h) * S + s) * D : ((b * S + s) * H + h) * D;
        const T* in = src + off;
        T* o = dst + off;
        for (int64_t i = 0; i < half; ++i) {
          const int64_t ia = a.interleaved ? 2 * i : i;
          const int64_t ib = a.interleaved ? 2 * i + 1 : i + half;
          const double c = static_cast<compute_t<T>>(cr[i]), sn = static_cast<compute_t<T>>(sr[i]);
          const double va = static_cast<compute_t<T>>(in[ia]), vb = static_cast<compute_t<T>>(in[ib]);
          o[ia] = to_storage<T>(va * c - vb * sn);
          o[ib] = to_storage<T>(vb * c + va * sn);
        }
        for (int64_t i = rd; i < D; ++i) o[i] = in[i];
      }
    }
  ctx.set_output(0, out);
}

void run_rope(KernelContext& ctx) {
  const RopeAttrs a = parse_attrs(ctx.node());
  dispatch_float(ctx.input(0).dtype(), ctx.node().describe(), [&]<typename T>() { run_typed<T>(ctx, a); });
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "RotaryEmbedding", .since_version = 23, .inputs = {3, 4}, .infer = infer_rope,
                  .run = run_rope});

}  // namespace onyx
