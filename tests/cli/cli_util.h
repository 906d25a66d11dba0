// Helpers for tests that run the built `onyx` binary (ONYX_BINARY) and check its exit code and output, and
// that write models built with onnx::ModelProto to temporary folders.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "onnx/onnx.pb.h"

namespace onyx::test {

struct CliResult {
  int rc = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh empty folder under the test temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "onyx_test_XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs `onyx <args>` with a time limit (a hang is a failure, not a stuck test run); captures stdout and
// stderr.
inline CliResult run_onyx(const std::vector<std::string>& args, int timeout_s = 120) {
  TempDir io;
  std::string cmd = "timeout " + std::to_string(timeout_s) + " " + shell_quote(ONYX_BINARY);
  for (const std::string& a : args) cmd += " " + shell_quote(a);
  cmd += " >" + shell_quote(io.file("out")) + " 2>" + shell_quote(io.file("err")) + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = slurp(io.file("out"));
  r.err = slurp(io.file("err"));
  return r;
}

inline size_t count_lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// The CLI's contract for bad input: exit code 2 and exactly one line on stderr that names the file and
// contains `fragment`; nothing on stdout.
inline void expect_bad_input(const CliResult& r, const std::string& path, const std::string& fragment) {
  EXPECT_EQ(r.rc, 2) << "stderr: " << r.err;
  EXPECT_EQ(count_lines(r.err), 1u) << "stderr must be exactly one line: " << r.err;
  EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n') << r.err;
  EXPECT_EQ(r.err.rfind("onyx: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(path), std::string::npos) << "stderr does not name " << path << ": " << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << "expected '" << fragment << "' in: " << r.err;
  EXPECT_TRUE(r.out.empty()) << "stdout: " << r.out;
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string write_model(const TempDir& dir, const onnx::ModelProto& m,
                               const std::string& name = "model.onnx") {
  const std::string path = dir.file(name);
  write_bytes(path, m.SerializeAsString());
  return path;
}

// ---- building ModelProtos
// ---------------------------------------------------------------------------------------

inline void set_tensor_type(onnx::ValueInfoProto* vi, const std::string& name, int elem_type,
                            const std::vector<int64_t>& dims) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

inline onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op,
                                 const std::vector<std::string>& ins, const std::vector<std::string>& outs,
                                 const std::string& name = "") {
  auto* n = g->add_node();
  n->set_op_type(op);
  if (!name.empty()) n->set_name(name);
  for (const auto& i : ins) n->add_input(i);
  for (const auto& o : outs) n->add_output(o);
  return n;
}

inline onnx::TensorProto* add_float_initializer(onnx::GraphProto* g, const std::string& name,
                                                const std::vector<int64_t>& dims,
                                                const std::vector<float>& values) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return t;
}

// A valid model: y = Relu(x) with x float32[2, 3], opset 13.
inline onnx::ModelProto relu_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("onyx-test");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("relu");
  set_tensor_type(g->add_input(), "x", onnx::TensorProto::FLOAT, {2, 3});
  set_tensor_type(g->add_output(), "y", onnx::TensorProto::FLOAT, {2, 3});
  add_node(g, "Relu", {"x"}, {"y"}, "relu");
  return m;
}

}  // namespace onyx::test
