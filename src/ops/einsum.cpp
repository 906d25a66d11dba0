// Einsum (opset 12): Einstein summation over any number of operands. Supports explicit ("ij,jk->ik") and implicit
// ("ij,jk": the labels seen once, in alphabetical order) outputs, ellipsis broadcasting ("...ij,...jk->...ik"),
// repeated labels within one operand (diagonals, "ii->i") and summed labels. Size-1 dims broadcast.
//
// The kernel loops over every output position and, inside, over every summed label (floats accumulate in double,
// integers wrap like their type).
#include "nn_util.h"

namespace onyx {
namespace {

constexpr int kEllipsisBase = 52;  // label ids: A-Z 0..25, a-z 26..51, ellipsis dims 52..

struct Term {
  std::vector<int> letters;  // label ids, with -1 where the ellipsis sits
  bool has_ellipsis = false;
};

Term parse_term(const Node& node, std::string_view s) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch >= 'A' && ch <= 'Z') {
      t.letters.push_back(ch - 'A');
    } else if (ch >= 'a' && ch <= 'z') {
      t.letters.push_back(26 + ch - 'a');
    } else if (ch == '.' && s.substr(i, 3) == "...") {
      if (t.has_ellipsis) fail_bad_input(node.describe(), ": more than one ellipsis in term '", s, "'");
      t.has_ellipsis = true;
      t.letters.push_back(-1);
      i += 2;
    } else {
      fail_bad_input(node.describe(), ": invalid character '", std::string(1, ch), "' in equation term '", s, "'");
    }
  }
  return t;
}

struct Equation {
  std::vector<std::vector<int>> inputs;  // per operand: label id of each dim
  std::vector<int> output;               // label id of each output dim
};

