// .npy / .npz encoding, decoding, numpy interop and corrupt-file handling.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "onyx/data.h"
#include "onyx/onnx.h"

namespace onyx {
namespace {

namespace fs = std::filesystem;

bool have_numpy() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
  return ok;
}

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("onyx_data_test_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

int python(const std::string& code) {
  const std::string cmd = "/usr/bin/python3 -c '" + code + "'";
  return std::system(cmd.c_str());
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return static_cast<ErrorCode>(0);
}

TEST(Npy, RoundTripsEveryNumpyDtype) {
  const std::vector<Tensor> cases = {
      Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, -6.5f}),
      Tensor::from_vector<double>({3}, {1e300, -0.0, 3}),
      Tensor::from_vector<Float16>({2}, {Float16(1.5f), Float16(-2)}),
      Tensor::from_vector<int8_t>({2}, {-128, 127}),
      Tensor::from_vector<int16_t>({1}, {-300}),
      Tensor::from_vector<int32_t>({2, 1}, {7, -7}),
      Tensor::from_vector<int64_t>({}, {1LL << 40}),
      Tensor::from_vector<uint8_t>({3}, {0, 128, 255}),
      Tensor::from_vector<uint16_t>({1}, {65535}),
      Tensor::from_vector<uint32_t>({1}, {4000000000u}),
      Tensor::from_vector<uint64_t>({1}, {~0ull}),
      Tensor::from_vector<bool>({4}, {true, false, false, true}),
      Tensor(DType::kFloat32, {0, 3}),
      Tensor::from_vector<std::string>({2}, {"héllo", ""}),
  };
  for (const Tensor& t : cases) {
    const Tensor back = decode_npy(encode_npy(t), "mem");
    EXPECT_TRUE(back.bitwise_equal(t)) << t.describe() << " came back as " << back.describe();
  }
}

TEST(Npy, HeaderIsPaddedTo64Bytes) {
  const std::string b = encode_npy(Tensor::from_vector<float>({1, 2}, {1, 2}));
  const size_t header_len = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_NE(b.find("'shape': (1, 2), }"), std::string::npos);
  const std::string one = encode_npy(Tensor::from_vector<float>({5}, {1, 2, 3, 4, 5}));
  EXPECT_NE(one.find("'shape': (5,), }"), std::string::npos);
}

TEST(Npy, BFloat16HasNoNumpyDtype) {
  EXPECT_EQ(code_of([] { encode_npy(Tensor::from_vector<BFloat16>({1}, {BFloat16(1.f)})); }),
            ErrorCode::kUnsupported);
}

