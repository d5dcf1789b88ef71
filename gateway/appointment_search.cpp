#include "gateway/appointment_search.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "fhir/profiles/appointment_profile.h"
#include "gateway/observation_search.h"
#include "gateway/search_patient.h"

namespace mes::gateway {
namespace {

constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;

Error invalid(const std::string& code, const std::string& message) {
  return Error::make(ErrorKind::kInvalid, code, message);
}

}  // namespace

Result<store::DateFilter> dateRangeFilter(const std::string& name, const std::string& value,
                                                int64_t nowMs) {
  using B = store::DateBound;
  // sa / eb / ap are read here; parseDateParam knows the six others.
  const std::string prefix = value.substr(0, 2);
  const bool rangePrefix = prefix == "sa" || prefix == "eb" || prefix == "ap";
  auto date = fhir::parseDateParam(name, rangePrefix ? value.substr(2) : value);
  if (!date) return date.takeError();
  if (rangePrefix && value.size() > 2 && !std::isdigit(static_cast<unsigned char>(value[2]))) {
    return invalid("invalid-search-date", "Search parameter '" + name + "': '" + value +
                                              "' has two prefixes.");
  }
  if (!rangePrefix) return dateFilterFor(*date, store::DateFilter::Target::kDate);
  const int64_t low = date->value.lowMs;
  const int64_t high = date->value.highMs;
  store::DateFilter f;
  f.target = name == "_lastUpdated" ? store::DateFilter::Target::kLastUpdated
                                    : store::DateFilter::Target::kDate;
  if (prefix == "sa") {
    f.allOf = {{B::Column::kLow, B::Op::kGt, high}};
  } else if (prefix == "eb") {
    f.allOf = {{B::Column::kHigh, B::Op::kLt, low}};
  } else {
    const int64_t gap = std::llabs(nowMs - low);
    const int64_t margin = std::max(kDayMs, gap / 10);
    f.allOf = {{B::Column::kHigh, B::Op::kGe, low - margin},
               {B::Column::kLow, B::Op::kLe, high + margin}};
  }
  return f;
}

Result<AppointmentSearch> parseAppointmentSearch(
    const std::vector<std::pair<std::string, std::string>>& params, int64_t nowMs) {
  AppointmentSearch out;
  out.query.type = "Appointment";
  out.query.sort = store::SortOrder::kDateAsc;
  out.query.count = kDefaultPageSize;
  bool sawSort = false;
  PagingParams pages;
  const PatientParams patients(/*subjectToo=*/false);

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
    if (name == "status" || name == "identifier") {
      MES_RETURN_IF_ERROR(requireNoModifier(p));
      auto filter = tokenFilterOf(
          name, value, [&name](const fhir::TokenParam& token, const std::string& alt) -> Status {
            if (name != "status") return Status::ok();
            if (fhir::isAppointmentStatus(token.code) &&
                (!token.system || token.system == std::string(fhir::kAppointmentStatusSystem))) {
              return Status::ok();
            }
            return invalid("invalid-search-token",
                           "Search parameter 'status': '" + alt +
                               "' is not an appointment status (proposed, pending, booked, "
                               "arrived, fulfilled, cancelled, noshow, entered-in-error, "
                               "checked-in, waitlist).");
          });
      if (!filter) return filter.takeError();
      out.query.tokens.push_back(std::move(*filter));
    } else if (name == "date" || name == "_lastUpdated") {
      MES_RETURN_IF_ERROR(requireNoModifier(p));
      auto filter = dateRangeFilter(name, value, nowMs);
      if (!filter) return filter.takeError();
      if (name == "_lastUpdated") filter->target = store::DateFilter::Target::kLastUpdated;
      out.query.dates.push_back(std::move(*filter));
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
                                               "' is not supported; use date (default), -date, "
                                               "_lastUpdated or -_lastUpdated.");
      }
    } else {
      return invalid("unknown-search-parameter",
                     "Unknown search parameter '" + rawName +
                         "' for Appointment. Supported: " + patients.names() +
                         ", date, status, identifier, _lastUpdated, _sort, _count, _offset.");
    }
    out.linkParams.emplace_back(rawName, value);
  }
  return out;
}

}  // namespace mes::gateway
