#include "connectors/store/registry_store.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace mes::store {
namespace {

constexpr std::array<std::string_view, 4> kDecisions = {
    "", "favourable", "favourable_with_reservations", "unfavourable"};
constexpr std::array<std::string_view, 3> kVerdicts = {"met", "not_met", "not_applicable"};

Error invalid(std::string message, std::string expression) {
  return Error::make(ErrorKind::kInvalid, "invalid-registry-record", std::move(message),
                     std::move(expression));
}

bool isIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool validId(const std::string& id) {
  return id.size() >= 8 && id.size() <= 64 && std::all_of(id.begin(), id.end(), isIdChar);
}

template <size_t N>
bool isOneOf(const std::array<std::string_view, N>& words, std::string_view value) {
  return std::find(words.begin(), words.end(), value) != words.end();
}

bool validAccessIds(const std::vector<std::string>& ids) {
  return std::all_of(ids.begin(), ids.end(), [](const std::string& id) {
    return !id.empty() && id.find(' ') == std::string::npos;
  });
}

}  // namespace

Status checkOrganisation(const EditorOrganisation& organisation) {
  if (!validId(organisation.organisationId)) {
    return invalid("The organisation id must be 8 to 64 letters, digits, '_' or '-'.",
                   "organisationId");
  }
  if (organisation.legalName.empty()) {
    return invalid("The organisation needs a legal name.", "legalName");
  }
  const std::string& siret = organisation.siret;
  if (siret.size() != 14 ||
      !std::all_of(siret.begin(), siret.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("The SIRET must be 14 digits.", "siret");
  }
  if (organisation.editorOid.empty()) return invalid("The organisation needs an OID.", "editorOid");
  return Status::ok();
}

Status checkRegistryDetails(const RegistryDetails& details) {
  if (!details.organisationId.empty() && !validId(details.organisationId)) {
    return invalid("The organisation id must be 8 to 64 letters, digits, '_' or '-'.",
                   "organisationId");
  }
  if (!isOneOf(kDecisions, details.decision)) {
    return invalid("The decision is not one of the known decisions.", "decision");
  }
  if (!validAccessIds(details.requestedAccesses)) {
    return invalid("An access id is empty or holds a space.", "requestedAccesses");
  }
  if (!validAccessIds(details.grantedAccesses)) {
    return invalid("An access id is empty or holds a space.", "grantedAccesses");
  }
  if (details.evaluationRound < 0) {
    return invalid("The evaluation round cannot be negative.", "evaluationRound");
  }
  return Status::ok();
}

Status checkCriterionMark(const CriterionMark& mark) {
  if (mark.criterionId.empty()) return invalid("The mark names no criterion.", "criterionId");
  if (mark.round < 1) return invalid("A mark belongs to an evaluation round >= 1.", "round");
  if (!isOneOf(kVerdicts, mark.verdict)) {
    return invalid("The verdict must be met, not_met or not_applicable.", "verdict");
  }
  return Status::ok();
}

Status checkEvidence(const EvidenceRecord& evidence) {
  if (!validId(evidence.evidenceId)) {
    return invalid("The evidence id must be 8 to 64 letters, digits, '_' or '-'.", "evidenceId");
  }
  if (evidence.kind != "test-report") {
    return invalid("The only kind of evidence is test-report.", "kind");
  }
  if (evidence.content.empty()) return invalid("The evidence is empty.", "content");
  return Status::ok();
}

}  // namespace mes::store
