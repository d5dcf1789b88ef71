// GET /fhir/Appointment parameters (SPEC §4) -> a store query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/store/repository.h"
#include "core/status.h"
#include "fhir/search/search_params.h"

namespace mes::gateway {

struct AppointmentSearch {
  store::SearchQuery query;
  bool pretty = false;
  // patient.identifier, resolved by searchInCompartment.
  std::optional<fhir::TokenParam> patientIdentifier;
  // The request's parameters in a canonical form for links, without _count / _offset.
  std::vector<std::pair<std::string, std::string>> linkParams;
};

// Parameters: patient (Patient/<id> or <id>; one patient) or patient.identifier
// (<system>|<value>, gateway/search_patient.h), date (may repeat; prefixes eq ne gt
// lt ge le as for Observation, plus sa "starts after", eb "ends before" and ap "approximately":
// the appointment overlaps the value widened by 10% of the gap between now and the value, at
// least one day on each side), status (R4 AppointmentStatus codes, comma = OR; other codes are
// refused), identifier (token, comma = OR), _lastUpdated, _sort (date — the default: an agenda
// reads forwards —, -date, _lastUpdated, -_lastUpdated), _count (default 50, max 100), _offset,
// _format, _pretty. The date of an appointment is its [start, end] range.
// kInvalid naming the parameter for anything else, as parseObservationSearch does.
Result<AppointmentSearch> parseAppointmentSearch(
    const std::vector<std::pair<std::string, std::string>>& params, int64_t nowMs);

// The date filter of one date-parameter value (any of the nine prefixes) on a stored
// [low, high] range (the Appointment and DocumentReference searches).
Result<store::DateFilter> dateRangeFilter(const std::string& name, const std::string& value,
                                                int64_t nowMs);

}  // namespace mes::gateway
