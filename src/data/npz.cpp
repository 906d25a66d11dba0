// numpy's .npz: a zip archive of "<name>.npy" members. The writer stores entries uncompressed; the reader
// handles stored and deflated entries, zip64 sizes and offsets (numpy.savez always writes zip64 local
// headers), and checks every offset, size and CRC against the archive.
#include <zlib.h>

#include <climits>
#include <cstring>
#include <set>

#include "onyx/data.h"
#include "onyx/limits.h"

namespace onyx {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;

void put16(std::string& s, uint32_t v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
}
void put32(std::string& s, uint32_t v) {
  put16(s, v & 0xFFFF);
  put16(s, v >> 16);
}

class Reader {
 public:
  Reader(std::string_view data, const std::string& label) : d_(data), label_(label) {}
  uint16_t u16(uint64_t at) const {
    need(at, 2);
    return static_cast<uint16_t>(b(at) | (b(at + 1) << 8));
  }
  uint32_t u32(uint64_t at) const {
    need(at, 4);
    return static_cast<uint32_t>(u16(at)) | (static_cast<uint32_t>(u16(at + 2)) << 16);
  }
  uint64_t u64(uint64_t at) const {
    return static_cast<uint64_t>(u32(at)) | (static_cast<uint64_t>(u32(at + 4)) << 32);
  }
  void need(uint64_t at, uint64_t n) const {
    if (at > d_.size() || n > d_.size() - at)
      fail_bad_input(label_, ": corrupt .npz (truncated zip structure)");
  }
  std::string_view slice(uint64_t at, uint64_t n) const {
    need(at, n);
    return d_.substr(static_cast<size_t>(at), static_cast<size_t>(n));
  }
  size_t size() const { return d_.size(); }

 private:
  uint32_t b(uint64_t at) const { return static_cast<unsigned char>(d_[static_cast<size_t>(at)]); }
  std::string_view d_;
  const std::string& label_;
};

std::string inflate_raw(std::string_view in, uint64_t expected, const std::string& label,
                        const std::string& member) {
  check_tensor_bytes(expected, label.c_str());
  std::string out(static_cast<size_t>(expected), '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) fail(ErrorCode::kRuntime, label, ": zlib initialization failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  const uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != expected)
    fail_bad_input(label, ": corrupt .npz member '", member, "' (deflate data does not decode to ", expected,
                   " bytes)");
  return out;
}

}  // namespace

std::string encode_npz(const NamedTensors& tensors) {
  std::string out, central;
  std::set<std::string> seen;
  uint16_t count = 0;
  for (const auto& [name, t] : tensors) {
    if (name.empty()) fail_bad_input(".npz: every tensor needs a name");
    if (!seen.insert(name).second) fail_bad_input(".npz: tensor '", name, "' given twice");
    if (count == 0xFFFF) fail_bad_input(".npz: too many tensors (65535 at most)");
    const std::string member = name + ".npy";
    const std::string data = encode_npy(t);
    if (data.size() >= 0xFFFFFFFFull || out.size() >= 0xFFFFFFFFull)
      fail_unsupported(".npz: tensor '", name, "' is too large for a zip without zip64 (use .npy or .pb)");
    if (member.size() > 0xFFFF) fail_bad_input(".npz: tensor name too long");
    const uint32_t crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    const uint32_t offset = static_cast<uint32_t>(out.size());
    const uint32_t size = static_cast<uint32_t>(data.size());
    // Local file header.
    put32(out, kLocalSig);
    put16(out, 20);      // version needed
    put16(out, 0x0800);  // flags: UTF-8 names
    put16(out, 0);       // stored
    put16(out, 0);       // time
    put16(out, 0x21);    // date: 1980-01-01
    put32(out, crc);
    put32(out, size);
    put32(out, size);
    put16(out, static_cast<uint32_t>(member.size()));
    put16(out, 0);
    out += member;
    out += data;
    // Central directory entry.
    put32(central, kCentralSig);
    put16(central, 20);  // made by
    put16(central, 20);
    put16(central, 0x0800);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0x21);
    put32(central, crc);
    put32(central, size);
    put32(central, size);
    put16(central, static_cast<uint32_t>(member.size()));
    put16(central, 0);  // extra
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attrs
    put32(central, 0);  // external attrs
    put32(central, offset);
    central += member;
    ++count;
  }
  if (out.size() + central.size() >= 0xFFFFFFFFull)
    fail_unsupported(".npz: archive too large for a zip without zip64 (use .npy or .pb)");
  const uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  put32(out, kEndSig);
  put16(out, 0);
  put16(out, 0);
  put16(out, count);
  put16(out, count);
  put32(out, static_cast<uint32_t>(central.size()));
  put32(out, cd_offset);
  put16(out, 0);
  return out;
}

