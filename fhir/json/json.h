// JSON text <-> fhir::Value. The only code in the project that includes RapidJSON.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"
#include "fhir/json/value.h"

namespace mes::fhir {

struct ParseLimits {
  size_t maxDepth = 64;        // nesting of arrays/objects; deeper input is refused
  size_t maxBytes = 16 << 20;  // the caller normally enforces this earlier (413)
};

// Parses UTF-8 JSON text. Refuses (kInvalid, with the position in the message):
// syntax errors, invalid UTF-8, nesting deeper than limits.maxDepth ("json-too-deep"),
// duplicate keys in one object ("json-duplicate-key"), and trailing content.
// Numbers keep their literal text.
Result<Value> parseJson(std::string_view text, const ParseLimits& limits = {});

// Compact JSON text. Numbers are written as their literal text.
std::string toJson(const Value& value);
// Indented (2 spaces) JSON text, for people.
std::string toPrettyJson(const Value& value);

}  // namespace mes::fhir
