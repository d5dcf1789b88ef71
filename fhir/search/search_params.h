// Parsing of FHIR search parameter values (pure; no knowledge of any store).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fhir/types/datetime.h"

namespace mes::fhir {

enum class Prefix { kEq, kNe, kGt, kLt, kGe, kLe, kSa, kEb, kAp };

struct DateParam {
  Prefix prefix = Prefix::kEq;
  DateTime value;
};

struct TokenParam {
  std::optional<std::string> system;  // nullopt: "code" (any system); "": "|code" (no system)
  std::string code;
};

// Splits a parameter value on unescaped commas (FHIR OR), unescaping "\,", "\|" and "\\".
std::vector<std::string> splitOr(std::string_view value);

// "ge2024-01-01": prefix + date. Accepts eq ne gt lt ge le; sa eb ap are refused (kInvalid,
// "unsupported-prefix") and so is an unknown prefix or a bad date ("invalid-search-date"),
// with the parameter name in the message.
Result<DateParam> parseDateParam(std::string_view name, std::string_view value);

// "system|code", "|code" or "code". Empty code refused ("invalid-search-token").
Result<TokenParam> parseTokenParam(std::string_view name, std::string_view value);

// Splits "name:modifier" into its parts.
struct ParamName {
  std::string name;
  std::string modifier;  // empty when none
};
ParamName splitModifier(std::string_view raw);

}  // namespace mes::fhir
