// GET /fhir/Observation parameters (SPEC §2) -> a store query.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/store/repository.h"
#include "core/status.h"
#include "fhir/search/search_params.h"

namespace mes::gateway {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 100;

struct ObservationSearch {
  store::SearchQuery query;
  bool includeDevice = false;
  bool pretty = false;
  // subject.identifier, resolved to a patient by the caller.
  std::optional<fhir::TokenParam> subjectIdentifier;
  // The request's parameters in a canonical form for links, without _count / _offset.
  std::vector<std::pair<std::string, std::string>> linkParams;
};

// Parses the query. kInvalid naming the parameter for: unknown parameters, unsupported
// modifiers, bad date prefixes or values, _count above 100 ("Maximum page size allowed is
// 100"), negative or non-numeric paging, unknown _sort or _include values.
Result<ObservationSearch> parseObservationSearch(
    const std::vector<std::pair<std::string, std::string>>& params);

// The date-prefix semantics of FHIR as bounds on a stored [low, high] range.
store::DateFilter dateFilterFor(const fhir::DateParam& param, store::DateFilter::Target target);

// Parses the parameter-independent parts shared by every FHIR endpoint (_format, _pretty).
// Returns true when the name is one of them.
bool isFormatParam(const std::string& name);

}  // namespace mes::gateway
