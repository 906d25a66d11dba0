// Tensor sequences (all since opset 11, unchanged through 23): SequenceEmpty, SequenceConstruct, SequenceInsert,
// SequenceAt, SequenceErase, SequenceLength, ConcatFromSequence, SplitToSequence.
#include "control_util.h"
#include "onyx/limits.h"
#include "op.h"

namespace onyx {
namespace {

using control::union_type;

const RunValue& input_sequence(const KernelContext& ctx, size_t i) {
  const RunValue& v = ctx.input_value(i);
  if (!v.is_sequence()) ctx.fail("input ", i, " must be a sequence, got ", v.describe());
  return v;
}

// The element type of a sequence value: its declared element type, else its first tensor's dtype.
TypeInfo element_type(const RunValue& seq) {
  if (seq.type.is_known()) return seq.type;
  if (!seq.sequence.empty()) return TypeInfo::tensor(seq.sequence[0].dtype());
  return {};
}

DType element_dtype(const RunValue& seq) {
  if (!seq.sequence.empty()) return seq.sequence[0].dtype();
  return seq.type.kind == TypeInfo::Kind::kTensor ? seq.type.dtype : DType::kUndefined;
}

// A position input (int32/int64, one element), normalized against [-n, n - 1] (or [-n, n] with `allow_end`).
int64_t position(const KernelContext& ctx, size_t i, int64_t n, bool allow_end) {
  const Tensor& p = ctx.input(i);
  if ((p.dtype() != DType::kInt64 && p.dtype() != DType::kInt32) || p.numel() != 1)
    ctx.fail("position must be an int32/int64 scalar, got ", p.describe());
  const int64_t pos = p.get_int(0);
  const int64_t hi = allow_end ? n : n - 1;
  if (pos < -n || pos > hi)
    ctx.fail("position ", pos, " is out of range for a sequence of ", n, " tensors (accepted: [", -n, ", ", hi, "])");
  return pos < 0 ? pos + n : pos;
}

TypeInfo seq_element_type(const InferContext& ctx, size_t i) {
  const TypeInfo& t = ctx.input_type(i);
  if (t.kind == TypeInfo::Kind::kSequence) return t.element ? *t.element : TypeInfo{};
  if (t.is_known()) ctx.fail("input ", i, " must be a sequence, got ", t.to_string());
  return {};
}

void check_position_type(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return;
  const TypeInfo& t = ctx.input_type(i);
  if (t.kind == TypeInfo::Kind::kTensor && t.dtype != DType::kUndefined && t.dtype != DType::kInt32 &&
      t.dtype != DType::kInt64)
    ctx.fail("position must be int32 or int64, got ", t.to_string());
}

void check_same_dtype(const InferContext& ctx, const TypeInfo& a, const TypeInfo& b) {
  if (a.kind == TypeInfo::Kind::kTensor && b.kind == TypeInfo::Kind::kTensor && a.dtype != DType::kUndefined &&
      b.dtype != DType::kUndefined && a.dtype != b.dtype)
    ctx.fail("tensor of dtype ", dtype_name(b.dtype), " does not match the sequence's ", dtype_name(a.dtype));
}

// ---- SequenceEmpty ----------------------------------------------------------------------------------------------

DType empty_dtype(const Node& node) {
  const int64_t d = node.attr_int("dtype", static_cast<int64_t>(DType::kFloat32));
  if (d > INT32_MAX || !dtype_is_valid(static_cast<int32_t>(d)))
    fail_bad_input(node.describe(), ": dtype ", d, " is not a valid data type");
  return static_cast<DType>(d);
}

void infer_sequence_empty(InferContext& ctx) {
  ctx.set_output_type(0, TypeInfo::sequence(TypeInfo::tensor(empty_dtype(ctx.node()))));
}

void run_sequence_empty(KernelContext& ctx) {
  ctx.set_output_value(0, RunValue::make_sequence({}, TypeInfo::tensor(empty_dtype(ctx.node()))));
}

// ---- SequenceConstruct ------------------------------------------------------------------------------------------

void infer_sequence_construct(InferContext& ctx) {
  TypeInfo elem = ctx.input_type(0);
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    check_same_dtype(ctx, elem, ctx.input_type(i));
    elem = union_type(elem, ctx.input_type(i));
  }
  ctx.set_output_type(0, TypeInfo::sequence(elem));
}

void run_sequence_construct(KernelContext& ctx) {
  if (ctx.num_inputs() == 0) ctx.fail("needs at least one input");
  std::vector<Tensor> items;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& t = ctx.input(i);
    if (!items.empty() && t.dtype() != items[0].dtype())
      ctx.fail("input ", i, " is ", dtype_name(t.dtype()), " but input 0 is ", dtype_name(items[0].dtype()),
               "; a sequence holds one dtype");
    items.push_back(t);
  }
  const DType dt = items[0].dtype();
  ctx.set_output_value(0, RunValue::make_sequence(std::move(items), TypeInfo::tensor(dt)));
}