// Parses the equation for operands of the given ranks.
Equation parse_equation(const Node& node, const std::vector<size_t>& ranks) {
  std::string eq;
  for (char ch : node.attr_string("equation", "")) {
    if (ch != ' ') eq += ch;
  }
  if (!node.has_attr("equation")) fail_bad_input(node.describe(), ": attribute 'equation' is required");
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<Term> terms;
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(parse_term(node, std::string_view(lhs).substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != ranks.size())
    fail_bad_input(node.describe(), ": equation '", eq, "' has ", terms.size(), " operand terms but the node has ",
                   ranks.size(), " inputs");
  Equation e;
  int ell = 0;
  std::vector<int> ell_ranks;
  for (size_t i = 0; i < terms.size(); ++i) {
    const int letters = static_cast<int>(terms[i].letters.size()) - (terms[i].has_ellipsis ? 1 : 0);
    const int r = static_cast<int>(ranks[i]);
    if (terms[i].has_ellipsis ? r < letters : r != letters)
      fail_bad_input(node.describe(), ": term ", i, " of '", eq, "' does not match the operand's rank ", r);
    ell_ranks.push_back(terms[i].has_ellipsis ? r - letters : 0);
    ell = std::max(ell, ell_ranks.back());
  }
  if (ell > 64) fail_bad_input(node.describe(), ": an ellipsis covers more than 64 dims");
  std::vector<int> count(static_cast<size_t>(kEllipsisBase + ell), 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    std::vector<int> dims;
    for (int l : terms[i].letters) {
      if (l >= 0) {
        dims.push_back(l);
        ++count[static_cast<size_t>(l)];
      } else {
        for (int k = ell - ell_ranks[i]; k < ell; ++k) dims.push_back(kEllipsisBase + k);
      }
    }
    e.inputs.push_back(std::move(dims));
  }
  if (arrow != std::string::npos) {
    const Term out = parse_term(node, std::string_view(eq).substr(arrow + 2));
    std::vector<bool> seen(count.size(), false);
    for (int l : out.letters) {
      if (l < 0) {
        for (int k = 0; k < ell; ++k) e.output.push_back(kEllipsisBase + k);
        continue;
      }
      if (count[static_cast<size_t>(l)] == 0)
        fail_bad_input(node.describe(), ": output label of '", eq, "' does not appear in any operand");
      if (seen[static_cast<size_t>(l)]) fail_bad_input(node.describe(), ": output label repeated in '", eq, "'");
      seen[static_cast<size_t>(l)] = true;
      e.output.push_back(l);
    }
  } else {
    for (int k = 0; k < ell; ++k) e.output.push_back(kEllipsisBase + k);
    for (int l = 0; l < kEllipsisBase; ++l)
      if (count[static_cast<size_t>(l)] == 1) e.output.push_back(l);
  }
  return e;
}

void run_einsum(KernelContext& ctx) {
  const Node& node = ctx.node();
  const size_t n_in = ctx.num_inputs();
  if (n_in == 0) ctx.fail("needs at least one input");
  std::vector<size_t> ranks;
  const DType dt = ctx.input(0).dtype();
  for (size_t i = 0; i < n_in; ++i) {
    if (ctx.input(i).dtype() != dt) ctx.fail("all inputs must share one dtype");
    ranks.push_back(ctx.input(i).rank());
  }
  const Equation e = parse_equation(node, ranks);
  // Label sizes (size-1 dims broadcast).
  const int n_labels = kEllipsisBase + 64;
  std::vector<int64_t> size(static_cast<size_t>(n_labels), -1);
  for (size_t i = 0; i < n_in; ++i)
    for (size_t d = 0; d < ranks[i]; ++d) {
      const int64_t s = ctx.input(i).dim(d);
      int64_t& cur = size[static_cast<size_t>(e.inputs[i][d])];
      if (cur < 0 || cur == 1) cur = s;
      else if (s != cur && s != 1) ctx.fail("label sizes disagree: ", cur, " vs ", s, " (input ", i, " dim ", d, ")");
    }
  // Loop labels: output labels, then summed labels.
  std::vector<int> order = e.output;
  std::vector<bool> in_out(static_cast<size_t>(n_labels), false);
  for (int l : e.output) in_out[static_cast<size_t>(l)] = true;
  for (int l = 0; l < n_labels; ++l)
    if (size[static_cast<size_t>(l)] >= 0 && !in_out[static_cast<size_t>(l)]) order.push_back(l);
  const size_t n_out = e.output.size(), n_loop = order.size();
  std::vector<int64_t> loop_size(n_loop);
  for (size_t k = 0; k < n_loop; ++k) loop_size[k] = size[static_cast<size_t>(order[k])];
  // stride[i][k]: offset step of operand i along loop label k (0 where absent or broadcast).
  std::vector<std::vector<int64_t>> stride(n_in, std::vector<int64_t>(n_loop, 0));
  for (size_t i = 0; i < n_in; ++i) {
    const std::vector<int64_t> cs = contiguous_strides(ctx.input(i).dims());
    for (size_t d = 0; d < ranks[i]; ++d) {
      if (ctx.input(i).dim(d) == 1) continue;
      for (size_t k = 0; k < n_loop; ++k)
        if (order[k] == e.inputs[i][d]) stride[i][k] += cs[d];
    }
  }
  std::vector<int64_t> out_dims(loop_size.begin(), loop_size.begin() + static_cast<std::ptrdiff_t>(n_out));
  int64_t inner_total = 1;
  for (size_t k = n_out; k < n_loop; ++k) inner_total *= loop_size[k];
  dispatch_numeric(dt, node.describe(), [&]<typename T>() {
    using Acc = std::conditional_t<std::is_floating_point_v<compute_t<T>>, double, uint64_t>;
    auto to_acc = [](T v) -> Acc {
      if constexpr (std::is_floating_point_v<compute_t<T>>) return static_cast<double>(v);
      else return static_cast<uint64_t>(static_cast<int64_t>(v));
    };
    Tensor y(dt, out_dims);
    T* yv = y.data<T>();
    std::vector<const T*> xs;
    for (size_t i = 0; i < n_in; ++i) xs.push_back(ctx.input(i).data<T>());
    std::vector<int64_t> base(n_in, 0), off(n_in), oc(n_out, 0), ic(n_loop - n_out, 0);
    for (int64_t o = 0; o < y.numel(); ++o) {
      Acc acc = 0;
      if (inner_total > 0) {
        std::fill(ic.begin(), ic.end(), 0);
        off = base;
        for (int64_t t = 0; t < inner_total; ++t) {
          Acc p = to_acc(xs[0][off[0]]);
          for (size_t i = 1; i < n_in; ++i) p *= to_acc(xs[i][off[i]]);
          acc += p;
          for (size_t k = n_loop; k-- > n_out;) {
            const size_t j = k - n_out;
            for (size_t i = 0; i < n_in; ++i) off[i] += stride[i][k];
            if (++ic[j] < loop_size[k]) break;
            for (size_t i = 0; i < n_in; ++i) off[i] -= stride[i][k] * loop_size[k];
            ic[j] = 0;
          }
        }
      }
      if constexpr (std::is_floating_point_v<compute_t<T>>) yv[o] = to_storage<T>(acc);
      else yv[o] = static_cast<T>(acc);
      for (size_t k = n_out; k-- > 0;) {
        for (size_t i = 0; i < n_in; ++i) base[i] += stride[i][k];
        if (++oc[k] < loop_size[k]) break;
        for (size_t i = 0; i < n_in; ++i) base[i] -= stride[i][k] * loop_size[k];
        oc[k] = 0;
      }
    }
    ctx.set_output(0, std::move(y));
  });
}

void infer_einsum(InferContext& ctx) {
  const size_t n_in = ctx.num_inputs();
  if (n_in == 0) ctx.fail("needs at least one input");
  const DType dt = ctx.input_dtype(0);
  std::vector<size_t> ranks;
  for (size_t i = 0; i < n_in; ++i) {
    const Shape& s = ctx.input_shape(i);
    if (!s.rank_known()) {
      ctx.set_output(0, dt, Shape::unknown_rank());
      return;
    }
    ranks.push_back(s.rank());
  }
  const Equation e = parse_equation(ctx.node(), ranks);
  std::vector<Dim> label(kEllipsisBase + 64);
  std::vector<bool> set(label.size(), false);
  for (size_t i = 0; i < n_in; ++i) {
    const Shape& s = ctx.input_shape(i);
    for (size_t d = 0; d < ranks[i]; ++d) {
      const size_t l = static_cast<size_t>(e.inputs[i][d]);
      const Dim& dim = s[d];
      if (!set[l]) {
        label[l] = dim;
        set[l] = true;
      } else if (label[l].is_known() && label[l].value() == 1) {
        label[l] = dim;
      } else if (dim.is_known() && label[l].is_known() && dim.value() != 1 && dim.value() != label[l].value()) {
        ctx.fail("label sizes disagree: ", label[l].value(), " vs ", dim.value());
      } else if (!(dim == label[l]) && !(dim.is_known() && dim.value() == 1)) {
        if (!label[l].is_known() && dim.is_known()) label[l] = dim.value() == 1 ? label[l] : dim;
        else if (!dim.is_known() && label[l].is_known()) { /* keep the known size */ }
        else label[l] = Dim::unknown();
      }
    }
  }
  std::vector<Dim> out;
  for (int l : e.output) out.push_back(label[static_cast<size_t>(l)]);
  ctx.set_output(0, dt, Shape(out));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Einsum", .since_version = 12, .inputs = {1, INT_MAX}, .infer = infer_einsum,
                  .run = run_einsum});

}  // namespace onyx
