#include "gateway/registry/registry.h"

#include <algorithm>
#include <map>
#include <set>

#include "fhir/json/json.h"
#include "gateway/registry/identifiers.h"
#include "gateway/registry/problems.h"
#include "oauth/api_access.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/random.h"

namespace mes::gateway::registry {
namespace {

using store::RegistryEntry;

constexpr size_t kMaxLegalNameLength = 200;

std::string joinedNames(const std::vector<Action>& actions) {
  std::string out;
  for (Action a : actions) out += (out.empty() ? "" : ", ") + std::string(actionName(a));
  return out;
}

Error roleForbidden(Role role, std::string_view what) {
  return Error::make(ErrorKind::kForbidden, "role-forbidden",
                     "An account with the role " + std::string(roleName(role)) + " may not " +
                         std::string(what) + ".");
}

Error notFound(const std::string& clientId) {
  return Error::make(ErrorKind::kNotFound, "not-found", "Service " + clientId + " does not exist.");
}

Error notAllowed(ServiceStatus status, Action action) {
  const std::vector<Action> allowed = allowedActions(status);
  std::string message = std::string(actionName(action)) + " is not allowed while the service is " +
                        std::string(statusName(status)) + "; ";
  message += allowed.empty() ? "no action is allowed any more."
                             : "allowed now: " + joinedNames(allowed) + ".";
  Error e = Error::make(ErrorKind::kConflict, "action-not-allowed", std::move(message));
  // Machine-readable too: one information issue per allowed action.
  for (Action a : allowed) {
    Problem p;
    p.code = "allowed-action";
    p.message = std::string(actionName(a));
    p.severity = "information";
    p.issueType = "informational";
    e.problems.push_back(std::move(p));
  }
  return e;
}

Error unprocessable(std::string code, std::string message, std::string expression) {
  return Error::make(ErrorKind::kUnprocessable, std::move(code), std::move(message),
                     std::move(expression));
}

bool hasControl(std::string_view text, bool allowNewlines) {
  return std::any_of(text.begin(), text.end(), [allowNewlines](char c) {
    const auto u = static_cast<unsigned char>(c);
    if (allowNewlines && (c == '\n' || c == '\r' || c == '\t')) return false;
    return u < 0x20 || u == 0x7f;
  });
}

size_t characters(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(kDigits[u >> 4]);
    out.push_back(kDigits[u & 0xF]);
  }
  return out;
}

fhir::Value strings(const std::vector<std::string>& items) {
  fhir::Value out = fhir::Value::array();
  for (const std::string& s : items) out.push(fhir::Value::string(s));
  return out;
}

// The scopes of a list of access family ids (all known: checked before).
std::string scopesOfAccesses(const std::vector<std::string>& ids) {
  std::vector<const oauth::ApiAccess*> accesses;
  for (const std::string& id : ids) accesses.push_back(oauth::findApiAccess(id));
  return oauth::scopesOf(accesses).toString();
}

bool requiresReason(Action action) {
  return action == Action::kSuspend || action == Action::kReinstate || action == Action::kWithdraw;
}

// The fields of a draft that differ between two entries (for the history of an edit).
std::vector<std::string> changedFields(const ServiceDraft& a, const ServiceDraft& b) {
  std::vector<std::string> out;
  auto check = [&](bool same, const char* name) {
    if (!same) out.emplace_back(name);
  };
  check(a.name == b.name, "name");
  check(a.description == b.description, "description");
  check(a.category == b.category, "category");
  check(a.website == b.website, "website");
  check(a.contact == b.contact, "contact");
  check(a.clientType == b.clientType, "client_type");
  check(a.redirectUris == b.redirectUris, "redirect_uris");
  check(a.jwks == b.jwks, "jwks");
  check(a.jwksUri == b.jwksUri, "jwks_uri");
  check(a.requestedAccesses == b.requestedAccesses, "requested_accesses");
  return out;
}

void applyDraft(RegistryEntry& entry, const ServiceDraft& draft) {
  entry.service.name = draft.name;
  entry.service.clientType = draft.clientType;
  entry.service.redirectUris = draft.redirectUris;
  entry.service.jwks = draft.jwks;
  entry.service.jwksUri = draft.jwksUri;
  entry.details.description = draft.description;
  entry.details.category = draft.category;
  entry.details.website = draft.website;
  entry.details.contact = draft.contact;
  entry.details.requestedAccesses = draft.requestedAccesses;
}

Status checkReason(const std::string& reason) {
  if (characters(reason) > kMaxReasonLength || hasControl(reason, true)) {
    return unprocessable("reason-invalid",
                         "The reason must be at most 2000 characters, without control characters.",
                         "reason");
  }
  return Status::ok();
}

}  // namespace

