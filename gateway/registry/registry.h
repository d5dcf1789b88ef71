// The referencing registry (SPEC §5, issue #5): what editors, evaluators, the commission and
// administrators do to a service, with every rule checked here once for the JSON API, the HTML
// pages and the CLI alike. Handlers only translate HTTP to these calls and back.
//
// Every action goes through the same steps, in this order, each with its own answer:
//   1. the role may take the action at all (workflow.h roleMay)   else 403 "role-forbidden"
//   2. the service exists and the actor may see it: an editor sees only its organisation's
//      services; another editor's service is "not found" like an unknown id (existence is not
//      leaked, as for another patient's resources in /fhir)      else 404 "not-found"
//   3. the service's status allows the action (workflow.h allows)
//                                 else 409 "action-not-allowed", naming the allowed actions in
//                                 its message and in one "allowed-action" information problem
//                                 each (the action's name as message)
//   4. the caller's expected version, when it gives one (If-Match), is the current one
//                                                                 else 412 "version-conflict"
//   5. the action's own rules (a complete draft to submit, every required criterion marked to
//      move to the commission, a well-formed decision...)        else 409 or 422, see below
// then one store transaction writes the record, the registry facts and the history event
// (who, when, why), and the action is recorded in the audit trail (category "registry"). A
// refusal at steps 1 to 5 is recorded there too, as a failure with its code.
//
// Effects (SPEC §5):
//   - decide favourable[_with_reservations] -> referenced, allowedScopes = the scopes of the
//     granted access families: what the commission granted bounds every token (at authorize
//     time and on each request, gateway/token_policy.cpp); unfavourable -> rejected, nothing
//     granted;
//   - suspend -> suspended: every token of the service refused from its next request;
//   - reinstate -> referenced: the service's existing pairings work again;
//   - withdraw -> withdrawn: first every active pairing is ended (endedBy "registry", grants
//     revoked, each patient told through the outbox, PairingEffects), then the status moves;
//     a failure part-way leaves the service suspended, and withdrawing again ends the rest.
// Only a referenced service can pair (gateway/authorization_server.cpp).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/store/account_store.h"
#include "connectors/store/registry_store.h"
#include "core/clock.h"
#include "core/status.h"
#include "fhir/json/json.h"
#include "fhir/profiles/test_report_profile.h"
#include "gateway/audit.h"
#include "gateway/log.h"
#include "gateway/portal_auth.h"
#include "gateway/registry/criteria.h"
#include "gateway/registry/pairing_effects.h"
#include "gateway/registry/service_draft.h"
#include "gateway/registry/workflow.h"

namespace mes::gateway::registry {

inline constexpr size_t kMinRegistryPasswordLength = 12;
inline constexpr size_t kMaxReasonLength = 2000;
inline constexpr size_t kMaxNoteLength = 2000;
inline constexpr size_t kMaxReservationLength = 1000;
inline constexpr size_t kMaxReservations = 20;

// Who acts, and from where.
struct Actor {
  std::string accountId;  // empty for the CLI
  std::string login;      // "cli" for the CLI
  Role role = Role::kEditor;
  std::string organisationId;  // an editor's organisation; empty for the other roles
  std::string remoteAddress;
  std::string requestId;

