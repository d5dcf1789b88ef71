#include "gateway/observation_search.h"

#include <charconv>

#include "gateway/search_patient.h"

namespace mes::gateway {
namespace {

constexpr int kMaxOffset = 1'000'000'000;

Error invalid(const std::string& code, const std::string& message) {
  return Error::make(ErrorKind::kInvalid, code, message);
}

Result<int> parseNonNegative(const std::string& name, const std::string& value, int max) {
  int n = 0;
  auto res = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || res.ec != std::errc() || res.ptr != value.data() + value.size() || n < 0) {
    return invalid("invalid-search-number",
                   "Search parameter '" + name + "' must be a whole number >= 0; got '" + value +
                       "'.");
  }
  if (n > max) {
    if (name == "_count") {
      return invalid("page-size-too-large", "Maximum page size allowed is " + std::to_string(max) +
                                                " (" + name + "=" + value + ").");
    }
    return invalid("invalid-search-number",
                   "Search parameter '" + name + "' may not exceed " + std::to_string(max) + ".");
  }
  return n;
}

}  // namespace

bool isFormatParam(const std::string& name) { return name == "_format" || name == "_pretty"; }

Status requireNoModifier(const fhir::ParamName& p) {
  if (p.modifier.empty()) return Status::ok();
  return invalid("unsupported-modifier", "Search parameter '" + p.name + "' does not support the ':" +
                                             p.modifier + "' modifier.");
}

Result<std::string> searchPatientId(const std::string& name, const std::string& value) {
  std::string id = value;
  if (auto pos = value.rfind("Patient/"); pos != std::string::npos) id = value.substr(pos + 8);
  if (id.empty() || id.find('/') != std::string::npos || id.find(',') != std::string::npos) {
    return invalid("invalid-search-reference",
                   "Search parameter '" + name + "' must name one patient (Patient/<id> or <id>); got '" +
                       value + "'.");
  }
  return id;
}

Result<store::TokenFilter> tokenFilterOf(
    const std::string& name, const std::string& value,
    const std::function<Status(const fhir::TokenParam&, const std::string&)>& accept) {
  store::TokenFilter filter;
  filter.param = name;
  for (const auto& alt : fhir::splitOr(value)) {
    auto token = fhir::parseTokenParam(name, alt);
    if (!token) return token.takeError();
    if (accept) MES_RETURN_IF_ERROR(accept(*token, alt));
    filter.anyOf.push_back({token->system, token->code});
  }
  return filter;
}

Result<bool> PagingParams::takeCommon(const fhir::ParamName& p, const std::string& value,
                                      store::SearchQuery& query, bool& pretty) {
  if (isFormatParam(p.name)) {
    if (p.name == "_pretty") pretty = value == "true";
    return true;
  }
  return take(p, value, query);
}

Result<bool> PagingParams::take(const fhir::ParamName& p, const std::string& value,
                                store::SearchQuery& query) {
  const bool isCount = p.name == "_count";
  if (!isCount && p.name != "_offset") return false;
  MES_RETURN_IF_ERROR(requireNoModifier(p));
  bool& seen = isCount ? sawCount_ : sawOffset_;
  if (seen) return invalid("duplicate-parameter", "Search parameter '" + p.name + "' is given twice.");
  seen = true;
  auto n = parseNonNegative(p.name, value, isCount ? kMaxPageSize : kMaxOffset);
  if (!n) return n.takeError();
  (isCount ? query.count : query.offset) = *n;
  return true;
}

store::DateFilter dateFilterFor(const fhir::DateParam& param, store::DateFilter::Target target) {
  using B = store::DateBound;
  store::DateFilter f;
  f.target = target;
  const int64_t low = param.value.lowMs;
  const int64_t high = param.value.highMs;
  switch (param.prefix) {
    case fhir::Prefix::kNe:
      f.negate = true;
      [[fallthrough]];
    case fhir::Prefix::kEq:
      f.allOf = {{B::Column::kLow, B::Op::kGe, low}, {B::Column::kHigh, B::Op::kLe, high}};
      break;
    case fhir::Prefix::kGt: f.allOf = {{B::Column::kHigh, B::Op::kGt, high}}; break;
    case fhir::Prefix::kLt: f.allOf = {{B::Column::kLow, B::Op::kLt, low}}; break;
    case fhir::Prefix::kGe: f.allOf = {{B::Column::kHigh, B::Op::kGe, low}}; break;
    case fhir::Prefix::kLe: f.allOf = {{B::Column::kLow, B::Op::kLe, high}}; break;
    default: break;  // sa / eb / ap are refused by the parser
  }
  return f;
}

Result<ObservationSearch> parseObservationSearch(
    const std::vector<std::pair<std::string, std::string>>& params) {
  ObservationSearch out;
  out.query.type = "Observation";
  out.query.sort = store::SortOrder::kDateDesc;
  out.query.count = kDefaultPageSize;
  bool sawSort = false;
  PagingParams pages;
  const PatientParams patients(/*subjectToo=*/true);

  for (const auto& [rawName, value] : params) {
    const fhir::ParamName p = fhir::splitModifier(rawName);
    const std::string& name = p.name;
    auto common = pages.takeCommon(p, value, out.query, out.pretty);
    if (!common) return common.takeError();
    if (*common) continue;
    auto patient = patients.take(p, value, out.query, out.patientIdentifier);
    if (!patient) return patient.takeError();
    if (*patient) {
      out.linkParams.emplace_back(rawName, value);
      continue;
    }
    if (name == "code" || name == "identifier") {
      MES_RETURN_IF_ERROR(requireNoModifier(p));
      auto filter = tokenFilterOf(name, value);
      if (!filter) return filter.takeError();
      out.query.tokens.push_back(std::move(*filter));
    } else if (name == "date" || name == "_lastUpdated") {
      MES_RETURN_IF_ERROR(requireNoModifier(p));
      auto date = fhir::parseDateParam(name, value);
      if (!date) return date.takeError();
      out.query.dates.push_back(dateFilterFor(
          *date, name == "date" ? store::DateFilter::Target::kDate
                                : store::DateFilter::Target::kLastUpdated));
    } else if (name == "_sort") {
      MES_RETURN_IF_ERROR(requireNoModifier(p));
      if (sawSort) return invalid("duplicate-parameter", "Search parameter '_sort' is given twice.");
      sawSort = true;
      if (value == "date") out.query.sort = store::SortOrder::kDateAsc;
      else if (value == "-date") out.query.sort = store::SortOrder::kDateDesc;
      else if (value == "_lastUpdated") out.query.sort = store::SortOrder::kLastUpdatedAsc;
      else if (value == "-_lastUpdated") out.query.sort = store::SortOrder::kLastUpdatedDesc;
      else {
        return invalid("unsupported-sort", "_sort='" + value +
                                               "' is not supported; use date, -date, _lastUpdated "
                                               "or -_lastUpdated.");
      }
    } else if (name == "_include") {
      MES_RETURN_IF_ERROR(requireNoModifier(p));
      if (value != "Observation:device") {
        return invalid("unsupported-include", "_include='" + value +
                                                  "' is not supported; only Observation:device is.");
      }
      out.includeDevice = true;
    } else {
      return invalid("unknown-search-parameter",
                     "Unknown search parameter '" + rawName +
                         "' for Observation. Supported: " + patients.names() +
                         ", code, identifier, date, _lastUpdated, _sort, _count, _offset, "
                         "_include.");
    }
    out.linkParams.emplace_back(rawName, value);
  }
  return out;
}

}  // namespace mes::gateway
