// The patient a FHIR search names, shared by the Observation, DocumentReference and Appointment
// searches (SPEC §1: one patient per search, the token's): the parameters that name it and the
// compartment rule applied to a parsed search.
#pragma once

#include <optional>
#include <string>

#include "connectors/store/repository.h"
#include "core/status.h"
#include "fhir/search/search_params.h"
#include "gateway/router.h"

namespace mes::gateway {

// The parameters naming the searched patient:
//   patient (and subject, where the resource has one)   Patient/<id>, <id> or a URL ending so
//   patient.identifier (and subject.identifier)         <system>|<value>, e.g. the INS
// No modifier. One patient per search: a second, different id is 400 "conflicting-patient"; a
// second identifier 400 "duplicate-parameter"; an identifier without its system 400
// "invalid-search-token".
class PatientParams {
 public:
  explicit PatientParams(bool subjectToo) : subjectToo_(subjectToo) {}
  // True when `p` is one of them (parsed into query.patient or identifier).
  Result<bool> take(const fhir::ParamName& p, const std::string& value, store::SearchQuery& query,
                    std::optional<fhir::TokenParam>& identifier) const;
  // "patient, patient.identifier" or "patient, subject, patient.identifier, subject.identifier",
  // for the message listing a search's parameters.
  const char* names() const;

 private:
  bool subjectToo_;
};

// Runs a parsed search within the caller's compartment: `identifier` is resolved to the Patient
// it names (none: the result is empty; several: 409 "identifier-ambiguous"); a patient other
// than the token's, by id or by identifier, is 403 "patient-mismatch"; the token's patient is
// then set on the query. Callers without a patient (tools) search as the query names it. An
// identifier that contradicts the query's patient gives an empty page (total 0) without a
// store search.
Result<store::SearchPage> searchInCompartment(store::Repository& repository,
                                              const RequestContext& context,
                                              store::SearchQuery& query,
                                              const std::optional<fhir::TokenParam>& identifier);

}  // namespace mes::gateway
