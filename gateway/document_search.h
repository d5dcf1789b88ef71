// GET /fhir/DocumentReference parameters (SPEC §3, IHE MHD ITI-67) -> a store query.
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

struct DocumentSearch {
  store::SearchQuery query;
  bool pretty = false;
  // patient.identifier / subject.identifier, resolved by searchInCompartment.
  std::optional<fhir::TokenParam> patientIdentifier;
  // The request's parameters in a canonical form for links, without _count / _offset; the
  // default status=current is written there when the request had no status, so the self link
  // says what was searched.
  std::vector<std::pair<std::string, std::string>> linkParams;
};

// Parameters:
//   patient, subject                        Patient/<id> or <id>; one patient
//   patient.identifier, subject.identifier  <system>|<value> (the INS), resolved to the patient
//               (gateway/search_patient.h; the caller's compartment is applied anyway)
//   status      current | superseded | entered-in-error, comma = OR (other codes: 400).
//               Default: current — a withdrawn (entered-in-error) or replaced document is
//               listed only when asked for, as MHD consumers ask (ITI-67 status=current)
//   type        token on DocumentReference.type ([system|]code, comma = OR)
//   category    token on DocumentReference.category (the DMP class, TRE_A03)
//   date        DocumentReference.date; prefixes eq ne gt lt ge le sa eb ap, may repeat
//   period      DocumentReference.context.period, the same prefixes, may repeat
//   author      reference: Device/<id> (the service's Device, see DocumentService), or a bare
//               id read as Device/<id>; comma = OR
//   _count      default 50, max 100 ("Maximum page size allowed is 100"); _offset
//   _format, _pretty
// Results are sorted by date, newest first. kInvalid naming the parameter for anything else,
// as the Observation and Appointment parsers do.
Result<DocumentSearch> parseDocumentSearch(
    const std::vector<std::pair<std::string, std::string>>& params, int64_t nowMs);

}  // namespace mes::gateway