// ---- SequenceInsert ---------------------------------------------------------------------------------------------

void infer_sequence_insert(InferContext& ctx) {
  const TypeInfo elem = seq_element_type(ctx, 0);
  const TypeInfo& t = ctx.input_type(1);
  check_same_dtype(ctx, elem, t);
  check_position_type(ctx, 2);
  ctx.set_output_type(0, TypeInfo::sequence(union_type(elem, t)));
}

void run_sequence_insert(KernelContext& ctx) {
  const RunValue& seq = input_sequence(ctx, 0);
  const Tensor& t = ctx.input(1);
  const DType dt = element_dtype(seq);
  if (dt != DType::kUndefined && dt != t.dtype())
    ctx.fail("tensor of dtype ", dtype_name(t.dtype()), " does not match the sequence's ", dtype_name(dt));
  const int64_t n = static_cast<int64_t>(seq.sequence.size());
  const int64_t pos = ctx.has_input(2) ? position(ctx, 2, n, true) : n;
  std::vector<Tensor> items = seq.sequence;
  items.insert(items.begin() + pos, t);
  TypeInfo elem = element_type(seq);
  if (!elem.is_known()) elem = TypeInfo::tensor(t.dtype());
  ctx.set_output_value(0, RunValue::make_sequence(std::move(items), elem));
}

// ---- SequenceAt -------------------------------------------------------------------------------------------------

void infer_sequence_at(InferContext& ctx) {
  check_position_type(ctx, 1);
  ctx.set_output_type(0, seq_element_type(ctx, 0));
}

void run_sequence_at(KernelContext& ctx) {
  const RunValue& seq = input_sequence(ctx, 0);
  const int64_t pos = position(ctx, 1, static_cast<int64_t>(seq.sequence.size()), false);
  ctx.set_output(0, seq.sequence[static_cast<size_t>(pos)]);
}

// ---- SequenceErase ----------------------------------------------------------------------------------------------

void infer_sequence_erase(InferContext& ctx) {
  check_position_type(ctx, 1);
  ctx.set_output_type(0, TypeInfo::sequence(seq_element_type(ctx, 0)));
}

void run_sequence_erase(KernelContext& ctx) {
  const RunValue& seq = input_sequence(ctx, 0);
  const int64_t n = static_cast<int64_t>(seq.sequence.size());
  if (n == 0) ctx.fail("cannot erase from an empty sequence");
  const int64_t pos = ctx.has_input(1) ? position(ctx, 1, n, false) : n - 1;
  std::vector<Tensor> items = seq.sequence;
  items.erase(items.begin() + pos);
  ctx.set_output_value(0, RunValue::make_sequence(std::move(items), element_type(seq)));
}

// ---- SequenceLength ---------------------------------------------------------------------------------------------

void infer_sequence_length(InferContext& ctx) {
  seq_element_type(ctx, 0);
  ctx.set_output(0, DType::kInt64, Shape());
}