Actor Actor::cli() {
  Actor actor;
  actor.login = "cli";
  actor.role = Role::kAdmin;
  return actor;
}

ServiceDraft draftOf(const RegistryEntry& entry) {
  ServiceDraft draft;
  draft.name = entry.service.name;
  draft.clientType = entry.service.clientType;
  draft.redirectUris = entry.service.redirectUris;
  draft.jwks = entry.service.jwks;
  draft.jwksUri = entry.service.jwksUri;
  draft.description = entry.details.description;
  draft.category = entry.details.category;
  draft.website = entry.details.website;
  draft.contact = entry.details.contact;
  draft.requestedAccesses = entry.details.requestedAccesses;
  return draft;
}

std::vector<Action> actionsFor(const Actor& actor, const RegistryEntry& entry) {
  std::vector<Action> out;
  if (const auto status = parseStatus(entry.service.status)) {
    for (Action a : allowedActions(*status)) {
      if (roleMay(actor.role, a)) out.push_back(a);
    }
  }
  return out;
}

Registry::Registry(store::RegistryStore& store, store::AccountStore& accounts,
                   const CriteriaCatalogue& criteria, AuditTrail& audit, PairingEffects& pairings,
                   const Clock& clock, IdGenerator& ids, Logger& logger)
    : store_(store),
      accounts_(accounts),
      criteria_(criteria),
      audit_(audit),
      pairings_(pairings),
      clock_(clock),
      ids_(ids),
      logger_(logger) {}

// --- the steps every action shares -----------------------------------------------------------

Result<Actor> Registry::actorFor(const PortalSession& session, const std::string& remoteAddress,
                                 const std::string& requestId) {
  std::optional<Role> role = parseRole(session.role);
  if (!role) {
    return Error::make(ErrorKind::kForbidden, "role-forbidden",
                       "This account has no role in the referencing registry.");
  }
  Actor actor;
  actor.accountId = session.accountId;
  actor.login = session.login;
  actor.role = *role;
  actor.remoteAddress = remoteAddress;
  actor.requestId = requestId;
  if (*role == Role::kEditor) {
    auto organisation = store_.organisationOf(session.accountId);
    if (!organisation) return organisation.takeError();
    actor.organisationId = organisation->value_or("");
  }
  return actor;
}

Result<RegistryEntry> Registry::visible(const Actor& actor, const std::string& clientId) {
  auto entry = store_.entry(clientId);
  if (!entry) {
    if (entry.error().kind == ErrorKind::kNotFound) return notFound(clientId);
    return entry.takeError();
  }
  if (actor.role == Role::kEditor &&
      (actor.organisationId.empty() || entry->details.organisationId != actor.organisationId)) {
    return notFound(clientId);
  }
  return entry;
}

Result<RegistryEntry> Registry::prepare(const Actor& actor, Action action,
                                        const std::string& clientId,
                                        std::optional<int64_t> expectedVersion) {
  if (!roleMay(actor.role, action)) {
    return roleForbidden(actor.role, std::string(actionName(action)) + " a service");
  }
  auto entry = visible(actor, clientId);
  if (!entry) return entry.takeError();
  const std::optional<ServiceStatus> status = parseStatus(entry->service.status);
  if (!status) return Error::internal("registry: unknown status " + entry->service.status);
  if (!allows(*status, action)) return notAllowed(*status, action);
  if (expectedVersion && *expectedVersion != entry->service.version) {
    return Error::make(ErrorKind::kPreconditionFailed, "version-conflict",
                       "The service is at version " + std::to_string(entry->service.version) +
                           ", not " + std::to_string(*expectedVersion) +
                           ": read it again before changing it.");
  }
  return entry;
}

store::RegistryEvent Registry::event(const Actor& actor, Action action, const RegistryEntry& before,
                                     ServiceStatus after, const std::string& reason,
                                     std::string detail) const {
  store::RegistryEvent e;
  e.recordedMs = clock_.nowMs();
  e.action = std::string(actionName(action));
  e.fromStatus = before.service.status;
  e.toStatus = std::string(statusName(after));
  e.actorAccountId = actor.accountId;
  e.actorLogin = actor.login;
  e.actorRole = std::string(roleName(actor.role));
  e.reason = reason;
  e.detail = std::move(detail);
  return e;
}