  // The operator at the command line: an administrator named "cli".
  static Actor cli();
};

struct DecisionInput {
  Decision decision = Decision::kUnfavourable;
  std::vector<std::string> grantedAccesses;  // favourable*: a non-empty subset of the requested
  std::vector<std::string> reservations;     // favourable_with_reservations only, non-empty
  std::string reason;                        // required: the commission's grounds
};

struct MarkInput {
  std::string criterionId;
  std::string verdict;  // met | not_met | not_applicable
  std::string note;     // required with not_met and not_applicable
};

struct OrganisationInput {
  std::string legalName;
  std::string siret;      // spaces allowed; Luhn-checked (identifiers.h)
  std::string editorOid;  // urn:oid:...
  std::string contact;    // e-mail address
};

struct AccountInput {
  std::string login;           // an e-mail address: the one-time codes go there
  std::string password;        // at least kMinRegistryPasswordLength characters
  std::string role;            // editor | evaluator | commission | admin
  std::string organisationId;  // required for an editor, refused for the others
};

// A test of an attached report that names a criterion.
struct TestEvidence {
  std::string evidenceId;
  std::string test;     // the test's name
  std::string outcome;  // pass | fail | skip
  std::string issued;   // the report's issued
};

// One criterion of a service's checklist, as the evaluator and the commission see it.
struct ChecklistItem {
  Criterion criterion;
  std::optional<store::CriterionMark> mark;  // of the current evaluation round
  // Tests of completed reports that declare it (verifies-requirement) or that it names among
  // its conformance tests, in upload order.
  std::vector<TestEvidence> tests;
  // Some test's newest result (the last report holding that test) is a pass.
  bool evidencedByPassedTest = false;
};

struct EvidenceView {
  store::EvidenceRecord record;
  fhir::TestReportSummary summary;
};

// Everything about a service: what the commission decides on.
struct ServiceFile {
  store::RegistryEntry entry;
  std::vector<store::RegistryEvent> history;  // oldest first
  std::vector<ChecklistItem> checklist;       // criteria order
  std::vector<EvidenceView> evidence;         // oldest first
  std::vector<Action> actions;  // what this actor may do now (role and status allow it)
};

// The draft an entry amounts to (for its edit form and the submission check).
ServiceDraft draftOf(const store::RegistryEntry& entry);

// What `actor` may do now to the entry: the actions its status allows that the actor's role may
// take (ownership aside: the entry was read through the Registry, which checked it).
std::vector<Action> actionsFor(const Actor& actor, const store::RegistryEntry& entry);

class Registry {
 public:
  // Everything passed must outlive the registry.
  Registry(store::RegistryStore& store, store::AccountStore& accounts,
           const CriteriaCatalogue& criteria, AuditTrail& audit, PairingEffects& pairings,
           const Clock& clock, IdGenerator& ids, Logger& logger);

  // The actor of an authenticated registry session: its role, and an editor's organisation
  // (kForbidden "role-forbidden" for any other role, e.g. a patient).
  Result<Actor> actorFor(const PortalSession& session, const std::string& remoteAddress,
                         const std::string& requestId);

  // --- a service's life
  // An editor creates a draft for its organisation (the editor's legal name, SIRET and OID
  // come from the organisation). kForbidden "organisation-missing" for an editor account that
  // belongs to none; checkServiceDraft's 422.
  Result<store::RegistryEntry> create(const Actor& actor, const ServiceDraft& draft);
  // Replaces the draft's fields (status draft only).
  Result<store::RegistryEntry> edit(const Actor& actor, const std::string& clientId,
                                    const ServiceDraft& draft,
                                    std::optional<int64_t> expectedVersion = std::nullopt);
  // submit, retract, start_evaluation, move_to_commission, suspend, reinstate, withdraw,
  // reopen. `reason` is recorded; it is required (422 "reason-required") for suspend,
  // reinstate and withdraw. submit: 422 "draft-incomplete" (checkSubmittable);
  // move_to_commission: 409 "criteria-unmarked", one problem per required criterion without a
  // mark in the current round. Any other action: 400 "action-invalid".
  Result<store::RegistryEntry> transition(const Actor& actor, const std::string& clientId,
                                          Action action, const std::string& reason,
                                          std::optional<int64_t> expectedVersion = std::nullopt);
  // The commission's decision: 422 "decision-invalid" (granted accesses missing, not
  // requested, repeated; reservations missing or not allowed), "reason-required".
  Result<store::RegistryEntry> decide(const Actor& actor, const std::string& clientId,
                                      const DecisionInput& decision,
                                      std::optional<int64_t> expectedVersion = std::nullopt);
  // An evaluator marks one criterion of the current round: 422 "criterion-unknown",
  // "mark-invalid" (verdict), "note-required".
  Result<store::CriterionMark> mark(const Actor& actor, const std::string& clientId,
                                    const MarkInput& mark);
  // Attaches a conformance report (the TestReport JSON text, parsed within `limits`: the
  // request body's, fhir_request.h bodyLimits): 400 for malformed JSON, JSON deeper or larger
  // than the limits, or a malformed TestReport, 422 for its rules
  // (fhir/profiles/test_report_profile.h), 422 "report-not-completed" unless status is completed,
  // 422 "requirement-unknown" for a verifies-requirement id that names no criterion, 409
  // "evidence-duplicate".
  Result<EvidenceView> addEvidence(const Actor& actor, const std::string& clientId,
                                   std::string_view json, const fhir::ParseLimits& limits);

