#include "gateway/search_patient.h"

#include "gateway/observation_search.h"

namespace mes::gateway {
namespace {

Error invalid(const std::string& code, const std::string& message) {
  return Error::make(ErrorKind::kInvalid, code, message);
}

Error mismatch() {
  return Error::make(ErrorKind::kForbidden, "patient-mismatch",
                     "The search names another patient than this access's.");
}

}  // namespace

Result<bool> PatientParams::take(const fhir::ParamName& p, const std::string& value,
                                 store::SearchQuery& query,
                                 std::optional<fhir::TokenParam>& identifier) const {
  const std::string& name = p.name;
  const bool byId = name == "patient" || (subjectToo_ && name == "subject");
  const bool byIdentifier =
      name == "patient.identifier" || (subjectToo_ && name == "subject.identifier");
  if (!byId && !byIdentifier) return false;
  MES_RETURN_IF_ERROR(requireNoModifier(p));
  if (byId) {
    auto id = searchPatientId(name, value);
    if (!id) return id.takeError();
    if (query.patient && *query.patient != *id) {
      return invalid("conflicting-patient", "Search parameter '" + name +
                                                "' names a different patient than an earlier one.");
    }
    query.patient = *id;
    return true;
  }
  if (identifier) {
    return invalid("duplicate-parameter",
                   "The patient is named by identifier twice ('" + name + "'); one is enough.");
  }
  auto token = fhir::parseTokenParam(name, value);
  if (!token) return token.takeError();
  if (!token->system || token->system->empty() || token->code.empty()) {
    return invalid("invalid-search-token", "Search parameter '" + name +
                                               "' needs <system>|<value>; got '" + value + "'.");
  }
  identifier = std::move(*token);
  return true;
}

const char* PatientParams::names() const {
  return subjectToo_ ? "patient, subject, patient.identifier, subject.identifier"
                     : "patient, patient.identifier";
}

Result<store::SearchPage> searchInCompartment(store::Repository& repository,
                                              const RequestContext& context,
                                              store::SearchQuery& query,
                                              const std::optional<fhir::TokenParam>& identifier) {
  if (!context.patientId.empty() && query.patient && *query.patient != context.patientId) {
    return mismatch();
  }
  bool possible = true;
  if (identifier) {
    store::SearchQuery q;
    q.type = "Patient";
    q.tokens.push_back({"identifier", {{identifier->system, identifier->code}}});
    q.count = 2;
    q.withTotal = false;
    auto patients = repository.search(q);
    if (!patients) return patients.takeError();
    if (patients->records.size() > 1) {
      return Error::make(ErrorKind::kConflict, "identifier-ambiguous",
                         "The patient identifier matches more than one patient.");
    }
    if (patients->records.empty()) {
      // Nobody has it: not the caller's patient either, but existence is not told.
      possible = false;
    } else {
      const std::string& id = patients->records.front().id;
      if (!context.patientId.empty() && id != context.patientId) return mismatch();
      if (query.patient && *query.patient != id) possible = false;
      query.patient = id;
    }
  }
  if (!context.patientId.empty()) query.patient = context.patientId;
  if (possible) return repository.search(query);
  store::SearchPage none;
  none.total = 0;
  return none;
}

}  // namespace mes::gateway
