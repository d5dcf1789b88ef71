// libFuzzer target: what the portal and the OAuth endpoints read from forms and query strings,
// mes::http::parseForm and parseQuery (gateway/http/message.h), and the `next` redirect target
// of the portal login, safePortalPath (gateway/portal_auth.h). The input is used whole as a form
// body, as a query string and as a `next` value; every `next` field of the parsed form and query
// goes through safePortalPath too, as POST /portal/login and GET /portal/login do.
//
// Checked on every input:
//  - parsing: one pair per non-empty '&'-separated part; no name or value longer than its part;
//    parseQuery and parseForm agree when the input has no '+', and parseForm never yields '+'
//    when the input has no '%'; the pairs, percent-encoded and joined again, parse back to the
//    same pairs with either parser; firstValue and countOf agree with the pairs;
//  - safePortalPath: the answer is the input itself or "/portal/"; it is at most 4096 bytes,
//    has no control, space, non-ASCII, backslash or '#' byte; its path (before '?') is
//    "/portal" or starts with "/portal/", has no "//" and no "." or ".." segment, neither as
//    written nor once percent-decoded (as a proxy or browser may); so it never leaves the
//    portal: no scheme, no host, no protocol-relative "//host". The query string is kept as it
//    was sent (an authorization request may carry redirect_uri=https://...), so the "//" and
//    dot-segment checks apply to the path only. The answer is a fixed point.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "gateway/http/message.h"
#include "gateway/portal_auth.h"

namespace {

using mes::fuzz::printable;
using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kFallback = "/portal/";
constexpr size_t kMaxNextBytes = 4096;  // gateway/portal_auth.cpp

std::vector<std::string_view> nonEmptyParts(std::string_view raw) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    if (end > start) parts.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string joined(const Pairs& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    out += mes::http::percentEncode(name) + "=" + mes::http::percentEncode(value);
  }
  return out;
}

void checkPairs(const Pairs& pairs, std::string_view input, const char* parser) {
  const std::string what = std::string(parser) + "(" + printable(input) + ")";
  const std::vector<std::string_view> parts = nonEmptyParts(input);
  MES_FUZZ_CHECK(pairs.size() == parts.size(), what + ": " + std::to_string(pairs.size()) +
                                                   " pairs for " + std::to_string(parts.size()) +
                                                   " parts");
  for (size_t i = 0; i < pairs.size(); ++i) {
    MES_FUZZ_CHECK(pairs[i].first.size() + pairs[i].second.size() <= parts[i].size(),
                   what + ": pair " + std::to_string(i) + " longer than its part");
    MES_FUZZ_CHECK(mes::http::countOf(pairs, pairs[i].first) >= 1, what + ": countOf");
  }
  for (size_t i = 0; i < pairs.size(); ++i) {
    size_t first = 0;
    while (pairs[first].first != pairs[i].first) ++first;
    MES_FUZZ_CHECK(mes::http::firstValue(pairs, pairs[i].first) == pairs[first].second,
                   what + ": firstValue of " + printable(pairs[i].first));
  }
  size_t longest = 0;
  for (const auto& pair : pairs) longest = std::max(longest, pair.first.size());
  const std::string absent(longest + 1, 'x');  // longer than every name: not among them
  MES_FUZZ_CHECK(mes::http::firstValue(pairs, absent).empty() &&
                     mes::http::countOf(pairs, absent) == 0,
                 what + ": a name that is not there");

  const std::string again = joined(pairs);
  MES_FUZZ_CHECK(mes::http::parseQuery(again) == pairs,
                 what + ": re-encoded as " + printable(again) + ", parseQuery differs");
  MES_FUZZ_CHECK(mes::http::parseForm(again) == pairs,
                 what + ": re-encoded as " + printable(again) + ", parseForm differs");
}

bool isDotSegment(std::string_view s) { return s == "." || s == ".."; }

// The path's problems as the portal must never redirect to them; "" when none.
std::string pathProblem(std::string_view path) {
  if (path != "/portal" && path.substr(0, 8) != "/portal/") return "outside /portal";
  if (path.find("//") != std::string_view::npos) return "\"//\"";
  if (path.find('\\') != std::string_view::npos) return "backslash";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (isDotSegment(path.substr(start, end - start))) return "dot segment";
    start = end + 1;
  }
  return "";
}

void checkNext(std::string_view next) {
  const std::string safe = mes::gateway::safePortalPath(next);
  const std::string what = "safePortalPath(" + printable(next) + ") = " + printable(safe);
  MES_FUZZ_CHECK(safe == next || safe == kFallback, what + ": neither the input nor the default");
  MES_FUZZ_CHECK(safe.size() <= kMaxNextBytes, what + ": too long");
  MES_FUZZ_CHECK(safe.size() >= 7 && safe.compare(0, 7, "/portal") == 0, what);
  for (char c : safe) {
    const auto u = static_cast<unsigned char>(c);
    MES_FUZZ_CHECK(u > 0x20 && u < 0x7f && c != '\\' && c != '#', what + ": bad byte");
  }
  const std::string_view path = std::string_view(safe).substr(0, safe.find('?'));
  const std::string problem = pathProblem(path);
  MES_FUZZ_CHECK(problem.empty(), what + ": " + problem);
  const std::string decoded = mes::http::percentDecode(path, false);
  const std::string decodedProblem = pathProblem(decoded);
  MES_FUZZ_CHECK(decodedProblem.empty(),
                 what + ": once decoded " + printable(decoded) + ", " + decodedProblem);
  for (char c : decoded) {
    MES_FUZZ_CHECK(c != '\0', what + ": NUL once decoded");
  }
  MES_FUZZ_CHECK(mes::gateway::safePortalPath(safe) == safe, what + ": not a fixed point");
}

void checkNextFields(const Pairs& pairs) {
  for (const auto& [name, value] : pairs) {
    if (name == "next") checkNext(value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const Pairs form = mes::http::parseForm(input);
  const Pairs query = mes::http::parseQuery(input);
  checkPairs(form, input, "parseForm");
  checkPairs(query, input, "parseQuery");
  if (input.find('+') == std::string_view::npos) {
    MES_FUZZ_CHECK(form == query, "parseForm and parseQuery differ on " + printable(input));
  }
  if (input.find('%') == std::string_view::npos) {
    for (const auto& [name, value] : form) {
      MES_FUZZ_CHECK(name.find('+') == std::string::npos && value.find('+') == std::string::npos,
                     "parseForm kept a '+' of " + printable(input));
    }
  }

  checkNext(input);
  checkNextFields(form);
  checkNextFields(query);
  return 0;
}