Result<RegistryEntry> Registry::commit(const Actor& actor, Action action,
                                       const RegistryEntry& before, RegistryEntry after,
                                       const std::string& reason, std::string detail) {
  const ServiceStatus to = parseStatus(after.service.status).value_or(ServiceStatus::kDraft);
  return store_.updateEntry(after, before.service.version,
                            event(actor, action, before, to, reason, std::move(detail)));
}

void Registry::record(const Actor& actor, std::string_view action, const std::string& clientId,
                      const std::string& serviceName, const std::string& serviceOid, bool success,
                      int httpStatus, const std::string& code, const std::string& text) {
  AuditRecord r;
  r.category = kAuditRegistry;
  r.action = action.rfind("create", 0) == 0 || action == "add_evidence" || action == "register"
                 ? "C"
                 : "U";
  r.subtype = std::string(action);
  r.success = success;
  r.httpStatus = httpStatus;
  r.outcomeCode = code;
  r.outcomeText = actor.login + " (" + std::string(roleName(actor.role)) + ")" +
                  (text.empty() ? "" : ": " + text);
  r.clientId = clientId;
  r.serviceName = serviceName;
  r.serviceOid = serviceOid;
  r.sourceAddress = actor.remoteAddress;
  r.requestId = actor.requestId;
  r.actor = actor.login;
  if (Status s = audit_.record(std::move(r)); !s) {
    // The registry's own history already holds the action (same transaction as the change).
    logger_.error("registry audit entry not recorded",
                  {{"request_id", actor.requestId}, {"detail", s.error().detail}});
  }
}

template <typename T>
Result<T> Registry::audited(const Actor& actor, std::string_view action,
                            const std::string& clientId, const std::string& serviceName,
                            const std::string& serviceOid, Result<T> result, int successStatus) {
  if (result) {
    record(actor, action, clientId, serviceName, serviceOid, true, successStatus, "", "");
  } else {
    const Error& e = result.error();
    record(actor, action, clientId, serviceName, serviceOid, false, httpStatusOf(e.kind), e.code(),
           e.problems.empty() ? std::string() : e.problems.front().message);
  }
  return result;
}

// --- a service's life ----------------------------------------------------------------------

Result<RegistryEntry> Registry::create(const Actor& actor, const ServiceDraft& draft) {
  auto run = [&]() -> Result<RegistryEntry> {
    if (actor.role != Role::kEditor) return roleForbidden(actor.role, "create a service");
    if (actor.organisationId.empty()) {
      return Error::make(ErrorKind::kForbidden, "organisation-missing",
                         "This editor account belongs to no editor organisation; ask an "
                         "administrator.");
    }
    MES_RETURN_IF_ERROR(checkServiceDraft(draft));
    auto organisation = store_.organisation(actor.organisationId);
    if (!organisation) return organisation.takeError();
    RegistryEntry entry;
    entry.service.clientId = ids_.next();
    entry.service.editorName = organisation->legalName;
    entry.service.editorOid = organisation->editorOid;
    entry.service.status = std::string(statusName(ServiceStatus::kDraft));
    entry.details.organisationId = organisation->organisationId;
    entry.details.editorSiret = organisation->siret;
    applyDraft(entry, draft);
    store::RegistryEvent e;
    e.recordedMs = clock_.nowMs();
    e.action = "create";
    e.toStatus = entry.service.status;
    e.actorAccountId = actor.accountId;
    e.actorLogin = actor.login;
    e.actorRole = std::string(roleName(actor.role));
    return store_.createEntry(entry, e);
  };
  Result<RegistryEntry> created = run();
  const std::string clientId = created ? created->service.clientId : std::string();
  const std::string oid = created ? created->service.editorOid : std::string();
  return audited(actor, "create", clientId, draft.name, oid, std::move(created), 201);
}

Result<RegistryEntry> Registry::edit(const Actor& actor, const std::string& clientId,
                                     const ServiceDraft& draft,
                                     std::optional<int64_t> expectedVersion) {
  auto before = prepare(actor, Action::kEdit, clientId, expectedVersion);
  auto run = [&]() -> Result<RegistryEntry> {
    if (!before) return before.error();
    MES_RETURN_IF_ERROR(checkServiceDraft(draft));
    RegistryEntry after = *before;
    applyDraft(after, draft);
    fhir::Value detail = fhir::Value::object();
    detail.set("changed", strings(changedFields(draftOf(*before), draft)));
    return commit(actor, Action::kEdit, *before, std::move(after), "", fhir::toJson(detail));
  };
  return audited(actor, "edit", clientId, before ? before->service.name : std::string(),
                 before ? before->service.editorOid : std::string(), run());
}