TEST(Npy, CorruptFilesAreBadInput) {
  const std::string good = encode_npy(Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(code_of([] { decode_npy("not numpy at all", "f.npy"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { decode_npy(good.substr(0, good.size() - 3), "f.npy"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { decode_npy(good + "xx", "f.npy"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { decode_npy(good.substr(0, 20), "f.npy"); }), ErrorCode::kBadInput);
  std::string bad_descr = good;
  bad_descr.replace(bad_descr.find("<f4"), 3, "<q4");
  EXPECT_EQ(code_of([&] { decode_npy(bad_descr, "f.npy"); }), ErrorCode::kBadInput);
  std::string huge = good;
  huge.replace(huge.find("(2, 2)"), 6, "(9999999999999, 9999999)");
  EXPECT_EQ(code_of([&] { decode_npy(huge, "f.npy"); }), ErrorCode::kBadInput);
  std::string pickled = good;
  pickled.replace(pickled.find("<f4"), 3, "|O8");
  try {
    decode_npy(pickled, "f.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f.npy"), std::string::npos) << e.what();
  }
}

TEST(Npz, RoundTripsNamedTensors) {
  NamedTensors in = {{"x", Tensor::from_vector<float>({2}, {1, 2})},
                     {"idx", Tensor::from_vector<int64_t>({1, 1}, {9})},
                     {"flag", Tensor::scalar<bool>(true)}};
  const NamedTensors out = decode_npz(encode_npz(in), "mem.npz");
  ASSERT_EQ(out.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out[i].first, in[i].first);
    EXPECT_TRUE(out[i].second.bitwise_equal(in[i].second));
  }
}

TEST(Npz, CorruptArchivesAreBadInput) {
  const std::string good = encode_npz({{"x", Tensor::from_vector<float>({3}, {1, 2, 3})}});
  EXPECT_EQ(code_of([&] { decode_npz(good.substr(0, good.size() - 10), "f.npz"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { decode_npz("PK\x03\x04 garbage garbage garbage", "f.npz"); }),
            ErrorCode::kBadInput);
  std::string flipped = good;
  flipped[flipped.find("NUMPY") + 80] ^= 0x55;  // a data byte: CRC must catch it
  EXPECT_EQ(code_of([&] { decode_npz(flipped, "f.npz"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { encode_npz({{"", Tensor::scalar<float>(1)}}); }), ErrorCode::kBadInput);
}

TEST(NumpyInterop, OnyxFilesLoadInNumpy) {
  if (!have_numpy()) GTEST_SKIP() << "python3-numpy not installed";
  const fs::path dir = temp_dir("to_numpy");
  write_file_atomic((dir / "a.npy").string(),
                    encode_npy(Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6})));
  write_file_atomic((dir / "s.npy").string(), encode_npy(Tensor::from_vector<std::string>({2}, {"ab", "c"})));
  write_file_atomic((dir / "b.npz").string(),
                    encode_npz({{"x", Tensor::from_vector<int64_t>({2}, {-1, 5})},
                                {"m", Tensor::from_vector<bool>({2}, {true, false})}}));
  const std::string d = dir.string();
  EXPECT_EQ(python("import numpy as np\n"
                   "a = np.load(\"" +
                   d +
                   "/a.npy\")\n"
                   "assert a.dtype == np.float32 and a.shape == (2, 3) and a[1, 2] == 6, a\n"
                   "s = np.load(\"" +
                   d +
                   "/s.npy\")\n"
                   "assert list(s) == [\"ab\", \"c\"], s\n"
                   "z = np.load(\"" +
                   d +
                   "/b.npz\")\n"
                   "assert list(z.keys()) == [\"x\", \"m\"]\n"
                   "assert z[\"x\"].dtype == np.int64 and list(z[\"x\"]) == [-1, 5]\n"
                   "assert z[\"m\"].dtype == np.bool_ and list(z[\"m\"]) == [True, False]\n"),
            0);
  fs::remove_all(dir);
}

TEST(NumpyInterop, NumpyFilesLoadInOnyx) {
  if (!have_numpy()) GTEST_SKIP() << "python3-numpy not installed";
  const fs::path dir = temp_dir("from_numpy");
  const std::string d = dir.string();
  ASSERT_EQ(python("import numpy as np\n"
                   "a = np.arange(6, dtype=np.float32).reshape(2, 3)\n"
                   "np.save(\"" +
                   d +
                   "/c.npy\", a)\n"
                   "np.save(\"" +
                   d +
                   "/f.npy\", np.asfortranarray(a))\n"
                   "np.save(\"" +
                   d +
                   "/be.npy\", a.astype(\">f4\"))\n"
                   "np.save(\"" +
                   d +
                   "/h.npy\", np.array([1.5, -2], dtype=np.float16))\n"
                   "np.save(\"" +
                   d +
                   "/u.npy\", np.array([\"xy\", \"z\"]))\n"
                   "np.savez(\"" +
                   d +
                   "/s.npz\", x=a, y=np.array([1, 2], dtype=np.int32))\n"
                   "np.savez_compressed(\"" +
                   d + "/z.npz\", x=a, y=np.zeros((100, 100), dtype=np.uint8))\n"),
            0);
  for (const char* f : {"c.npy", "f.npy", "be.npy"}) {
    const Tensor t = decode_npy(read_file_bytes(d + "/" + f), f);
    EXPECT_EQ(t.describe(), "float32[2,3]") << f;
    for (int i = 0; i < 6; ++i) EXPECT_EQ(t.data<float>()[i], static_cast<float>(i)) << f;
  }
  const Tensor h = decode_npy(read_file_bytes(d + "/h.npy"), "h");
  EXPECT_EQ(static_cast<float>(h.data<Float16>()[0]), 1.5f);
  const Tensor u = decode_npy(read_file_bytes(d + "/u.npy"), "u");
  EXPECT_EQ(u.data<std::string>()[0], "xy");
  EXPECT_EQ(u.data<std::string>()[1], "z");
  for (const char* f : {"s.npz", "z.npz"}) {
    const NamedTensors z = decode_npz(read_file_bytes(d + "/" + f), f);
    ASSERT_EQ(z.size(), 2u) << f;
    EXPECT_EQ(z[0].first, "x");
    EXPECT_EQ(z[0].second.data<float>()[5], 5.f);
    EXPECT_EQ(z[1].first, "y");
  }
  const NamedTensors zc = decode_npz(read_file_bytes(d + "/z.npz"), "z");
  EXPECT_EQ(zc[1].second.describe(), "uint8[100,100]");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace onyx
