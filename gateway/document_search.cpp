#include "gateway/document_search.h"

#include "fhir/search/search_params.h"
#include "gateway/appointment_search.h"
#include "gateway/observation_search.h"
#include "gateway/resource_index.h"
#include "gateway/search_patient.h"

namespace mes::gateway {
namespace {

Error invalid(const std::string& code, const std::string& message) {
  return Error::make(ErrorKind::kInvalid, code, message);
}

bool isDocumentStatus(const std::string& code) {
  return code == "current" || code == "superseded" || code == "entered-in-error";
}

// "Device/abc" -> itself; "abc" -> "Device/abc".
Result<std::string> authorTarget(const std::string& value) {
  std::string target = value.find('/') == std::string::npos ? "Device/" + value : value;
  const size_t slash = target.find('/');
  if (value.empty() || slash == 0 || slash + 1 == target.size() ||
      target.find('/', slash + 1) != std::string::npos) {
    return invalid("invalid-search-reference",
                   "Search parameter 'author' must be <Type>/<id> or an id; got '" + value + "'.");
  }
  return target;
}

}  // namespace

Result<DocumentSearch> parseDocumentSearch(
    const std::vector<std::pair<std::string, std::string>>& params, int64_t nowMs) {
  DocumentSearch out;
  out.query.type = "DocumentReference";
  out.query.sort = store::SortOrder::kDateDesc;
  out.query.count = kDefaultPageSize;
  PagingParams pages;
  const PatientParams patients(/*subjectToo=*/true);
  bool sawStatus = false;

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
    MES_RETURN_IF_ERROR(requireNoModifier(p));
    if (name == "status" || name == "type" || name == "category") {
      auto filter = tokenFilterOf(
          name, value, [&name](const fhir::TokenParam& token, const std::string& alt) -> Status {
            if (name != "status") return Status::ok();
            if (isDocumentStatus(token.code) &&
                (!token.system || *token.system == kDocumentReferenceStatusSystem)) {
              return Status::ok();
            }
            return invalid("invalid-search-token",
                           "Search parameter 'status': '" + alt +
                               "' is not a document status (current, superseded, "
                               "entered-in-error).");
          });
      if (!filter) return filter.takeError();
      sawStatus = sawStatus || name == "status";
      out.query.tokens.push_back(std::move(*filter));
    } else if (name == "date" || name == "period") {
      auto filter = dateRangeFilter(name, value, nowMs);
      if (!filter) return filter.takeError();
      if (name == "period") {
        filter->target = store::DateFilter::Target::kNamed;
        filter->param = kDocumentPeriodIndex;
      }
      out.query.dates.push_back(std::move(*filter));
    } else if (name == "author") {
      store::ReferenceFilter filter;
      filter.param = "author";
      for (const auto& alt : fhir::splitOr(value)) {
        auto target = authorTarget(alt);
        if (!target) return target.takeError();
        filter.anyOf.push_back(*target);
      }
      out.query.references.push_back(std::move(filter));
    } else {
      return invalid("unknown-search-parameter",
                     "Unknown search parameter '" + rawName +
                         "' for DocumentReference. Supported: " + patients.names() +
                         ", status, type, category, date, period, author, _count, _offset.");
    }
    out.linkParams.emplace_back(rawName, value);
  }
  if (!sawStatus) {
    out.query.tokens.push_back({"status", {{std::nullopt, "current"}}});
    out.linkParams.emplace_back("status", "current");
  }
  return out;
}

}  // namespace mes::gateway
