// The registry's JSON (swagger/registry.yaml): what the API returns for services, history,
// checklists, evidence, organisations and accounts, and how it reads what callers send.
//
// Readers refuse, with kInvalid (400) and one Problem per mistake naming the member: a body that
// is not a JSON object ("invalid-type"), a member this API does not know ("unknown-member"), a
// member of the wrong JSON type ("invalid-type"). Absent optional members read as empty. What
// the values must be is the Registry's business (422).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/store/account_store.h"
#include "core/status.h"
#include "fhir/json/value.h"
#include "gateway/registry/registry.h"

namespace mes::gateway::registry {

// The service as the API shows it; `actions` are what the caller may do now (the
// allowed_actions member, action names as in the history: start_evaluation).
fhir::Value entryJson(const store::RegistryEntry& entry, const std::vector<Action>& actions);
fhir::Value eventJson(const store::RegistryEvent& event);
fhir::Value historyJson(const std::vector<store::RegistryEvent>& history);
// {"round": n, "criteria": [...]} with each criterion's mark and the tests naming it.
fhir::Value checklistJson(const ServiceFile& file);
fhir::Value markJson(const store::CriterionMark& mark);
// A report's summary: verdict (result), score, issued, tester, test script, its tests.
fhir::Value evidenceJson(const EvidenceView& view);
fhir::Value organisationJson(const store::EditorOrganisation& organisation);
// Never the password hash.
fhir::Value accountJson(const store::AccountRecord& account, const std::string& organisationId);
// The criteria file's content, as loaded.
fhir::Value criteriaJson(const CriteriaCatalogue& catalogue);

// "start_evaluation" <-> "start-evaluation" (the action names in URLs).
std::string actionPath(Action action);
std::optional<Action> actionFromPath(std::string_view segment);

Result<ServiceDraft> draftFromJson(const fhir::Value& body);
Result<DecisionInput> decisionFromJson(const fhir::Value& body);
Result<MarkInput> markFromJson(const fhir::Value& body, const std::string& criterionId);
Result<OrganisationInput> organisationFromJson(const fhir::Value& body);
Result<AccountInput> accountFromJson(const fhir::Value& body);
// {"reason": "..."}; an empty body reads as no reason.
Result<std::string> reasonFromJson(const fhir::Value& body);

}  // namespace mes::gateway::registry
