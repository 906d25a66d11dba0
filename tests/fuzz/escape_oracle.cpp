#include "escape_oracle.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

namespace onyx::fuzz {

namespace {
unsigned char g_secret[8];
std::string g_root;

void remove_root() {
  std::error_code ec;
  if (!g_root.empty()) std::filesystem::remove_all(g_root, ec);
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}
}  // namespace

std::string make_model_folder() {
  namespace fs = std::filesystem;
  std::random_device rd;
  for (auto& b : g_secret) b = static_cast<unsigned char>(rd() | 0x80);  // never all-zero
  g_root = (fs::temp_directory_path() / ("onyx-fuzz-" + std::to_string(::getpid()))).string();
  fs::create_directories(g_root + "/model/sub");
  std::atexit(remove_root);
  std::string secret;
  for (int i = 0; i < 512; ++i) secret.append(reinterpret_cast<const char*>(g_secret), 8);
  write(g_root + "/outside.bin", secret);
  std::string inside(64, '\0');
  for (size_t i = 0; i < inside.size(); ++i) inside[i] = static_cast<char>(i);
  write(g_root + "/model/w.bin", inside);
  fs::create_symlink("../outside.bin", g_root + "/model/link.bin");
  fs::create_directory_symlink("..", g_root + "/model/up");
  return g_root + "/model";
}

bool contains_secret(std::string_view bytes) {
  // Plain loops: no memcmp/memmem, whose interceptors would hand the secret to libFuzzer.
  for (size_t i = 0; i + 8 <= bytes.size(); ++i) {
    for (int rot = 0; rot < 8; ++rot) {
      int k = 0;
      while (k < 8 && static_cast<unsigned char>(bytes[i + k]) == g_secret[(rot + k) % 8]) ++k;
      if (k == 8) return true;
    }
  }
  return false;
}

}  // namespace onyx::fuzz
