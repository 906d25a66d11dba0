// The kernel timing cache file (BuilderConfig::timing_cache_file, `onyx build --timing-cache FILE`): what the
// builder measured for each problem (a cuBLASLt matmul, a cuDNN convolution, ...) on one device, so that a rebuild
// reuses the choice instead of timing again (TensorRT's ITimingCache).
//
// An entry maps a key — the device (GPU name, compute capability, cuDNN/cuBLASLt versions) plus the problem (op
// kind, dtypes, shapes, layouts, epilogue, compute type) — to the chosen tactic id and its measured time. The file
// is JSON (docs/cuda.md, "Tactics"): {"format": "onyx-timing-cache", "version": 1, "entries": [[key, tactic, ms],
// ...], "checksum": "<FNV-1a 64 of the entries' JSON text>"}. Reading a damaged, truncated or foreign file is not an
// error: load() returns an empty cache and one warning line; save() writes a temporary file next to the target and
// renames it over (atomic on POSIX). Entries of other devices are kept (one file may serve several GPUs).
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace onyx {

class TimingCache {
 public:
  struct Entry {
    std::string tactic;
    double ms = -1;  // measured median time in milliseconds (-1: unknown)
  };

  // Parses file text; throws onyx::Error kBadInput naming what is wrong (bad JSON, format, version, checksum).
  static TimingCache parse(const std::string& text);
  std::string serialize() const;

  // Reads `path`. A missing file is an empty cache with no warning; a damaged or foreign one is an empty cache and
  // `*warning` says why (one line, to print; the file is rewritten by the next save()).
  static TimingCache load(const std::string& path, std::string* warning);
  // Writes atomically (temp file + rename). Throws kRuntime when the file cannot be written.
  void save(const std::string& path) const;

  const Entry* find(const std::string& key) const;
  void put(const std::string& key, Entry e) { entries_[key] = std::move(e); }
  size_t size() const { return entries_.size(); }
  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace onyx