void run_sequence_length(KernelContext& ctx) {
  const RunValue& seq = input_sequence(ctx, 0);
  ctx.set_output(0, Tensor::scalar<int64_t>(static_cast<int64_t>(seq.sequence.size())));
}

// ---- ConcatFromSequence -----------------------------------------------------------------------------------------

struct ConcatAttrs {
  int64_t axis = 0;
  bool new_axis = false;
};

ConcatAttrs concat_attrs(const Node& node) {
  ConcatAttrs a;
  a.axis = node.attr_int("axis");
  const int64_t na = node.attr_int("new_axis", 0);
  if (na != 0 && na != 1) fail_bad_input(node.describe(), ": new_axis must be 0 or 1, got ", na);
  a.new_axis = na == 1;
  return a;
}

void infer_concat_from_sequence(InferContext& ctx) {
  const ConcatAttrs a = concat_attrs(ctx.node());
  const TypeInfo elem = seq_element_type(ctx, 0);
  if (elem.kind != TypeInfo::Kind::kTensor) {
    ctx.set_output_type(0, TypeInfo::tensor(DType::kUndefined));
    return;
  }
  if (!elem.shape.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(elem.dtype));
    return;
  }
  std::vector<Dim> dims = elem.shape.dims();
  const int64_t axis = normalize_axis(a.axis, static_cast<int64_t>(dims.size()), ctx.node(), a.new_axis);
  if (a.new_axis) dims.insert(dims.begin() + axis, Dim());
  else dims[static_cast<size_t>(axis)] = Dim();
  ctx.set_output(0, elem.dtype, Shape(dims));
}

void run_concat_from_sequence(KernelContext& ctx) {
  const ConcatAttrs a = concat_attrs(ctx.node());
  const RunValue& seq = input_sequence(ctx, 0);
  if (seq.sequence.empty()) ctx.fail("cannot concatenate an empty sequence");
  const int64_t rank = static_cast<int64_t>(seq.sequence[0].rank());
  const int64_t axis = normalize_axis(a.axis, rank, ctx.node(), a.new_axis);
  const std::string what = ctx.node().describe();
  if (a.new_axis) ctx.set_output(0, control::stack(seq.sequence, static_cast<size_t>(axis), what));
  else ctx.set_output(0, control::concat(seq.sequence, static_cast<size_t>(axis), what));
}

// ---- SplitToSequence --------------------------------------------------------------------------------------------

void infer_split_to_sequence(InferContext& ctx) {
  const TypeInfo& t = ctx.input_type(0);
  const int64_t axis_attr = ctx.node().attr_int("axis", 0);
  const bool keepdims = ctx.node().attr_int("keepdims", 1) != 0;
  check_position_type(ctx, 1);
  if (t.kind != TypeInfo::Kind::kTensor) {
    ctx.set_output_type(0, TypeInfo::sequence(TypeInfo{}));
    return;
  }
  if (!t.shape.rank_known()) {
    ctx.set_output_type(0, TypeInfo::sequence(TypeInfo::tensor(t.dtype)));
    return;
  }
  std::vector<Dim> dims = t.shape.dims();
  const int64_t axis = normalize_axis(axis_attr, static_cast<int64_t>(dims.size()), ctx.node());
  if (!ctx.has_input(1) && !keepdims) {
    dims.erase(dims.begin() + axis);
  } else if (!ctx.has_input(1)) {
    dims[static_cast<size_t>(axis)] = Dim(1);
  } else {
    // Equal parts of a known size (scalar split dividing the axis) keep it; anything else is unknown.
    Dim part;
    const Tensor* s = ctx.input_constant(1);
    const Dim& whole = dims[static_cast<size_t>(axis)];
    if (s && s->rank() == 0 && s->numel() == 1 && whole.is_known() && s->get_int(0) > 0 &&
        whole.value() % s->get_int(0) == 0)
      part = Dim(s->get_int(0));
    if (s && s->rank() == 1 && s->numel() > 0) {
      bool same = true;
      for (int64_t i = 1; i < s->numel(); ++i) same &= s->get_int(i) == s->get_int(0);
      if (same) part = Dim(s->get_int(0));
    }
    dims[static_cast<size_t>(axis)] = part;
  }
  ctx.set_output_type(0, TypeInfo::sequence(TypeInfo::tensor(t.dtype, Shape(dims))));
}

