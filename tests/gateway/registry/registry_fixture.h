// A Registry (gateway/registry/registry.h) over a real SQLite store in a temporary directory,
// with a manual clock, predictable ids, an in-memory audit log and pairing effects that record
// what they were asked; plus actors of every role and a way to bring a service to any status
// through the registry's own actions.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/sqlite/sqlite_account_store.h"
#include "connectors/sqlite/sqlite_database.h"
#include "connectors/sqlite/sqlite_registry_store.h"
#include "connectors/store/audit_log.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"
#include "gateway/audit.h"
#include "gateway/log.h"
#include "gateway/registry/registry.h"

namespace mes::test {

using gateway::registry::Action;
using gateway::registry::Actor;
using gateway::registry::Role;
using gateway::registry::ServiceStatus;

class MemoryAuditLog final : public store::AuditLog {
 public:
  Status append(const std::vector<store::AuditEntry*>& entries) override {
    for (store::AuditEntry* e : entries) {
      e->seq = static_cast<int64_t>(kept.size()) + 1;
      kept.push_back(*e);
    }
    return Status::ok();
  }
  Status appendImported(const std::vector<store::AuditEntry*>& entries, const std::string&,
                        const store::JournalMark&) override {
    return append(entries);
  }
  Result<std::optional<store::JournalMark>> journalMark(const std::string&) override {
    return std::optional<store::JournalMark>();
  }
  Result<std::vector<store::AuditEntry>> forPatient(const std::string&, const std::string&, int,
                                                    int) override {
    return std::vector<store::AuditEntry>();
  }
  Result<bool> hasSucceeded(const std::string&, const std::string&) override { return false; }

  std::vector<store::AuditEntry> kept;
};

class RecordingPairingEffects final : public gateway::registry::PairingEffects {
 public:
  Result<size_t> endAllPairings(const std::string& clientId, const std::string&,
                                const std::string&) override {
    calls.push_back(clientId);
    if (during) during();
    if (failing) return Error::make(ErrorKind::kUnavailable, "store-busy", "busy");
    return size_t{2};
  }
  std::vector<std::string> calls;
  bool failing = false;
  std::function<void()> during;  // runs while the pairings are being ended
};

class SequenceIds final : public IdGenerator {
 public:
  std::string next() override {
    std::string n = std::to_string(++n_);
    return "id" + std::string(n.size() < 6 ? 6 - n.size() : 0, '0') + n;
  }

 private:
  int n_ = 0;
};

inline constexpr int64_t kRegistryT0 = 1'780'000'000'000;

// A TestReport whose first test passes and names SEC-01 and SEC-03, the second fails and names
// INT-01; `tag` makes each one different (the registry refuses the same report twice).
inline std::string testReport(const std::string& tag, const std::string& status = "completed",
                              const std::string& requirement = "SEC-01") {
  return R"({"resourceType":"TestReport","name":")" + tag + R"(","status":")" + status +
         R"(","testScript":{"reference":"TestScript/mes-client-suite"},"result":"fail","score":50,)"
         R"("tester":"mes-conformance 0.1.0","issued":"2026-11-23T10:15:00+01:00",)"
         R"("test":[{"name":"client.pkce-s256","extension":[)"
         R"({"url":"urn:mes-gateway:StructureDefinition:verifies-requirement","valueCode":")" +
         requirement +
         R"("},{"url":"urn:mes-gateway:StructureDefinition:verifies-requirement","valueCode":"SEC-03"}],)"
         R"("action":[{"assert":{"result":"pass"}}]},)"
         R"({"name":"client.measures-valid","extension":[)"
         R"({"url":"urn:mes-gateway:StructureDefinition:verifies-requirement","valueCode":"INT-01"}],)"
         R"("action":[{"assert":{"result":"fail","message":"unit lbs"}}]}]})";
}

inline gateway::registry::ServiceDraft completeDraft(const std::string& name = "Tensio+") {
  gateway::registry::ServiceDraft d;
  d.name = name;
  d.description = "Carnet de tension artérielle relié au tensiomètre Tensio.";
  d.category = "measures";
  d.website = "https://tensio.example";
  d.contact = "dpo@tensio.example";
  d.clientType = "public";
  d.redirectUris = {"https://tensio.example/callback"};
  d.requestedAccesses = {"mesures.read", "mesures.write", "offline"};
  return d;
}

template <typename R>
void requireOk(const R& r, const std::string& what = "") {
  BOOST_REQUIRE_MESSAGE(
      r.isOk(),
      what + (r.isOk() ? std::string()
                       : " " + r.error().code() + ": " +
                             (r.error().problems.empty() ? r.error().detail
                                                         : r.error().problems.front().message)));
}