Result<RegistryEntry> Registry::transition(const Actor& actor, const std::string& clientId,
                                           Action action, const std::string& reason,
                                           std::optional<int64_t> expectedVersion) {
  static constexpr Action kTransitions[] = {
      Action::kSubmit,  Action::kRetract,   Action::kStartEvaluation, Action::kMoveToCommission,
      Action::kSuspend, Action::kReinstate, Action::kWithdraw,        Action::kReopen};
  if (std::find(std::begin(kTransitions), std::end(kTransitions), action) ==
      std::end(kTransitions)) {
    return Error::make(ErrorKind::kInvalid, "action-invalid",
                       std::string(actionName(action)) + " is not a status change.");
  }
  std::lock_guard serialised(transitions_);
  auto before = prepare(actor, action, clientId, expectedVersion);
  auto run = [&]() -> Result<RegistryEntry> {
    if (!before) return before.error();
    MES_RETURN_IF_ERROR(checkReason(reason));
    if (requiresReason(action) && reason.empty()) {
      return unprocessable("reason-required",
                           std::string(actionName(action)) +
                               " needs a reason: the service's "
                               "patients and editor are owed one.",
                           "reason");
    }
    const ServiceStatus from = *parseStatus(before->service.status);
    const ServiceStatus to = *transitionTarget(from, action);
    RegistryEntry after = *before;
    after.service.status = std::string(statusName(to));
    fhir::Value detail = fhir::Value::object();
    switch (action) {
      case Action::kSubmit: {
        const ServiceDraft draft = draftOf(*before);
        MES_RETURN_IF_ERROR(checkServiceDraft(draft));
        MES_RETURN_IF_ERROR(checkSubmittable(draft));
        break;
      }
      case Action::kStartEvaluation:
        after.details.evaluationRound = before->details.evaluationRound + 1;
        detail.set("round", fhir::Value::number(after.details.evaluationRound));
        break;
      case Action::kMoveToCommission: {
        auto marks = store_.marks(clientId, before->details.evaluationRound);
        if (!marks) return marks.takeError();
        std::set<std::string> marked;
        for (const auto& m : *marks) marked.insert(m.criterionId);
        ProblemList unmarked(ErrorKind::kConflict);
        for (const Criterion& c : criteria_.criteria()) {
          if (c.required && marked.count(c.id) == 0) {
            unmarked.add("criteria-unmarked",
                         "The required criterion " + c.id + " is not marked yet.", c.id);
          }
        }
        MES_RETURN_IF_ERROR(unmarked.status());
        detail.set("round", fhir::Value::number(before->details.evaluationRound));
        break;
      }
      case Action::kReopen:
        after.details.decision.clear();
        after.details.grantedAccesses.clear();
        after.details.reservations.clear();
        after.service.allowedScopes.clear();
        break;
      case Action::kWithdraw: {
        // While the service is still suspended (its tokens already refused): a failure here
        // leaves it suspended, and withdrawing again ends the pairings left.
        auto ended = pairings_.endAllPairings(clientId, actor.remoteAddress, actor.requestId);
        if (!ended) return ended.takeError();
        detail.set("pairings_ended", fhir::Value::number(static_cast<int64_t>(*ended)));
        break;
      }
      default:
        break;
    }
    return commit(actor, action, *before, std::move(after), reason,
                  detail.members().empty() ? std::string() : fhir::toJson(detail));
  };
  return audited(actor, actionName(action), clientId, before ? before->service.name : std::string(),
                 before ? before->service.editorOid : std::string(), run());
}