void run_split_to_sequence(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() == 0) ctx.fail("input must have rank >= 1, got a scalar");
  const int64_t axis = normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int64_t>(x.rank()), ctx.node());
  const bool keepdims = ctx.node().attr_int("keepdims", 1) != 0;
  const size_t ax = static_cast<size_t>(axis);
  const int64_t total = x.dim(ax);
  std::vector<int64_t> parts;
  bool squeeze = false;
  // One Tensor per part: a zero-sized input may still have a huge axis.
  check_tensor_bytes(static_cast<uint64_t>(total) * sizeof(Tensor), "SplitToSequence parts");
  if (!ctx.has_input(1)) {
    parts.assign(static_cast<size_t>(total), 1);
    squeeze = !keepdims;
  } else {
    const Tensor& s = ctx.input(1);
    if (s.dtype() != DType::kInt64 && s.dtype() != DType::kInt32)
      ctx.fail("split must be int32 or int64, got ", s.describe());
    if (s.rank() == 0) {
      const int64_t chunk = s.get_int(0);
      if (chunk <= 0) ctx.fail("split must be positive, got ", chunk);
      for (int64_t done = 0; done < total; done += chunk) parts.push_back(std::min(chunk, total - done));
    } else if (s.rank() == 1) {
      int64_t sum = 0;
      for (int64_t i = 0; i < s.numel(); ++i) {
        const int64_t p = s.get_int(i);
        if (p < 0) ctx.fail("split entries must not be negative, got ", p);
        sum += p;
        if (sum > total) break;
        parts.push_back(p);
      }
      if (sum != total)
        ctx.fail("split entries sum to ", sum, " but the input has ", total, " elements on axis ", axis);
    } else {
      ctx.fail("split must be a scalar or 1-D, got ", s.describe());
    }
  }
  std::vector<Tensor> items;
  items.reserve(parts.size());
  int64_t start = 0;
  for (int64_t p : parts) {
    items.push_back(control::slice_axis(x, ax, start, p, !squeeze));
    start += p;
  }
  ctx.set_output_value(0, RunValue::make_sequence(std::move(items), TypeInfo::tensor(x.dtype())));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "SequenceEmpty", .since_version = 11, .inputs = {0, 0},
                  .infer = infer_sequence_empty, .run = run_sequence_empty});
ONYX_REGISTER_OP({.op_type = "SequenceConstruct", .since_version = 11, .inputs = {1, INT_MAX},
                  .infer = infer_sequence_construct, .run = run_sequence_construct});
ONYX_REGISTER_OP({.op_type = "SequenceInsert", .since_version = 11, .inputs = {2, 3},
                  .infer = infer_sequence_insert, .run = run_sequence_insert});
ONYX_REGISTER_OP({.op_type = "SequenceAt", .since_version = 11, .inputs = {2, 2}, .infer = infer_sequence_at,
                  .run = run_sequence_at});
ONYX_REGISTER_OP({.op_type = "SequenceErase", .since_version = 11, .inputs = {1, 2},
                  .infer = infer_sequence_erase, .run = run_sequence_erase});
ONYX_REGISTER_OP({.op_type = "SequenceLength", .since_version = 11, .inputs = {1, 1},
                  .infer = infer_sequence_length, .run = run_sequence_length});
ONYX_REGISTER_OP({.op_type = "ConcatFromSequence", .since_version = 11, .inputs = {1, 1},
                  .infer = infer_concat_from_sequence, .run = run_concat_from_sequence});
ONYX_REGISTER_OP({.op_type = "SplitToSequence", .since_version = 11, .inputs = {1, 2},
                  .infer = infer_split_to_sequence, .run = run_split_to_sequence});

}  // namespace onyx
