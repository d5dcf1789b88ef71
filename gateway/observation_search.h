// GET /fhir/Observation parameters (SPEC §2) -> a store query.
#pragma once

#include <functional>
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
  // patient.identifier / subject.identifier, resolved by searchInCompartment.
  std::optional<fhir::TokenParam> patientIdentifier;
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

// --- pieces shared by the search parsers (Observation, Appointment, DocumentReference) ------

// kInvalid "unsupported-modifier" when the parameter carries a modifier.
Status requireNoModifier(const fhir::ParamName& p);
// "Patient/123", "123" or an absolute URL ending in Patient/123 -> "123"; kInvalid
// "invalid-search-reference" unless it names one patient.
Result<std::string> searchPatientId(const std::string& name, const std::string& value);

// A token parameter's value as a filter: comma-separated alternatives, each [system|]code;
// `accept` (optional) refuses an alternative with its error.
Result<store::TokenFilter> tokenFilterOf(
    const std::string& name, const std::string& value,
    const std::function<Status(const fhir::TokenParam& token, const std::string& alternative)>&
        accept = {});

// _count (default kDefaultPageSize, above kMaxPageSize: 400 "Maximum page size allowed is
// 100") and _offset, each at most once.
class PagingParams {
 public:
  // True when `p` is _count or _offset (then parsed into `query`); errors for bad values.
  Result<bool> take(const fhir::ParamName& p, const std::string& value, store::SearchQuery& query);
  // take(), and also true for _format and _pretty (which sets `pretty`): the parameters every
  // search parser handles the same way.
  Result<bool> takeCommon(const fhir::ParamName& p, const std::string& value,
                          store::SearchQuery& query, bool& pretty);

 private:
  bool sawCount_ = false;
  bool sawOffset_ = false;
};

}  // namespace mes::gateway
