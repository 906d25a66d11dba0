#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include "onyx/error.h"
#include "onyx/limits.h"
#include "onyx/onnx.h"

namespace onyx {

std::string read_file_bytes(const std::string& path, uint64_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail_bad_input(path, ": ", std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail_bad_input(path, ": is a directory, expected a file");
  if (!S_ISREG(st.st_mode)) fail_bad_input(path, ": not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (max_bytes && size > max_bytes) fail_bad_input(path, ": file of ", size, " bytes exceeds the limit of ", max_bytes);
  check_tensor_bytes(size, path.c_str());
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_bad_input(path, ": cannot open for reading");
  std::string bytes(static_cast<size_t>(size), '\0');
  if (size && !in.read(bytes.data(), static_cast<std::streamsize>(size)))
    fail_bad_input(path, ": read failed");
  return bytes;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  std::random_device rd;
  const std::string tmp = path + ".tmp" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 100000);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail_bad_input(path, ": cannot open for writing");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      std::remove(tmp.c_str());
      fail(ErrorCode::kRuntime, path, ": write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    fail_bad_input(path, ": cannot write (", why, ")");
  }
}

}  // namespace onyx