  // --- reading (any registry role; an editor its own services only)
  Result<store::RegistryEntry> read(const Actor& actor, const std::string& clientId);
  // An editor's organisation's services, or every service for the other roles; by client id.
  Result<std::vector<store::RegistryEntry>> list(const Actor& actor);
  Result<ServiceFile> file(const Actor& actor, const std::string& clientId);

  // The referenced services, by name: what /catalogue shows.
  Result<std::vector<store::RegistryEntry>> catalogue();
  const CriteriaCatalogue& criteria() const { return criteria_; }

  // --- administration (administrators only)
  Result<store::EditorOrganisation> createOrganisation(const Actor& actor,
                                                       const OrganisationInput& input);
  Result<std::vector<store::EditorOrganisation>> organisations(const Actor& actor);
  // Registry accounts (not patients'). An editor's membership is written first, then the
  // account, so that no editor account exists without its organisation. 422 "account-invalid"
  // (login, role, organisation), "password-too-short"; 409 "already-exists".
  Result<store::AccountRecord> createAccount(const Actor& actor, const AccountInput& input);
  // Every registry account (patients excluded), by login.
  Result<std::vector<store::AccountRecord>> accounts(const Actor& actor);
  // An editor account's organisation id; "" for the other roles, for none, or when the store
  // cannot say (logged).
  std::string organisationOf(const store::AccountRecord& account);

  // --- the CLI's `service add` and the demo seed (operators' escape hatch): the entry as given,
  // with the status the operator chose, recorded in the history as "register" by the CLI.
  Result<store::RegistryEntry> registerDirectly(const store::RegistryEntry& entry,
                                                const std::string& reason);

 private:
  Result<store::RegistryEntry> visible(const Actor& actor, const std::string& clientId);
  // Steps 1-4 of the header.
  Result<store::RegistryEntry> prepare(const Actor& actor, Action action,
                                       const std::string& clientId,
                                       std::optional<int64_t> expectedVersion);
  store::RegistryEvent event(const Actor& actor, Action action, const store::RegistryEntry& before,
                             ServiceStatus after, const std::string& reason,
                             std::string detail) const;
  Result<store::RegistryEntry> commit(const Actor& actor, Action action,
                                      const store::RegistryEntry& before,
                                      store::RegistryEntry after, const std::string& reason,
                                      std::string detail);
  // Records the outcome in the audit trail and returns `result` unchanged.
  template <typename T>
  Result<T> audited(const Actor& actor, std::string_view action, const std::string& clientId,
                    const std::string& serviceName, const std::string& serviceOid, Result<T> result,
                    int successStatus = 200);
  void record(const Actor& actor, std::string_view action, const std::string& clientId,
              const std::string& serviceName, const std::string& serviceOid, bool success,
              int httpStatus, const std::string& code, const std::string& text);
  std::vector<EvidenceView> evidenceViews(const std::vector<store::EvidenceRecord>& records) const;

  store::RegistryStore& store_;
  store::AccountStore& accounts_;
  const CriteriaCatalogue& criteria_;
  AuditTrail& audit_;
  PairingEffects& pairings_;
  const Clock& clock_;
  IdGenerator& ids_;
  Logger& logger_;
  // Status changes run one at a time in this process: a withdrawal ends the pairings before
  // it commits, and a reinstatement slipping in between would leave a referenced service
  // without its pairings (the version check would then refuse the withdrawal, too late).
  std::mutex transitions_;
};

}  // namespace mes::gateway::registry
