// Plan container: header, checksum, sections. See docs/plan-format.md.
#include "plan_file.h"

#include <zlib.h>

#include <cstring>
#include <new>

#include "onyx/error.h"

namespace onyx::plan {

namespace {

void put_u32(std::string& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u64(std::string& out, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t get_u32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(b[at + i])) << (8 * i);
  return v;
}
uint64_t get_u64(std::string_view b, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b[at + i])) << (8 * i);
  return v;
}

size_t align_up(size_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

uint32_t crc(uint32_t c, std::string_view b) {
  const auto* p = reinterpret_cast<const Bytef*>(b.data());
  size_t n = b.size();
  while (n > 0) {
    const auto chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    c = static_cast<uint32_t>(crc32(c, p, chunk));
    p += chunk;
    n -= chunk;
  }
  return c;
}

uint32_t checksum(std::string_view header56, std::string_view payload) {
  return crc(crc(static_cast<uint32_t>(crc32(0L, Z_NULL, 0)), header56), payload);
}

std::string_view section_name(uint32_t tag) {
  switch (tag) {
    case 1:
      return "meta";
    case 2:
      return "model";
    case 3:
      return "weights";
    default:
      return "?";
  }
}

}  // namespace

std::string_view onyx_version() {
  return ONYX_VERSION_STRING;
}

AlignedBuffer AlignedBuffer::allocate(size_t size) {
  AlignedBuffer b;
  void* p = ::operator new(std::max<size_t>(size, 1), std::align_val_t(kAlign), std::nothrow);
  if (!p) fail(ErrorCode::kRuntime, "out of memory allocating ", size, " bytes for a plan");
  b.data = std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p),
                                    [](uint8_t* q) { ::operator delete(q, std::align_val_t(kAlign)); });
  b.size = size;
  return b;
}

std::string write_plan(const Header& header, const std::vector<Section>& sections) {
  // Payload: per section a 16-byte record (tag u32, reserved u32, size u64) then the data at the next
  // multiple of 64 (file offsets; the header is 64 bytes), then padding to a multiple of 64.
  size_t payload = 0;
  for (const Section& s : sections) payload = align_up(align_up(payload + 16) + s.data.size());
  std::string out(kHeaderSize + payload, '\0');
  std::memcpy(out.data(), kMagic, 8);
  put_u32(out, 8, header.format_version);
  put_u32(out, 12, static_cast<uint32_t>(kHeaderSize));
  if (header.onyx_version.size() > 15) fail_bad_input("plan: onyx version string too long");
  std::memcpy(out.data() + 16, header.onyx_version.data(), header.onyx_version.size());
  put_u32(out, 32, static_cast<uint32_t>(header.target));
  put_u32(out, 36, header.gpu_arch);
  put_u64(out, 40, header.options_hash);
  put_u64(out, 48, payload);
  size_t pos = 0;
  for (const Section& s : sections) {
    put_u32(out, kHeaderSize + pos, static_cast<uint32_t>(s.tag));
    put_u64(out, kHeaderSize + pos + 8, s.data.size());
    pos = align_up(pos + 16);
    if (!s.data.empty()) std::memcpy(out.data() + kHeaderSize + pos, s.data.data(), s.data.size());
    pos = align_up(pos + s.data.size());
  }
  const std::string_view all(out);
  put_u64(out, 56, checksum(all.substr(0, 56), all.substr(kHeaderSize)));
  return out;
}

Header read_plan(std::string_view b, const std::string& label, Target expected_target,
                 std::vector<Section>& sections) {
  auto bad = [&](const auto&... parts) { fail_bad_input(label, ": ", parts...); };
  if (b.size() < kHeaderSize)
    bad("not a plan: truncated (", b.size(), " bytes; a plan header alone is ", kHeaderSize, ")");
  if (std::memcmp(b.data(), kMagic, 8) != 0) bad("not an onyx plan (bad magic; expected \"ONYXPLAN\")");
  Header h;
  h.format_version = get_u32(b, 8);
  if (h.format_version != kFormatVersion)
    bad("plan format version ", h.format_version, "; this onyx reads version ", kFormatVersion,
        " (rebuild the plan with this onyx)");
  if (get_u32(b, 12) != kHeaderSize) bad("damaged plan (header size ", get_u32(b, 12), ", expected 64)");
  h.payload_size = get_u64(b, 48);
  if (h.payload_size > b.size() - kHeaderSize)
    bad("truncated plan (payload of ", h.payload_size, " bytes, only ", b.size() - kHeaderSize, " present)");
  if (h.payload_size < b.size() - kHeaderSize)
    bad("damaged plan (", b.size() - kHeaderSize - h.payload_size, " bytes after the payload)");
  const uint64_t stored = get_u64(b, 56);
  if (stored != checksum(b.substr(0, 56), b.substr(kHeaderSize)))
    bad("damaged plan (checksum mismatch: the file was modified or corrupted; rebuild it)");
  const std::string_view ver = b.substr(16, 16);
  h.onyx_version = std::string(ver.substr(0, std::min(ver.find('\0'), ver.size())));
  if (h.onyx_version != onyx_version())
    bad("plan built by onyx ", h.onyx_version, "; this is onyx ", onyx_version(), " (rebuild the plan)");
  const uint32_t target = get_u32(b, 32);
  h.gpu_arch = get_u32(b, 36);
  if (target != 1 && target != 2) bad("damaged plan (unknown target id ", target, ")");
  h.target = static_cast<Target>(target);
  if (h.target != expected_target)
    bad("plan is for target ", target_name(h.target),
        h.target == Target::kCuda ? " (sm_" + std::to_string(h.gpu_arch) + ")" : std::string(),
        "; this engine runs ", target_name(expected_target));
  if (h.target == Target::kCpu && h.gpu_arch != 0) bad("damaged plan (cpu plan with a GPU architecture)");
  h.options_hash = get_u64(b, 40);
  const std::string_view payload = b.substr(kHeaderSize);
  size_t pos = 0;
  sections.clear();
  bool seen[4] = {false, false, false, false};
  while (pos < payload.size()) {
    if (payload.size() - pos < 16) bad("damaged plan (section record past the end)");
    const uint32_t tag = get_u32(payload, pos);
    const uint64_t size = get_u64(payload, pos + 8);
    if (tag < 1 || tag > 3) bad("damaged plan (unknown section tag ", tag, ")");
    if (seen[tag]) bad("damaged plan (section '", section_name(tag), "' twice)");
    seen[tag] = true;
    pos = align_up(pos + 16);
    if (pos > payload.size() || size > payload.size() - pos)
      bad("damaged plan (section '", section_name(tag), "' of ", size, " bytes runs past the end)");
    sections.push_back({static_cast<SectionTag>(tag), payload.substr(pos, size)});
    pos = align_up(pos + size);
  }
  for (uint32_t t = 1; t <= 3; ++t)
    if (!seen[t]) bad("damaged plan (no '", section_name(t), "' section)");
  return h;
}

}  // namespace onyx::plan