Result<RegistryEntry> Registry::decide(const Actor& actor, const std::string& clientId,
                                       const DecisionInput& input,
                                       std::optional<int64_t> expectedVersion) {
  auto before = prepare(actor, Action::kDecide, clientId, expectedVersion);
  auto run = [&]() -> Result<RegistryEntry> {
    if (!before) return before.error();
    MES_RETURN_IF_ERROR(checkReason(input.reason));
    if (input.reason.empty()) {
      return unprocessable("reason-required", "The decision needs its grounds (reason).", "reason");
    }
    const bool favourable = input.decision != Decision::kUnfavourable;
    ProblemList problems(ErrorKind::kUnprocessable);
    auto problem = [&](std::string message, std::string expression) {
      problems.add("decision-invalid", std::move(message), std::move(expression));
    };
    const auto& requested = before->details.requestedAccesses;
    if (favourable && input.grantedAccesses.empty()) {
      problem("A favourable decision grants at least one of the requested accesses.",
              "granted_accesses");
    }
    if (!favourable && !input.grantedAccesses.empty()) {
      problem("An unfavourable decision grants nothing.", "granted_accesses");
    }
    for (size_t i = 0; i < input.grantedAccesses.size(); ++i) {
      const std::string& id = input.grantedAccesses[i];
      const std::string at = "granted_accesses[" + std::to_string(i) + "]";
      if (std::find(requested.begin(), requested.end(), id) == requested.end()) {
        problem("The access \"" + id +
                    "\" was not requested by the editor; the commission "
                    "grants a part of what was asked, never more.",
                at);
      } else if (std::find(input.grantedAccesses.begin(),
                           input.grantedAccesses.begin() + static_cast<std::ptrdiff_t>(i),
                           id) != input.grantedAccesses.begin() + static_cast<std::ptrdiff_t>(i)) {
        problem("The access \"" + id + "\" is listed twice.", at);
      }
    }
    const bool withReservations = input.decision == Decision::kFavourableWithReservations;
    if (withReservations && input.reservations.empty()) {
      problem("A favourable decision with reservations lists them.", "reservations");
    }
    if (!withReservations && !input.reservations.empty()) {
      problem("Only a favourable decision with reservations lists reservations.", "reservations");
    }
    if (input.reservations.size() > kMaxReservations) {
      problem("At most 20 reservations.", "reservations");
    }
    for (size_t i = 0; i < input.reservations.size(); ++i) {
      const std::string& r = input.reservations[i];
      if (r.empty() || characters(r) > kMaxReservationLength || hasControl(r, false)) {
        problem("A reservation is one line of 1 to 1000 characters.",
                "reservations[" + std::to_string(i) + "]");
      }
    }
    MES_RETURN_IF_ERROR(problems.status());

    RegistryEntry after = *before;
    after.service.status = std::string(statusName(decisionTarget(input.decision)));
    after.service.allowedScopes = favourable ? scopesOfAccesses(input.grantedAccesses) : "";
    after.details.decision = std::string(decisionName(input.decision));
    after.details.grantedAccesses = input.grantedAccesses;
    after.details.reservations = input.reservations;
    fhir::Value detail = fhir::Value::object();
    detail.set("decision", fhir::Value::string(after.details.decision));
    detail.set("granted_accesses", strings(input.grantedAccesses));
    detail.set("reservations", strings(input.reservations));
    detail.set("allowed_scopes", fhir::Value::string(after.service.allowedScopes));
    return commit(actor, Action::kDecide, *before, std::move(after), input.reason,
                  fhir::toJson(detail));
  };
  return audited(actor, "decide", clientId, before ? before->service.name : std::string(),
                 before ? before->service.editorOid : std::string(), run());
}

Result<store::CriterionMark> Registry::mark(const Actor& actor, const std::string& clientId,
                                            const MarkInput& input) {
  auto before = prepare(actor, Action::kMark, clientId, std::nullopt);
  auto run = [&]() -> Result<store::CriterionMark> {
    if (!before) return before.error();
    if (criteria_.find(input.criterionId) == nullptr) {
      return unprocessable("criterion-unknown",
                           "There is no criterion " + input.criterionId + " in the checklist.",
                           "criterion");
    }
    if (input.verdict != "met" && input.verdict != "not_met" && input.verdict != "not_applicable") {
      return unprocessable("mark-invalid", "The verdict must be met, not_met or not_applicable.",
                           "verdict");
    }
    if (characters(input.note) > kMaxNoteLength || hasControl(input.note, true)) {
      return unprocessable("note-invalid",
                           "The note must be at most 2000 characters, without control characters.",
                           "note");
    }
    if (input.verdict != "met" && input.note.empty()) {
      return unprocessable("note-required",
                           "A criterion marked " + input.verdict + " needs a note saying why.",
                           "note");
    }
    store::CriterionMark m;
    m.clientId = clientId;
    m.round = before->details.evaluationRound;
    m.criterionId = input.criterionId;
    m.verdict = input.verdict;
    m.note = input.note;
    m.actorAccountId = actor.accountId;
    m.actorLogin = actor.login;
    m.markedMs = clock_.nowMs();
    fhir::Value detail = fhir::Value::object();
    detail.set("criterion", fhir::Value::string(m.criterionId));
    detail.set("verdict", fhir::Value::string(m.verdict));
    detail.set("round", fhir::Value::number(m.round));
    MES_RETURN_IF_ERROR(
        store_.putMark(m, before->service.version,
                       event(actor, Action::kMark, *before, ServiceStatus::kUnderEvaluation,
                             input.note, fhir::toJson(detail))));
    return m;
  };
  return audited(actor, "mark", clientId, before ? before->service.name : std::string(),
                 before ? before->service.editorOid : std::string(), run());
}

