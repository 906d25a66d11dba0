// onyx::Error — the one exception type of onyx.
//
// Every failure that reaches a user is an onyx::Error carrying a code (which the CLI turns into its exit code) and
// a one-line message that names the file, node, op and what is wrong.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace onyx {

enum class ErrorCode : int {
  kMismatch = 1,     // outputs disagree (used by compare tools)
  kBadInput = 2,     // malformed model/file, bad usage, invalid shapes
  kUnsupported = 3,  // valid ONNX that onyx does not implement
  kRuntime = 4,      // device or runtime failure
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
  ErrorCode code() const noexcept { return code_; }
  int exit_code() const noexcept { return static_cast<int>(code_); }

 private:
  ErrorCode code_;
};

namespace detail {
inline void append_all(std::string&) {}
template <typename T, typename... Rest>
void append_all(std::string& out, const T& first, const Rest&... rest);
}  // namespace detail

// Builds a message from streamable parts: fail_bad_input("node '", name, "': rank ", r, " < 2").
template <typename... Parts>
[[noreturn]] void fail(ErrorCode code, const Parts&... parts);
template <typename... Parts>
[[noreturn]] void fail_bad_input(const Parts&... parts) {
  fail(ErrorCode::kBadInput, parts...);
}
template <typename... Parts>
[[noreturn]] void fail_unsupported(const Parts&... parts) {
  fail(ErrorCode::kUnsupported, parts...);
}

}  // namespace onyx

#include <sstream>

namespace onyx {
namespace detail {
template <typename T, typename... Rest>
void append_all(std::string& out, const T& first, const Rest&... rest) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out += std::string_view(first);
  } else {
    std::ostringstream os;
    os << first;
    out += os.str();
  }
  append_all(out, rest...);
}
}  // namespace detail

template <typename... Parts>
[[noreturn]] void fail(ErrorCode code, const Parts&... parts) {
  std::string message;
  detail::append_all(message, parts...);
  throw Error(code, std::move(message));
}

// Checks a condition on input data; throws a kBadInput Error with the given parts when it does not hold.
#define ONYX_CHECK(cond, ...)                          \
  do {                                                 \
    if (!(cond)) ::onyx::fail_bad_input(__VA_ARGS__);  \
  } while (0)

}  // namespace onyx
