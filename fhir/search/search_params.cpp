#include "fhir/search/search_params.h"

namespace mes::fhir {

std::vector<std::string> splitOr(std::string_view value) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\' && i + 1 < value.size() &&
        (value[i + 1] == ',' || value[i + 1] == '\\' || value[i + 1] == '$')) {
      out.back().push_back(value[++i]);
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

Result<DateParam> parseDateParam(std::string_view name, std::string_view value) {
  DateParam out;
  std::string_view rest = value;
  if (rest.size() >= 2 && std::isalpha(static_cast<unsigned char>(rest[0])) &&
      std::isalpha(static_cast<unsigned char>(rest[1]))) {
    std::string_view p = rest.substr(0, 2);
    if (p == "eq") out.prefix = Prefix::kEq;
    else if (p == "ne") out.prefix = Prefix::kNe;
    else if (p == "gt") out.prefix = Prefix::kGt;
    else if (p == "lt") out.prefix = Prefix::kLt;
    else if (p == "ge") out.prefix = Prefix::kGe;
    else if (p == "le") out.prefix = Prefix::kLe;
    else if (p == "sa" || p == "eb" || p == "ap") {
      return Error::make(ErrorKind::kInvalid, "unsupported-prefix",
                         "Search parameter '" + std::string(name) + "': the prefix '" +
                             std::string(p) + "' is not supported; use eq, ne, gt, lt, ge or le.");
    } else {
      return Error::make(ErrorKind::kInvalid, "invalid-search-date",
                         "Search parameter '" + std::string(name) + "': unknown prefix '" +
                             std::string(p) + "' in '" + std::string(value) +
                             "'; use eq, ne, gt, lt, ge or le followed by a date.");
    }
    rest.remove_prefix(2);
  }
  auto parsed = parseDateTime(rest, DateTimeForm::kSearchValue);
  if (!parsed) {
    return Error::make(ErrorKind::kInvalid, "invalid-search-date",
                       "Search parameter '" + std::string(name) + "': " +
                           parsed.error().problems.front().message);
  }
  out.value = *parsed;
  return out;
}

Result<TokenParam> parseTokenParam(std::string_view name, std::string_view value) {
  TokenParam out;
  // The system may itself hold '|' only escaped; split on the first unescaped bar.
  size_t bar = std::string_view::npos;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\') {
      ++i;
    } else if (value[i] == '|') {
      bar = i;
      break;
    }
  }
  if (bar == std::string_view::npos) {
    out.code = std::string(value);
  } else {
    out.system = std::string(value.substr(0, bar));
    out.code = std::string(value.substr(bar + 1));
  }
  if (out.code.empty()) {
    return Error::make(ErrorKind::kInvalid, "invalid-search-token",
                       "Search parameter '" + std::string(name) + "': '" + std::string(value) +
                           "' has no code; expected [system|]code.");
  }
  return out;
}

ParamName splitModifier(std::string_view raw) {
  ParamName out;
  size_t colon = raw.find(':');
  out.name = std::string(raw.substr(0, colon));
  if (colon != std::string_view::npos) out.modifier = std::string(raw.substr(colon + 1));
  return out;
}

}  // namespace mes::fhir