Result<EvidenceView> Registry::addEvidence(const Actor& actor, const std::string& clientId,
                                           std::string_view json, const fhir::ParseLimits& limits) {
  auto before = prepare(actor, Action::kAddEvidence, clientId, std::nullopt);
  auto run = [&]() -> Result<EvidenceView> {
    if (!before) return before.error();
    auto parsed = fhir::parseJson(json, limits);
    if (!parsed) return parsed.takeError();
    auto summary = fhir::validateTestReport(*parsed);
    if (!summary) return summary.takeError();
    if (summary->status != "completed") {
      return unprocessable(
          "report-not-completed",
          "Only a completed TestReport is evidence; this one is " + summary->status + ".",
          "TestReport.status");
    }
    ProblemList unknown(ErrorKind::kUnprocessable);
    for (const fhir::TestReportTest& test : summary->tests) {
      for (const std::string& id : test.requirements) {
        if (criteria_.find(id) != nullptr) continue;
        unknown.add("requirement-unknown",
                    test.expression + " names the requirement " + id +
                        ", which is not a criterion of the registry.",
                    test.expression + ".extension");
      }
    }
    MES_RETURN_IF_ERROR(unknown.status());
    EvidenceView view;
    view.record.evidenceId = "ev-" + ids_.next();
    view.record.clientId = clientId;
    view.record.kind = "test-report";
    view.record.content = std::string(json);
    view.record.sha256 = hex(oauth::sha256(json));
    view.record.uploadedByAccountId = actor.accountId;
    view.record.uploadedByLogin = actor.login;
    view.record.uploadedMs = clock_.nowMs();
    view.summary = std::move(*summary);
    fhir::Value detail = fhir::Value::object();
    detail.set("evidence_id", fhir::Value::string(view.record.evidenceId));
    detail.set("result", fhir::Value::string(view.summary.result));
    if (!view.summary.score.empty())
      detail.set("score", fhir::Value::numberText(view.summary.score));
    const ServiceStatus status = *parseStatus(before->service.status);
    MES_RETURN_IF_ERROR(store_.addEvidence(
        view.record, before->service.version,
        event(actor, Action::kAddEvidence, *before, status, "", fhir::toJson(detail))));
    return view;
  };
  return audited(actor, "add_evidence", clientId, before ? before->service.name : std::string(),
                 before ? before->service.editorOid : std::string(), run(), 201);
}

// --- reading -------------------------------------------------------------------------------

Result<RegistryEntry> Registry::read(const Actor& actor, const std::string& clientId) {
  return visible(actor, clientId);
}

Result<std::vector<RegistryEntry>> Registry::list(const Actor& actor) {
  auto all = store_.entries();
  if (!all) return all.takeError();
  if (actor.role != Role::kEditor) return all;
  std::vector<RegistryEntry> own;
  for (RegistryEntry& e : *all) {
    if (!actor.organisationId.empty() && e.details.organisationId == actor.organisationId) {
      own.push_back(std::move(e));
    }
  }
  return own;
}

std::vector<EvidenceView> Registry::evidenceViews(
    const std::vector<store::EvidenceRecord>& records) const {
  std::vector<EvidenceView> out;
  for (const store::EvidenceRecord& record : records) {
    EvidenceView view;
    view.record = record;
    // Stored only after validation; a report this version reads differently is shown without
    // its tests rather than hidden.
    auto parsed = fhir::parseJson(record.content);
    auto summary = parsed ? fhir::validateTestReport(*parsed)
                          : Result<fhir::TestReportSummary>(parsed.takeError());
    if (summary) {
      view.summary = std::move(*summary);
    } else {
      logger_.warn("stored test report no longer validates",
                   {{"evidence_id", record.evidenceId}, {"code", summary.error().code()}});
      view.summary.status = "unreadable";
    }
    out.push_back(std::move(view));
  }
  return out;
}

