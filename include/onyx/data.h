// Inference data: the files tensors travel in (.npy, .npz, ONNX TensorProto .pb, ONNX backend-test folders
// and Polygraphy's JSON), and the DataLoader that makes seeded synthetic inputs for `onyx run`.
//
// Everything read here is untrusted: every size is checked against the bytes present and against limits()
// before memory is claimed, and a malformed file throws a kBadInput onyx::Error naming the file and what is
// wrong.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "onyx/graph.h"
#include "onyx/tensor.h"

namespace onyx {

// An ordered set of named tensors: one feed dict, or the outputs of one inference. A name may be empty in
// data read from files that carry no names (a bare .npy, an unnamed TensorProto): such tensors bind by
// position.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
// The tensor called `name`, or nullptr.
const Tensor* find_tensor(const NamedTensors& tensors, std::string_view name);

// What a model says about one of its inputs or outputs.
struct TensorMeta {
  std::string name;
  DType dtype = DType::kUndefined;      // kUndefined when the model does not say
  Shape shape = Shape::unknown_rank();  // dims may be symbolic or unknown
};
using TensorMetadata = std::vector<TensorMeta>;
// "x: float32[batch,3,224,224]"
std::string describe(const TensorMeta& meta);

// ---- .npy (numpy's format, versions 1-3)
// ------------------------------------------------------------------------ Numeric and bool tensors (numpy
// has no bfloat16/float8: those throw kUnsupported). Strings are read from and written as numpy's fixed-width
// unicode ('<U').
std::string encode_npy(const Tensor& t);
Tensor decode_npy(std::string_view bytes, const std::string& label);

// ---- .npz (a zip of .npy members, as numpy.savez writes)
// -------------------------------------------------------- Writes stored (uncompressed) entries "<name>.npy";
// reads stored and deflated entries (zip64 included).
std::string encode_npz(const NamedTensors& tensors);
NamedTensors decode_npz(std::string_view bytes, const std::string& label);

// ---- Polygraphy JSON
// --------------------------------------------------------------------------------------------- One runner's
// results: its name, and for each iteration the named tensors and (when known) the inference time.
struct RunnerData {
  std::string runner;  // "" for plain input data
  std::vector<NamedTensors> iterations;
  std::vector<double> runtimes;  // seconds; empty or one per iteration
};

// Polygraphy's `--save-inputs` format: a list of feed dicts, arrays as {"array": base64 npy,
// "polygraphy_class": "ndarray"}.
std::string encode_polygraphy_inputs(const std::vector<NamedTensors>& iterations);
// Polygraphy's RunResults (`--save-outputs`): {"lst": [[runner, [IterationResult, ...]], ...]}.
std::string encode_polygraphy_run_results(const std::vector<RunnerData>& runs);
// Reads either format (also a single {name: array} dict, and Polygraphy's legacy type markers). A list of
// feed dicts comes back as one RunnerData with an empty runner name.
std::vector<RunnerData> decode_polygraphy_json(std::string_view text, const std::string& label);

// ---- any tensor file, by extension or folder
// ----------------------------------------------------------------------- Which files of an ONNX backend-test
// folder (input_N.pb or output_N.pb) a folder path means.
enum class DataRole { kInputs, kOutputs };

struct TensorData {
  std::string format;            // "npy", "npz", "pb", "json", "test-data folder"
  std::vector<RunnerData> runs;  // one, except for a Polygraphy RunResults of several runners
};

// Reads `path`:
//   *.npy          one tensor (unnamed), one iteration
//   *.npz          one iteration; members "iteration_N/<name>" make several
//   *.pb           one TensorProto (named by its name field, if set)
//   *.json         Polygraphy inputs or RunResults
//   a folder       input_N.pb / output_N.pb (by `role`), or test_data_set_N sub-folders (one iteration each),
//   or an
//                  ONNX backend-test case folder (model.onnx + test_data_set_N)
// Throws kBadInput naming the file on anything unreadable.
TensorData read_tensor_data(const std::string& path, DataRole role);
// Writes `runs` to `path` in the format its extension names (a path ending in '/' or without extension is a
// folder). .json writes inputs as a feed-dict list and outputs as a RunResults of every run; the other
// formats hold one run (the first), and .npy/.pb one tensor. Files are written atomically.
void write_tensor_data(const std::string& path, const std::vector<RunnerData>& runs, DataRole role);

// Matches tensors read from a file to a model's inputs or outputs: named tensors by name, unnamed ones by
// position. Checks each tensor's dtype and shape against `meta` (known dims must agree). `what` names the
// tensors in errors
// ("input", "output"). With `require_all`, every entry of `meta` must be present. Entries named in
// `also_allowed` (intermediate values, for --mark-all) are kept without checks. Throws kBadInput naming
// `label`.
NamedTensors bind_tensors(const NamedTensors& loaded, const TensorMetadata& meta, const std::string& label,
                          const std::string& what, bool require_all,
                          const std::vector<std::string>& also_allowed = {});

// ---- synthetic inputs
// ------------------------------------------------------------------------------------------
struct ValueRange {
  double lo = 0;
  double hi = 1;
};

struct DataLoaderOptions {
  // Iteration i draws from seed + i (numpy's RandomState(seed + i), like Polygraphy's DataLoader).
  uint64_t seed = 1;
  int iterations = 1;
  // Concrete shapes for inputs with dynamic dims (--input-shapes). For a 1-D integer input whose length
  // equals the given rank, the values are used as the tensor's contents (a shape input), as Polygraphy does.
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // Shapes from an optimization profile's `opt` (used when input_shapes does not name the input).
  std::map<std::string, std::vector<int64_t>> profile_opt;
  // Per-input value ranges (inclusive); the key "" sets the default for inputs not listed. Default [0, 1].
  std::map<std::string, ValueRange> val_ranges;
};

// Generates inputs: floats uniform in [lo, hi] and integers/bools uniform in {lo..hi}, drawn exactly as
// numpy's legacy RandomState does (MT19937), so the data equals Polygraphy's for the same seed. Dynamic dims
// take the shape from input_shapes, then profile_opt, else 1. Integer inputs that a model uses as shapes,
// indices, axes or slice bounds (Reshape's shape, Gather's indices, ...) get values that keep the model
// valid, unless a range is given for them.
class DataLoader {
 public:
  // `graph` (optional) lets the loader see how integer inputs are used. Throws kBadInput for --input-shapes
  // or
  // --val-range entries that name no input, or shapes that contradict the model.
  DataLoader(TensorMetadata inputs, DataLoaderOptions options, const Graph* graph = nullptr);
  int size() const { return options_.iterations; }
  // The feed dict of iteration `i` (0 <= i < size()); the same i always gives the same data.
  NamedTensors operator[](int i) const;
  // The concrete shape generated for `name`.
  std::vector<int64_t> concrete_shape(const std::string& name) const;

 private:
  struct Plan {
    TensorMeta meta;
    std::vector<int64_t> dims;
    std::optional<std::vector<int64_t>> values;  // fixed contents (shape inputs)
    int role = 0;                                // how the model uses an integer input (data_loader.cpp)
    int64_t index_bound = 0;                     // exclusive bound for index roles (0: unknown)
    ValueRange range;
    bool range_given = false;
  };
  TensorMetadata inputs_;
  DataLoaderOptions options_;
  std::vector<Plan> plans_;
};

// Parses "x:[1,3,224,224],y:[2]" (--input-shapes) and "x:[0,1],[-1,1]" (--val-range; an entry without a name
// sets the default). Throws kBadInput quoting the bad text.
std::map<std::string, std::vector<int64_t>> parse_input_shapes(const std::vector<std::string>& items);
std::map<std::string, ValueRange> parse_val_ranges(const std::vector<std::string>& items);

}  // namespace onyx