class RegistryFixture {
 public:
  RegistryFixture()
      : clock(kRegistryT0),
        logSink_(std::fopen("/dev/null", "w")),
        logger(clock, gateway::LogLevel::kError, logSink_),
        trail(auditLog, clock) {
    store::SqliteOptions options;
    options.path = dir_.file("registry.db");
    auto database = store::SqliteDatabase::open(options, clock);
    if (!database) throw std::runtime_error("database: " + database.error().detail);
    database_ = std::move(database).value();
    store = store::SqliteRegistryStore::open(database_, clock).value();
    accountStore = store::SqliteAccountStore::open(database_).value();
    auto catalogue = gateway::registry::criteriaBuiltIn();
    if (!catalogue) throw std::runtime_error("criteria");
    criteria = std::move(catalogue).value();
    registry = std::make_unique<gateway::registry::Registry>(*store, *accountStore, criteria, trail,
                                                             effects, clock, ids, logger);
    auto tensio = registry->createOrganisation(
        admin(),
        {"Tensio SAS", "732 829 320 00074", "urn:oid:1.2.250.1.999.42", "referent@tensio.example"});
    auto other = registry->createOrganisation(
        admin(), {"Autre Éditeur SARL", "44306184100047", "urn:oid:1.2.250.1.999.77",
                  "contact@autre.example"});
    if (!tensio || !other) throw std::runtime_error("organisations");
    tensioOrg = tensio->organisationId;
    otherOrg = other->organisationId;
  }
  ~RegistryFixture() {
    registry.reset();
    if (database_) (void)database_->close();
    if (logSink_ != nullptr) std::fclose(logSink_);
  }

  Actor editor() const { return actor("editeur@tensio.example", Role::kEditor, tensioOrg); }
  Actor otherEditor() const { return actor("editeur@autre.example", Role::kEditor, otherOrg); }
  Actor evaluator() const { return actor("evaluatrice@ans.example", Role::kEvaluator, ""); }
  Actor commission() const { return actor("commission@ans.example", Role::kCommission, ""); }
  static Actor admin() { return actor("admin@ans.example", Role::kAdmin, ""); }

  static Actor actor(const std::string& login, Role role, const std::string& organisation) {
    Actor a;
    a.accountId = "acct-" + login.substr(0, login.find('@'));
    a.login = login;
    a.role = role;
    a.organisationId = organisation;
    a.remoteAddress = "192.0.2.7";
    a.requestId = "req-1";
    return a;
  }

  // A new service of Tensio's, brought to `status` through the registry's actions.
  std::string serviceAt(ServiceStatus status, const std::string& name = "Tensio+") {
    auto created = registry->create(editor(), completeDraft(name));
    requireOk(created, "create");
    const std::string id = created->service.clientId;
    bringTo(id, status);
    return id;
  }

  void bringTo(const std::string& id, ServiceStatus status) {
    using S = ServiceStatus;
    auto step = [&](const Actor& who, Action a) {
      requireOk(registry->transition(who, id, a, "étape de test"),
                std::string(gateway::registry::actionName(a)));
    };
    if (status == S::kDraft) return;
    step(editor(), Action::kSubmit);
    if (status == S::kSubmitted) return;
    step(evaluator(), Action::kStartEvaluation);
    if (status == S::kUnderEvaluation) return;
    markRequired(id);
    step(evaluator(), Action::kMoveToCommission);
    if (status == S::kCommission) return;
    gateway::registry::DecisionInput decision;
    if (status == S::kRejected) {
      decision.decision = gateway::registry::Decision::kUnfavourable;
    } else {
      decision.decision = gateway::registry::Decision::kFavourable;
      decision.grantedAccesses = {"mesures.read"};
    }
    decision.reason = "Avis de la séance du 23 novembre.";
    requireOk(registry->decide(commission(), id, decision), "decide");
    if (status == S::kReferenced || status == S::kRejected) return;
    step(admin(), Action::kSuspend);
    if (status == S::kSuspended) return;
    step(admin(), Action::kWithdraw);
  }

  void markRequired(const std::string& id) {
    for (const auto& c : criteria.criteria()) {
      if (!c.required) continue;
      requireOk(registry->mark(evaluator(), id, {c.id, "met", ""}), "mark " + c.id);
    }
  }

  std::vector<store::AuditEntry> auditOf(const std::string& clientId) const {
    std::vector<store::AuditEntry> out;
    for (const auto& e : auditLog.kept) {
      if (e.clientId == clientId) out.push_back(e);
    }
    return out;
  }

 private:
  TempDir dir_;

 public:
  ManualClock clock;

 private:
  std::FILE* logSink_;

 public:
  gateway::Logger logger;
  MemoryAuditLog auditLog;
  gateway::AuditTrail trail;
  RecordingPairingEffects effects;
  SequenceIds ids;

 private:
  std::shared_ptr<store::SqliteDatabase> database_;

 public:
  std::shared_ptr<store::SqliteRegistryStore> store;
  std::shared_ptr<store::SqliteAccountStore> accountStore;
  gateway::registry::CriteriaCatalogue criteria;
  std::unique_ptr<gateway::registry::Registry> registry;
  std::string tensioOrg;
  std::string otherOrg;
};

}  // namespace mes::test