Result<ServiceFile> Registry::file(const Actor& actor, const std::string& clientId) {
  auto entry = visible(actor, clientId);
  if (!entry) return entry.takeError();
  ServiceFile file;
  file.entry = std::move(*entry);
  auto history = store_.history(clientId);
  if (!history) return history.takeError();
  file.history = std::move(*history);
  auto records = store_.evidence(clientId);
  if (!records) return records.takeError();
  file.evidence = evidenceViews(*records);
  std::vector<store::CriterionMark> marks;
  if (file.entry.details.evaluationRound > 0) {
    auto read = store_.marks(clientId, file.entry.details.evaluationRound);
    if (!read) return read.takeError();
    marks = std::move(*read);
  }
  for (const Criterion& criterion : criteria_.criteria()) {
    ChecklistItem item;
    item.criterion = criterion;
    for (const auto& m : marks) {
      if (m.criterionId == criterion.id) item.mark = m;
    }
    // A test evidences the criterion when it declares it (verifies-requirement) or when the
    // criterion names it among its conformance tests. Reports in upload order: a test's
    // newest result is what counts (a later failure takes back an earlier pass).
    std::map<std::string, std::string> latest;  // test name -> its newest outcome
    for (const EvidenceView& view : file.evidence) {
      if (view.summary.status != "completed") continue;
      for (const fhir::TestReportTest& test : view.summary.tests) {
        const bool declared = std::find(test.requirements.begin(), test.requirements.end(),
                                        criterion.id) != test.requirements.end();
        const bool named = std::any_of(
            criterion.evidence.begin(), criterion.evidence.end(),
            [&](const CriterionEvidence& e) { return !e.test.empty() && e.test == test.name; });
        if (!declared && !named) continue;
        item.tests.push_back(
            {view.record.evidenceId, test.name, test.outcome, view.summary.issued});
        latest[test.name] = test.outcome;
      }
    }
    item.evidencedByPassedTest = std::any_of(
        latest.begin(), latest.end(), [](const auto& test) { return test.second == "pass"; });
    file.checklist.push_back(std::move(item));
  }
  file.actions = actionsFor(actor, file.entry);
  return file;
}

Result<std::vector<RegistryEntry>> Registry::catalogue() {
  auto all = store_.entries();
  if (!all) return all.takeError();
  std::vector<RegistryEntry> referenced;
  for (RegistryEntry& e : *all) {
    if (e.service.status == statusName(ServiceStatus::kReferenced))
      referenced.push_back(std::move(e));
  }
  std::stable_sort(referenced.begin(), referenced.end(),
                   [](const RegistryEntry& a, const RegistryEntry& b) {
                     return a.service.name < b.service.name;
                   });
  return referenced;
}

// --- administration ------------------------------------------------------------------------

Result<store::EditorOrganisation> Registry::createOrganisation(const Actor& actor,
                                                               const OrganisationInput& input) {
  auto run = [&]() -> Result<store::EditorOrganisation> {
    if (actor.role != Role::kAdmin) return roleForbidden(actor.role, "create an organisation");
    ProblemList problems(ErrorKind::kUnprocessable);
    auto problem = [&](std::string message, std::string expression) {
      problems.add("organisation-invalid", std::move(message), std::move(expression));
    };
    const size_t nameLength = characters(input.legalName);
    if (nameLength < 2 || nameLength > kMaxLegalNameLength || hasControl(input.legalName, false)) {
      problem("The legal name must be 2 to 200 characters.", "legal_name");
    }
    const std::string siret = normalizeSiret(input.siret);
    if (siret.empty()) {
      problem("The SIRET must be 14 digits (spaces allowed).", "siret");
    } else if (!siretValid(siret)) {
      problem("The SIRET " + siret +
                  " fails its check digit (Luhn): check it against the "
                  "INSEE directory.",
              "siret");
    }
    if (!oidUrnValid(input.editorOid)) {
      problem("The OID must be urn:oid: then digits and dots (urn:oid:1.2.250.1.999).",
              "editor_oid");
    }
    if (!emailLike(input.contact)) problem("The contact must be an e-mail address.", "contact");
    MES_RETURN_IF_ERROR(problems.status());
    store::EditorOrganisation organisation;
    organisation.organisationId = "org-" + ids_.next();
    organisation.legalName = input.legalName;
    organisation.siret = siret;
    organisation.editorOid = input.editorOid;
    organisation.contact = input.contact;
    return store_.createOrganisation(organisation, clock_.nowMs());
  };
  Result<store::EditorOrganisation> created = run();
  if (created) {
    record(actor, "create_organisation", "", "", created->editorOid, true, 201, "",
           created->legalName + " (" + created->organisationId + ")");
  } else {
    record(actor, "create_organisation", "", "", "", false, httpStatusOf(created.error().kind),
           created.error().code(), input.legalName);
  }
  return created;
}

