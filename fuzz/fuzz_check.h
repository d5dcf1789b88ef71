// Invariant checks shared by the libFuzzer targets.
//
// MES_FUZZ_CHECK(condition, detail) prints the broken condition, its file and line and the
// `detail` string (evaluated only on failure), then traps: libFuzzer reports the trap as a
// crash and writes the input to a crash-<sha1> file.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mes::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* condition,
                              const std::string& detail) {
  std::fprintf(stderr, "\n==== fuzz invariant broken at %s:%d: %s\n", file, line, condition);
  if (!detail.empty()) std::fprintf(stderr, "%s\n", detail.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

// `text` quoted for failure messages: \" and \\ escaped, bytes outside printable ASCII as \xNN.
inline std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  out.push_back('"');
  return out;
}

// `error`'s kind and one line per Problem, for failure messages.
inline std::string describe(const Error& error) {
  std::string out = "kind " + std::to_string(static_cast<int>(error.kind)) + ", " +
                    std::to_string(error.problems.size()) + " problem(s)";
  for (const Problem& p : error.problems) {
    out += "\n  [" + p.code + "] " + p.message + " @ " + p.expression;
  }
  return out;
}

}  // namespace mes::fuzz

#define MES_FUZZ_CHECK(condition, detail)                                          \
  do {                                                                             \
    if (!(condition)) ::mes::fuzz::fail(__FILE__, __LINE__, #condition, (detail)); \
  } while (false)
