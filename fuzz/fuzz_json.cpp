// libFuzzer target: parseJson, toJson and toPrettyJson (fhir/json/json.h), fed raw bytes as an
// HTTP body would bring them.
//
// Checked on every input:
//  - a refusal is kInvalid with json-malformed / json-too-deep / json-duplicate-key (or
//    kTooLarge with body-too-large), with a message;
//  - an accepted document nests no deeper than the limit; the same text is accepted with the
//    limit set to exactly its depth and refused with "json-too-deep" one level below, and
//    refused with "body-too-large" when maxBytes is one byte short;
//  - toJson and toPrettyJson round-trip: their output parses back to a Value equal to the
//    first parse, and toJson of that re-parse gives the same text again.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json/json.h"
#include "fuzz/fuzz_check.h"

namespace {

using mes::ErrorKind;
using mes::fhir::ParseLimits;
using mes::fhir::Value;
using mes::fuzz::describe;
using mes::fuzz::printable;

// Nesting of arrays and objects: 0 for a scalar, 1 for [] or {}, 2 for [[]]...
size_t depthOf(const Value& v) {
  size_t inner = 0;
  if (v.isArray()) {
    for (const Value& item : v.items()) inner = std::max(inner, depthOf(item));
    return inner + 1;
  }
  if (v.isObject()) {
    for (const auto& member : v.members()) inner = std::max(inner, depthOf(member.second));
    return inner + 1;
  }
  return 0;
}

void checkRefusal(const mes::Error& error) {
  const std::string& code = error.code();
  const bool known =
      (error.kind == ErrorKind::kInvalid &&
       (code == "json-malformed" || code == "json-too-deep" || code == "json-duplicate-key")) ||
      (error.kind == ErrorKind::kTooLarge && code == "body-too-large");
  MES_FUZZ_CHECK(known, describe(error));
  MES_FUZZ_CHECK(error.problems.size() == 1 && !error.problems.front().message.empty(),
                 describe(error));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ParseLimits limits;  // the defaults: depth 64, 16 MiB

  auto first = mes::fhir::parseJson(text, limits);
  if (!first) {
    checkRefusal(first.error());
    return 0;
  }

  const size_t depth = depthOf(*first);
  MES_FUZZ_CHECK(depth <= limits.maxDepth, "depth " + std::to_string(depth));
  {
    auto exact = mes::fhir::parseJson(text, ParseLimits{depth, limits.maxBytes});
    MES_FUZZ_CHECK(exact && *exact == *first,
                   "refused with maxDepth = its own depth " + std::to_string(depth) +
                       (exact ? std::string() : "\n" + describe(exact.error())));
  }
  if (depth > 0) {
    auto shallow = mes::fhir::parseJson(text, ParseLimits{depth - 1, limits.maxBytes});
    MES_FUZZ_CHECK(!shallow && shallow.error().code() == "json-too-deep",
                   "depth " + std::to_string(depth) + " with maxDepth " +
                       std::to_string(depth - 1) +
                       (shallow ? ": accepted" : "\n" + describe(shallow.error())));
  }
  if (size > 0) {
    auto tight = mes::fhir::parseJson(text, ParseLimits{limits.maxDepth, size - 1});
    MES_FUZZ_CHECK(!tight && tight.error().kind == ErrorKind::kTooLarge,
                   tight ? "accepted" : describe(tight.error()));
  }

  const std::string compact = mes::fhir::toJson(*first);
  auto again = mes::fhir::parseJson(compact, limits);
  MES_FUZZ_CHECK(again.isOk(), "toJson output " + printable(compact) + " does not parse back:\n" +
                                   (again ? std::string() : describe(again.error())));
  MES_FUZZ_CHECK(*again == *first, "toJson output " + printable(compact) +
                                       " parses to another value than the input " +
                                       printable(text));
  const std::string compactAgain = mes::fhir::toJson(*again);
  MES_FUZZ_CHECK(compactAgain == compact, "toJson is not stable: " + printable(compact) + " then " +
                                              printable(compactAgain));

  const std::string pretty = mes::fhir::toPrettyJson(*first);
  auto fromPretty = mes::fhir::parseJson(pretty, limits);
  MES_FUZZ_CHECK(fromPretty && *fromPretty == *first,
                 "toPrettyJson output " + printable(pretty) + " does not parse back to the input");
  return 0;
}