NamedTensors decode_npz(std::string_view bytes, const std::string& label) {
  Reader r(bytes, label);
  if (bytes.size() < 22) fail_bad_input(label, ": not a .npz file (too small for a zip archive)");
  if (r.u32(0) != kLocalSig && r.u32(0) != kEndSig)
    fail_bad_input(label, ": not a .npz file (no zip signature)");
  // The end-of-central-directory record: within the last 22 + 65535 bytes.
  int64_t eocd = -1;
  const int64_t lowest = std::max<int64_t>(0, static_cast<int64_t>(bytes.size()) - 22 - 65535);
  for (int64_t p = static_cast<int64_t>(bytes.size()) - 22; p >= lowest; --p)
    if (r.u32(static_cast<uint64_t>(p)) == kEndSig) {
      eocd = p;
      break;
    }
  if (eocd < 0) fail_bad_input(label, ": corrupt .npz (no end of central directory)");
  uint64_t entries = r.u16(eocd + 10);
  uint64_t cd_size = r.u32(eocd + 12);
  uint64_t cd_offset = r.u32(eocd + 16);
  if ((entries == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) && eocd >= 20 &&
      r.u32(eocd - 20) == kZip64LocatorSig) {
    const uint64_t z64 = r.u64(eocd - 20 + 8);
    if (r.u32(z64) != kZip64EndSig) fail_bad_input(label, ": corrupt .npz (bad zip64 end record)");
    entries = r.u64(z64 + 32);
    cd_size = r.u64(z64 + 40);
    cd_offset = r.u64(z64 + 48);
  }
  r.need(cd_offset, cd_size);
  if (entries > cd_size / 46 + 1) fail_bad_input(label, ": corrupt .npz (entry count exceeds the directory)");
  NamedTensors out;
  std::set<std::string> seen;
  uint64_t p = cd_offset;
  for (uint64_t i = 0; i < entries; ++i) {
    if (r.u32(p) != kCentralSig)
      fail_bad_input(label, ": corrupt .npz (bad central directory entry ", i, ")");
    const uint16_t flags = r.u16(p + 8);
    const uint16_t method = r.u16(p + 10);
    const uint32_t crc = r.u32(p + 16);
    uint64_t csize = r.u32(p + 20);
    uint64_t usize = r.u32(p + 24);
    const uint16_t name_len = r.u16(p + 28);
    const uint16_t extra_len = r.u16(p + 30);
    const uint16_t comment_len = r.u16(p + 32);
    uint64_t local = r.u32(p + 42);
    const std::string member(r.slice(p + 46, name_len));
    // zip64 extended information: the fields that are 0xFFFFFFFF, in order.
    uint64_t e = p + 46 + name_len;
    const uint64_t e_end = e + extra_len;
    r.need(e, extra_len);
    while (e + 4 <= e_end) {
      const uint16_t id = r.u16(e), len = r.u16(e + 2);
      if (e + 4 + len > e_end) fail_bad_input(label, ": corrupt .npz (bad extra field in '", member, "')");
      if (id == 0x0001) {
        uint64_t q = e + 4;
        auto take = [&](uint64_t& field) {
          if (field != 0xFFFFFFFF) return;
          if (q + 8 > e + 4 + len)
            fail_bad_input(label, ": corrupt .npz (short zip64 field in '", member, "')");
          field = r.u64(q);
          q += 8;
        };
        take(usize);
        take(csize);
        take(local);
      }
      e += 4 + len;
    }
    p = e_end + comment_len;
    if (flags & 1) fail_unsupported(label, ": encrypted .npz member '", member, "'");
    if (r.u32(local) != kLocalSig)
      fail_bad_input(label, ": corrupt .npz (bad local header for '", member, "')");
    const uint64_t data_at = local + 30 + r.u16(local + 26) + r.u16(local + 28);
    const std::string_view raw = r.slice(data_at, csize);
    std::string inflated;
    std::string_view data;
    if (method == 0) {
      if (csize != usize) fail_bad_input(label, ": corrupt .npz (stored member '", member, "' sizes differ)");
      data = raw;
    } else if (method == 8) {
      inflated = inflate_raw(raw, usize, label, member);
      data = inflated;
    } else {
      fail_unsupported(label, ": .npz member '", member, "' uses compression method ", method,
                       " (only stored and deflate are supported)");
    }
    uLong actual_crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < data.size();) {
      const size_t chunk = std::min<size_t>(data.size() - off, 1u << 30);
      actual_crc =
          crc32(actual_crc, reinterpret_cast<const Bytef*>(data.data() + off), static_cast<uInt>(chunk));
      off += chunk;
    }
    if (static_cast<uint32_t>(actual_crc) != crc)
      fail_bad_input(label, ": corrupt .npz (CRC mismatch in member '", member, "')");
    if (member.empty() || member.back() == '/') continue;  // folders
    std::string name = member;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
    if (!seen.insert(name).second) fail_bad_input(label, ": .npz holds '", name, "' twice");
    out.emplace_back(name, decode_npy(data, label + ":" + member));
  }
  return out;
}

}  // namespace onyx