Result<std::vector<store::EditorOrganisation>> Registry::organisations(const Actor& actor) {
  if (actor.role == Role::kEditor) return roleForbidden(actor.role, "list the organisations");
  return store_.organisations();
}

Result<store::AccountRecord> Registry::createAccount(const Actor& actor,
                                                     const AccountInput& input) {
  const std::string login = store::normalizeLogin(input.login);
  auto run = [&]() -> Result<store::AccountRecord> {
    if (actor.role != Role::kAdmin) return roleForbidden(actor.role, "create accounts");
    ProblemList problems(ErrorKind::kUnprocessable);
    auto problem = [&](std::string code, std::string message, std::string expression) {
      problems.add(std::move(code), std::move(message), std::move(expression));
    };
    if (!emailLike(login)) {
      problem("account-invalid",
              "The login must be an e-mail address: the one-time login codes "
              "are sent there.",
              "login");
    }
    const std::optional<Role> role = parseRole(input.role);
    if (!role) {
      problem("account-invalid", "The role must be editor, evaluator, commission or admin.",
              "role");
    } else if (*role == Role::kEditor) {
      if (input.organisationId.empty()) {
        problem("account-invalid", "An editor account belongs to an editor organisation.",
                "organisation_id");
      } else if (auto org = store_.organisation(input.organisationId); !org) {
        if (org.error().kind != ErrorKind::kNotFound) return org.takeError();
        problem("account-invalid", "There is no organisation " + input.organisationId + ".",
                "organisation_id");
      }
    } else if (!input.organisationId.empty()) {
      problem("account-invalid", "Only editor accounts belong to an organisation.",
              "organisation_id");
    }
    if (characters(input.password) < kMinRegistryPasswordLength) {
      problem("password-too-short",
              "The password must be at least " + std::to_string(kMinRegistryPasswordLength) +
                  " characters long.",
              "password");
    }
    MES_RETURN_IF_ERROR(problems.status());
    auto existing = accounts_.accountByLogin(login);
    if (existing) {
      return Error::make(ErrorKind::kConflict, "already-exists",
                         "An account with this login already exists.", "login");
    }
    if (existing.error().kind != ErrorKind::kNotFound) return existing.takeError();
    auto accountId = oauth::randomToken(16);
    if (!accountId) return accountId.takeError();
    if (*role == Role::kEditor) {
      MES_RETURN_IF_ERROR(store_.addMember(*accountId, input.organisationId, clock_.nowMs()));
    }
    NewAccount account;
    account.accountId = *accountId;
    account.login = login;
    account.password = input.password;
    account.role = input.role;
    return gateway::createAccount(accounts_, account, clock_.nowMs());
  };
  Result<store::AccountRecord> created = run();
  if (created) {
    record(actor, "create_account", "", "", "", true, 201, "",
           created->login + " (" + created->role + ")");
  } else {
    record(actor, "create_account", "", "", "", false, httpStatusOf(created.error().kind),
           created.error().code(), login + " (" + input.role + ")");
  }
  return created;
}

Result<std::vector<store::AccountRecord>> Registry::accounts(const Actor& actor) {
  if (actor.role != Role::kAdmin) return roleForbidden(actor.role, "list accounts");
  auto all = accounts_.accounts();
  if (!all) return all.takeError();
  std::vector<store::AccountRecord> out;
  for (store::AccountRecord& a : *all) {
    if (a.role != "patient") out.push_back(std::move(a));
  }
  return out;
}

std::string Registry::organisationOf(const store::AccountRecord& account) {
  if (account.role != roleName(Role::kEditor)) return {};
  auto organisation = store_.organisationOf(account.accountId);
  if (!organisation) {
    logger_.warn("organisation of an account not read", {{"detail", organisation.error().detail}});
    return {};
  }
  return organisation->value_or("");
}

Result<RegistryEntry> Registry::registerDirectly(const RegistryEntry& entry,
                                                 const std::string& reason) {
  const Actor actor = Actor::cli();
  const store::ServiceRecord& service = entry.service;
  store::RegistryEvent e;
  e.recordedMs = clock_.nowMs();
  e.action = "register";
  e.toStatus = service.status;
  e.actorLogin = actor.login;
  e.actorRole = std::string(roleName(actor.role));
  e.reason = reason;
  return audited(actor, "register", service.clientId, service.name, service.editorOid,
                 store_.createEntry(entry, e), 201);
}

}  // namespace mes::gateway::registry
