// The referencing registry's rules (gateway/registry/registry.h) on a real SQLite store: a
// service's walk from draft to referenced with its history, every status × every action and
// every action × every role through the Registry itself, the criteria and evidence rules, the
// decision's effects, withdrawal, audit entries, organisations and accounts.
#include "gateway/registry/registry.h"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/registry/registry_fixture.h"

using namespace mes::gateway::registry;
using mes::ErrorKind;
using mes::test::completeDraft;
using mes::test::RegistryFixture;
using mes::test::requireOk;
using mes::test::testReport;

namespace {

// The request body's limits of the default configuration (gateway/fhir_request.h bodyLimits).
const mes::fhir::ParseLimits kLimits{32, 1 << 20};

// Takes `action` on `id` as `actor` with a valid input; returns the outcome.
mes::Status perform(RegistryFixture& f, const Actor& actor, Action action, const std::string& id,
                    const std::string& tag = "") {
  switch (action) {
    case Action::kEdit:
      return f.registry->edit(actor, id, completeDraft("Tensio+ 2")).status();
    case Action::kMark:
      return f.registry->mark(actor, id, {"SEC-01", "met", ""}).status();
    case Action::kAddEvidence:
      return f.registry->addEvidence(actor, id, testReport("report " + id + tag), kLimits).status();
    case Action::kDecide: {
      DecisionInput d;
      d.decision = Decision::kFavourable;
      d.grantedAccesses = {"mesures.read"};
      d.reason = "Conforme.";
      return f.registry->decide(actor, id, d).status();
    }
    default:
      return f.registry->transition(actor, id, action, "raison du test").status();
  }
}

// The actor of the role that may take `action` (editors: Tensio's).
Actor permitted(RegistryFixture& f, Action action) {
  if (roleMay(Role::kEditor, action)) return f.editor();
  if (roleMay(Role::kEvaluator, action)) return f.evaluator();
  if (roleMay(Role::kCommission, action)) return f.commission();
  return RegistryFixture::admin();
}

// A status in which `action` is allowed.
ServiceStatus statusAllowing(Action action) {
  for (ServiceStatus s : allStatuses()) {
    if (allows(s, action)) return s;
  }
  throw std::logic_error("no status allows the action");
}

std::string codeOf(const mes::Status& s) {
  return s.isOk() ? "ok" : s.error().code();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry)

BOOST_AUTO_TEST_CASE(a_service_walks_from_draft_to_referenced_and_its_history_says_who_when_why) {
  RegistryFixture f;
  auto created = f.registry->create(f.editor(), completeDraft());
  requireOk(created);
  const std::string id = created->service.clientId;
  BOOST_TEST(created->service.status == "draft");
  BOOST_TEST(created->service.editorName == "Tensio SAS");  // from the organisation
  BOOST_TEST(created->service.editorOid == "urn:oid:1.2.250.1.999.42");
  BOOST_TEST(created->details.editorSiret == "73282932000074");
  BOOST_TEST(created->service.allowedScopes.empty());  // nothing granted before the commission

  f.clock.advance(1000);
  requireOk(f.registry->transition(f.editor(), id, Action::kSubmit, "Première soumission"));
  f.clock.advance(1000);
  requireOk(f.registry->transition(f.evaluator(), id, Action::kStartEvaluation, ""));
  f.markRequired(id);
  requireOk(
      f.registry->transition(f.evaluator(), id, Action::kMoveToCommission, "Dossier complet"));
  DecisionInput decision;
  decision.decision = Decision::kFavourableWithReservations;
  decision.grantedAccesses = {"mesures.read", "offline"};
  decision.reservations = {"Fournir le certificat HDS renouvelé avant le 1er mars."};
  decision.reason = "Séance du 23 novembre 2026.";
  f.clock.advance(1000);
  auto decided = f.registry->decide(f.commission(), id, decision);
  requireOk(decided);
  BOOST_TEST(decided->service.status == "referenced");
  // What the commission granted, and nothing of what it did not (mesures.write).
  BOOST_TEST(decided->service.allowedScopes ==
             "offline_access patient/Device.rs patient/Observation.rs");
  BOOST_TEST(decided->details.reservations == decision.reservations);
  BOOST_TEST(decided->details.decision == "favourable_with_reservations");

  auto file = f.registry->file(f.commission(), id);
  requireOk(file);
  const auto& h = file->history;
  BOOST_REQUIRE_GE(h.size(), 5U);
  BOOST_TEST(h.front().action == "create");
  BOOST_TEST(h.front().actorLogin == "editeur@tensio.example");
  BOOST_TEST(h.front().recordedMs == mes::test::kRegistryT0);
  BOOST_TEST(h[1].action == "submit");
  BOOST_TEST(h[1].fromStatus == "draft");
  BOOST_TEST(h[1].toStatus == "submitted");
  BOOST_TEST(h[1].reason == "Première soumission");
  BOOST_TEST(h[1].recordedMs == mes::test::kRegistryT0 + 1000);
  BOOST_TEST(h.back().action == "decide");
  BOOST_TEST(h.back().actorRole == "commission");
  BOOST_TEST(h.back().reason == "Séance du 23 novembre 2026.");
  auto detail = mes::fhir::parseJson(h.back().detail);
  requireOk(detail);
  BOOST_TEST(*detail->findString("decision") == "favourable_with_reservations");
  // Every mark is in the history too.
  size_t marks = 0;
  for (const auto& e : h) marks += e.action == "mark" ? 1 : 0;
  size_t required = 0;
  for (const auto& c : f.criteria.criteria()) required += c.required ? 1 : 0;
  BOOST_TEST(marks == required);
  // Only the admin's suspend is possible now, and only for an admin.
  BOOST_TEST(file->actions.empty());  // the commission has nothing left to do
  auto asAdmin = f.registry->file(RegistryFixture::admin(), id);
  BOOST_REQUIRE_EQUAL(asAdmin->actions.size(), 1U);
  BOOST_TEST(actionName(asAdmin->actions[0]) == "suspend");
  auto catalogue = f.registry->catalogue();
  BOOST_REQUIRE_EQUAL(catalogue->size(), 1U);
  BOOST_TEST(catalogue->at(0).service.clientId == id);
}

BOOST_AUTO_TEST_CASE(every_status_times_every_action) {
  RegistryFixture f;
  for (ServiceStatus status : allStatuses()) {
    // One service in `status` for the refusals (they change nothing); a fresh one per allowed
    // action, since taking it moves the service on.
    const std::string refusing = f.serviceAt(status);
    for (Action action : allActions()) {
      BOOST_TEST_CONTEXT(statusName(status) << " × " << actionName(action)) {
        const Actor actor = permitted(f, action);
        if (allows(status, action)) {
          const std::string id = f.serviceAt(status);
          if (action == Action::kMoveToCommission) f.markRequired(id);
          const mes::Status done = perform(f, actor, action, id);
          BOOST_TEST(done.isOk(), codeOf(done));
          continue;
        }
        const mes::Status refused = perform(f, actor, action, refusing);
        BOOST_REQUIRE(!refused.isOk());
        BOOST_TEST(mes::httpStatusOf(refused.error().kind) == 409);
        BOOST_TEST(refused.error().code() == "action-not-allowed");
        // The message names every action the status allows.
        const std::string& message = refused.error().problems.front().message;
        for (Action a : allowedActions(status)) {
          BOOST_TEST(message.find(std::string(actionName(a))) != std::string::npos, message);
        }
        if (allowedActions(status).empty()) {
          BOOST_TEST(message.find("no action is allowed any more") != std::string::npos);
        }
        // And machine-readable: one allowed-action information issue each, in order.
        std::vector<std::string> issues;
        for (size_t i = 1; i < refused.error().problems.size(); ++i) {
          const mes::Problem& p = refused.error().problems[i];
          BOOST_TEST(p.code == "allowed-action");
          BOOST_TEST(p.severity == "information");
          issues.push_back(p.message);
        }
        std::vector<std::string> expected;
        for (Action a : allowedActions(status)) expected.emplace_back(actionName(a));
        BOOST_TEST(issues == expected, boost::test_tools::per_element());
        BOOST_TEST(f.registry->read(f.editor(), refusing)->service.status == statusName(status));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(every_action_times_every_role_and_another_editors_service) {
  RegistryFixture f;
  const std::vector<std::pair<std::string, Actor>> actors = {{"editor", f.editor()},
                                                             {"other editor", f.otherEditor()},
                                                             {"evaluator", f.evaluator()},
                                                             {"commission", f.commission()},
                                                             {"admin", RegistryFixture::admin()}};
  for (Action action : allActions()) {
    for (const auto& [who, actor] : actors) {
      BOOST_TEST_CONTEXT(actionName(action) << " by " << who) {
        const std::string id = f.serviceAt(statusAllowing(action));
        if (action == Action::kMoveToCommission) f.markRequired(id);
        const mes::Status outcome = perform(f, actor, action, id, who);
        std::string expected = "ok";
        if (!roleMay(actor.role, action)) {
          expected = "role-forbidden";  // 403, whoever owns the service
        } else if (actor.role == Role::kEditor && actor.organisationId != f.tensioOrg) {
          expected = "not-found";  // 404: another editor's service does not exist for them
        }
        BOOST_TEST(codeOf(outcome) == expected);
        if (!outcome.isOk()) {
          BOOST_TEST(mes::httpStatusOf(outcome.error().kind) ==
                     (expected == "role-forbidden" ? 403 : 404));
        }
      }
    }
  }
  // Reading, creating and administration.
  const std::string id = f.serviceAt(ServiceStatus::kDraft);
  BOOST_TEST(f.registry->read(f.editor(), id).isOk());
  BOOST_TEST(f.registry->read(f.evaluator(), id).isOk());
  BOOST_TEST(f.registry->read(f.commission(), id).isOk());
  BOOST_TEST(f.registry->read(RegistryFixture::admin(), id).isOk());
  BOOST_TEST(f.registry->read(f.otherEditor(), id).error().code() == "not-found");
  BOOST_TEST(f.registry->file(f.otherEditor(), id).error().code() == "not-found");
  BOOST_TEST(f.registry->list(f.otherEditor())->empty());
  BOOST_TEST(!f.registry->list(f.editor())->empty());
  BOOST_TEST(f.registry->list(f.evaluator())->size() == f.registry->list(f.editor())->size());
  for (const Actor& a : {f.evaluator(), f.commission(), RegistryFixture::admin()}) {
    BOOST_TEST(f.registry->create(a, completeDraft()).error().code() == "role-forbidden");
  }
  BOOST_TEST(f.registry->create(f.otherEditor(), completeDraft()).isOk());
  Actor orphan = f.editor();
  orphan.organisationId.clear();
  BOOST_TEST(f.registry->create(orphan, completeDraft()).error().code() == "organisation-missing");
  AccountInput account{"nouvelle@ans.example", "une phrase de passe longue", "evaluator", ""};
  for (const Actor& a : {f.editor(), f.evaluator(), f.commission()}) {
    BOOST_TEST(f.registry->createAccount(a, account).error().code() == "role-forbidden");
    BOOST_TEST(
        f.registry->createOrganisation(a, {"X SAS", "44306184100047", "urn:oid:1.2", "a@b.fr"})
            .error()
            .code() == "role-forbidden");
    BOOST_TEST(f.registry->accounts(a).error().code() == "role-forbidden");
  }
  BOOST_TEST(f.registry->organisations(f.editor()).error().code() == "role-forbidden");
  BOOST_TEST(f.registry->organisations(f.evaluator()).isOk());
}

BOOST_AUTO_TEST_CASE(the_commission_is_reached_only_with_every_required_criterion_marked) {
  RegistryFixture f;
  const std::string id = f.serviceAt(ServiceStatus::kUnderEvaluation);
  requireOk(f.registry->mark(f.evaluator(), id, {"SEC-01", "met", ""}));
  requireOk(f.registry->mark(f.evaluator(), id, {"SEC-02", "not_met", "URI http non locale"}));
  auto refused = f.registry->transition(f.evaluator(), id, Action::kMoveToCommission, "");
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST(mes::httpStatusOf(refused.error().kind) == 409);
  std::set<std::string> named;
  for (const auto& p : refused.error().problems) {
    BOOST_TEST(p.code == "criteria-unmarked");
    named.insert(p.expression);
  }
  std::set<std::string> expected;
  for (const auto& c : f.criteria.criteria()) {
    if (c.required && c.id != "SEC-01" && c.id != "SEC-02") expected.insert(c.id);
  }
  BOOST_TEST(named == expected);
  BOOST_TEST(named.count("INT-05") == 0U);  // not required
  f.markRequired(id);
  BOOST_TEST(f.registry->transition(f.evaluator(), id, Action::kMoveToCommission, "").isOk());
}

BOOST_AUTO_TEST_CASE(marks_need_a_known_criterion_a_verdict_and_a_note_when_not_met) {
  RegistryFixture f;
  const std::string id = f.serviceAt(ServiceStatus::kUnderEvaluation);
  BOOST_TEST(f.registry->mark(f.evaluator(), id, {"XYZ-01", "met", ""}).error().code() ==
             "criterion-unknown");
  BOOST_TEST(f.registry->mark(f.evaluator(), id, {"SEC-01", "yes", ""}).error().code() ==
             "mark-invalid");
  BOOST_TEST(f.registry->mark(f.evaluator(), id, {"SEC-01", "not_met", ""}).error().code() ==
             "note-required");
  BOOST_TEST(f.registry->mark(f.evaluator(), id, {"ETH-03", "not_applicable", ""}).error().code() ==
             "note-required");
  auto marked = f.registry->mark(f.evaluator(), id,
                                 {"ETH-03", "not_applicable", "Pas de finalité médicale."});
  requireOk(marked);
  BOOST_TEST(marked->round == 1);
  auto file = f.registry->file(f.evaluator(), id);
  for (const auto& item : file->checklist) {
    if (item.criterion.id == "ETH-03") {
      BOOST_REQUIRE(item.mark.has_value());
      BOOST_TEST(item.mark->verdict == "not_applicable");
      BOOST_TEST(item.mark->actorLogin == "evaluatrice@ans.example");
    }
  }
}

BOOST_AUTO_TEST_CASE(decisions_are_checked_and_bound_what_tokens_may_do) {
  RegistryFixture f;
  const std::string id = f.serviceAt(ServiceStatus::kCommission);
  auto decide = [&](Decision d, std::vector<std::string> granted, std::vector<std::string> reserves,
                    std::string reason = "Motif.") {
    DecisionInput input{d, std::move(granted), std::move(reserves), std::move(reason)};
    return f.registry->decide(f.commission(), id, input);
  };
  BOOST_TEST(decide(Decision::kFavourable, {}, {}).error().code() == "decision-invalid");
  BOOST_TEST(decide(Decision::kFavourable, {"agenda.write"}, {}).error().code() ==
             "decision-invalid");
  BOOST_TEST(decide(Decision::kFavourable, {"mesures.read", "mesures.read"}, {}).error().code() ==
             "decision-invalid");
  BOOST_TEST(decide(Decision::kFavourable, {"mesures.read"}, {"une"}).error().code() ==
             "decision-invalid");
  BOOST_TEST(decide(Decision::kFavourableWithReservations, {"mesures.read"}, {}).error().code() ==
             "decision-invalid");
  BOOST_TEST(decide(Decision::kUnfavourable, {"mesures.read"}, {}).error().code() ==
             "decision-invalid");
  BOOST_TEST(decide(Decision::kFavourable, {"mesures.read"}, {}, "").error().code() ==
             "reason-required");
  BOOST_TEST(f.registry->read(f.commission(), id)->service.status == "commission");
  auto rejected = decide(Decision::kUnfavourable, {}, {}, "Hébergement non HDS.");
  requireOk(rejected);
  BOOST_TEST(rejected->service.status == "rejected");
  BOOST_TEST(rejected->service.allowedScopes.empty());
  BOOST_TEST(f.registry->catalogue()->empty());
}

BOOST_AUTO_TEST_CASE(a_rejected_service_is_reopened_and_evaluated_again_with_a_fresh_checklist) {
  RegistryFixture f;
  const std::string id = f.serviceAt(ServiceStatus::kRejected);
  BOOST_TEST(f.registry->transition(f.otherEditor(), id, Action::kReopen, "").error().code() ==
             "not-found");
  requireOk(f.registry->transition(f.editor(), id, Action::kReopen, "Hébergeur HDS retenu"));
  auto reopened = f.registry->read(f.editor(), id);
  BOOST_TEST(reopened->service.status == "draft");
  BOOST_TEST(reopened->details.decision.empty());
  requireOk(f.registry->edit(f.editor(), id, completeDraft("Tensio+ v2")));
  requireOk(f.registry->transition(f.editor(), id, Action::kSubmit, ""));
  requireOk(f.registry->transition(f.evaluator(), id, Action::kStartEvaluation, ""));
  BOOST_TEST(f.registry->read(f.evaluator(), id)->details.evaluationRound == 2);
  auto file = f.registry->file(f.evaluator(), id);
  for (const auto& item : file->checklist) BOOST_TEST(!item.mark.has_value(), item.criterion.id);
  BOOST_TEST(
      f.registry->transition(f.evaluator(), id, Action::kMoveToCommission, "").error().code() ==
      "criteria-unmarked");
  // The first decision stays in the history.
  size_t decisions = 0;
  for (const auto& e : file->history) decisions += e.action == "decide" ? 1 : 0;
  BOOST_TEST(decisions == 1U);
}

BOOST_AUTO_TEST_CASE(submission_needs_a_complete_draft_and_edits_happen_in_draft_only) {
  RegistryFixture f;
  ServiceDraft partial;
  partial.name = "Brouillon";
  partial.clientType = "public";
  partial.redirectUris = {"https://brouillon.example/cb"};
  auto created = f.registry->create(f.editor(), partial);
  requireOk(created);
  const std::string id = created->service.clientId;
  auto refused = f.registry->transition(f.editor(), id, Action::kSubmit, "");
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST(refused.error().code() == "draft-incomplete");
  BOOST_TEST(refused.error().problems.size() == 5U);
  ServiceDraft bad = completeDraft();
  bad.redirectUris = {"http://tensio.example/cb"};
  BOOST_TEST(f.registry->edit(f.editor(), id, bad).error().code() == "service-invalid");
  auto edited = f.registry->edit(f.editor(), id, completeDraft("Tensio Pro"), 1);
  requireOk(edited);
  BOOST_TEST(edited->service.version == 2);
  // A stale If-Match.
  BOOST_TEST(f.registry->edit(f.editor(), id, completeDraft(), 1).error().code() ==
             "version-conflict");
  auto history = f.registry->file(f.editor(), id)->history;
  auto detail = mes::fhir::parseJson(history.back().detail);
  BOOST_TEST(
      mes::fhir::toJson(*detail->find("changed")) ==
      R"(["name","description","category","website","contact","redirect_uris","requested_accesses"])");
  requireOk(f.registry->transition(f.editor(), id, Action::kSubmit, ""));
  BOOST_TEST(f.registry->edit(f.editor(), id, completeDraft()).error().code() ==
             "action-not-allowed");
  requireOk(f.registry->transition(f.editor(), id, Action::kRetract, "Oubli d'une URI"));
  BOOST_TEST(f.registry->read(f.editor(), id)->service.status == "draft");
}

BOOST_AUTO_TEST_CASE(evidence_is_checked_stored_and_shown_against_the_criteria) {
  RegistryFixture f;
  const std::string id = f.serviceAt(ServiceStatus::kSubmitted);
  BOOST_TEST(f.registry->addEvidence(f.editor(), id, "{not json", kLimits).error().code() ==
             "json-malformed");
  // Parsed within the limits it is given, whichever door (API or page) it came through.
  const std::string report = testReport("deep");
  const std::string deep =
      R"({"x":)" + std::string(33, '[') + std::string(33, ']') + "," + report.substr(1);
  BOOST_TEST(f.registry->addEvidence(f.editor(), id, deep, kLimits).error().code() ==
             "json-too-deep");
  BOOST_TEST(f.registry->file(f.editor(), id)->evidence.empty());
  auto malformed =
      f.registry->addEvidence(f.editor(), id, R"({"resourceType":"TestReport"})", kLimits);
  BOOST_REQUIRE(!malformed.isOk());
  BOOST_TEST(mes::httpStatusOf(malformed.error().kind) ==
             422);  // status, testScript, result missing
  BOOST_TEST(malformed.error().problems.size() == 3U);
  BOOST_TEST(f.registry->addEvidence(f.editor(), id, testReport("a", "in-progress"), kLimits)
                 .error()
                 .code() == "report-not-completed");
  auto unknown =
      f.registry->addEvidence(f.editor(), id, testReport("b", "completed", "NOPE-01"), kLimits);
  BOOST_REQUIRE(!unknown.isOk());
  BOOST_TEST(unknown.error().code() == "requirement-unknown");
  BOOST_TEST(unknown.error().problems.front().expression == "TestReport.test[0].extension");
  auto added = f.registry->addEvidence(f.editor(), id, testReport("c"), kLimits);
  requireOk(added);
  BOOST_TEST(added->record.uploadedByLogin == "editeur@tensio.example");
  BOOST_TEST(added->record.sha256.size() == 64U);
  BOOST_TEST(added->summary.score == "50");
  BOOST_TEST(f.registry->addEvidence(f.evaluator(), id, testReport("c"), kLimits).error().code() ==
             "evidence-duplicate");
  requireOk(f.registry->addEvidence(f.evaluator(), id, testReport("d"), kLimits));
  auto file = f.registry->file(f.commission(), id);
  BOOST_REQUIRE_EQUAL(file->evidence.size(), 2U);
  for (const auto& item : file->checklist) {
    const std::string& c = item.criterion.id;
    if (c == "SEC-01" || c == "SEC-03") {
      BOOST_TEST(item.evidencedByPassedTest, c);
      BOOST_TEST(item.tests.size() == 2U, c);  // one test in each of the two reports
      BOOST_TEST(item.tests.front().outcome == "pass");
    } else if (c == "INT-01" || c == "INT-07") {
      // INT-01 declared by a failed test; INT-07 names that test (client.measures-valid) in
      // the criteria file.
      BOOST_TEST(!item.evidencedByPassedTest, c);
      BOOST_TEST(item.tests.size() == 2U, c);
      BOOST_TEST(item.tests.front().outcome == "fail");
    } else {
      BOOST_TEST(item.tests.empty(), c);
    }
  }
  // Refused uploads changed nothing; the two accepted ones are in the history.
  size_t uploads = 0;
  for (const auto& e : file->history) uploads += e.action == "add_evidence" ? 1 : 0;
  BOOST_TEST(uploads == 2U);
}

BOOST_AUTO_TEST_CASE(a_tests_newest_result_counts_and_criteria_name_their_tests) {
  RegistryFixture f;
  const std::string id = f.serviceAt(ServiceStatus::kSubmitted);
  // Reports without any verifies-requirement extension: SEC-05 names client.refresh-rotation.
  auto report = [](const std::string& tag, const std::string& result) {
    return R"({"resourceType":"TestReport","name":")" + tag +
           R"(","status":"completed","testScript":{"reference":"TestScript/mes-client-suite"},)"
           R"("result":")" +
           (result == "pass" ? "pass" : "fail") +
           R"(","test":[{"name":"client.refresh-rotation","action":[{"assert":{"result":")" +
           result + R"("}}]}]})";
  };
  auto sec05 = [&]() {
    auto file = f.registry->file(f.commission(), id);
    BOOST_REQUIRE(file.isOk());
    for (const auto& item : file->checklist) {
      if (item.criterion.id == "SEC-05") return item;
    }
    BOOST_FAIL("no SEC-05 in the checklist");
    return ChecklistItem{};
  };
  requireOk(f.registry->addEvidence(f.editor(), id, report("first", "pass"), kLimits));
  BOOST_TEST(sec05().evidencedByPassedTest);
  BOOST_TEST(sec05().tests.size() == 1U);
  requireOk(f.registry->addEvidence(f.editor(), id, report("second", "fail"), kLimits));
  BOOST_TEST(!sec05().evidencedByPassedTest);  // the newer run failed: the pass is taken back
  BOOST_TEST(sec05().tests.size() == 2U);      // both stay visible
  requireOk(f.registry->addEvidence(f.editor(), id, report("third", "pass"), kLimits));
  BOOST_TEST(sec05().evidencedByPassedTest);
}

BOOST_AUTO_TEST_CASE(suspension_reinstatement_and_withdrawal) {
  RegistryFixture f;
  const std::string id = f.serviceAt(ServiceStatus::kReferenced);
  const std::string granted = f.registry->read(f.editor(), id)->service.allowedScopes;
  BOOST_TEST(
      f.registry->transition(RegistryFixture::admin(), id, Action::kSuspend, "").error().code() ==
      "reason-required");
  requireOk(
      f.registry->transition(RegistryFixture::admin(), id, Action::kSuspend, "Faille signalée"));
  BOOST_TEST(f.registry->catalogue()->empty());
  requireOk(
      f.registry->transition(RegistryFixture::admin(), id, Action::kReinstate, "Faille corrigée"));
  auto back = f.registry->read(f.editor(), id);
  BOOST_TEST(back->service.status == "referenced");
  BOOST_TEST(back->service.allowedScopes == granted);  // the same grant as before
  BOOST_TEST(f.effects.calls.empty());                 // neither touched the pairings
  requireOk(
      f.registry->transition(RegistryFixture::admin(), id, Action::kSuspend, "Retrait annoncé"));
  // Ending the pairings fails: the service stays suspended, and trying again finishes.
  f.effects.failing = true;
  auto failed = f.registry->transition(RegistryFixture::admin(), id, Action::kWithdraw, "Fin");
  BOOST_TEST(failed.error().code() == "store-busy");
  BOOST_TEST(f.registry->read(f.editor(), id)->service.status == "suspended");
  f.effects.failing = false;
  auto withdrawn = f.registry->transition(RegistryFixture::admin(), id, Action::kWithdraw, "Fin");
  requireOk(withdrawn);
  BOOST_TEST(withdrawn->service.status == "withdrawn");
  BOOST_TEST(f.effects.calls == (std::vector<std::string>{id, id}));
  auto history = f.registry->file(RegistryFixture::admin(), id)->history;
  BOOST_TEST(history.back().action == "withdraw");
  BOOST_TEST(history.back().detail == R"({"pairings_ended":2})");
  BOOST_TEST(history.back().reason == "Fin");
}

BOOST_AUTO_TEST_CASE(a_reinstatement_cannot_slip_into_a_withdrawal) {
  RegistryFixture f;
  const std::string id = f.serviceAt(ServiceStatus::kReferenced);
  requireOk(
      f.registry->transition(RegistryFixture::admin(), id, Action::kSuspend, "Retrait annoncé"));
  // A second administrator reinstates while the pairings are being ended.
  std::future<mes::Result<mes::store::RegistryEntry>> reinstated;
  f.effects.during = [&] {
    reinstated = std::async(std::launch::async, [&] {
      return f.registry->transition(RegistryFixture::admin(), id, Action::kReinstate, "Erreur");
    });
    (void)reinstated.wait_for(std::chrono::milliseconds(300));  // every chance to slip in
  };
  auto withdrawn = f.registry->transition(RegistryFixture::admin(), id, Action::kWithdraw, "Fin");
  requireOk(withdrawn);
  auto late = reinstated.get();
  BOOST_REQUIRE(!late.isOk());
  BOOST_TEST(late.error().code() == "action-not-allowed");  // it ran after: withdrawn is final
  BOOST_TEST(f.registry->read(f.editor(), id)->service.status == "withdrawn");
}

BOOST_AUTO_TEST_CASE(every_action_and_refusal_is_an_audit_entry) {
  RegistryFixture f;
  const std::string id = f.serviceAt(ServiceStatus::kSubmitted);
  (void)f.registry->transition(f.evaluator(), id, Action::kSubmit, "");  // 403
  (void)f.registry->transition(f.editor(), id, Action::kSuspend, "x");   // 403
  (void)f.registry->transition(f.editor(), id, Action::kSubmit, "");     // 409
  const auto entries = f.auditOf(id);
  BOOST_REQUIRE_EQUAL(entries.size(), 5U);  // create, submit, then the three refusals
  BOOST_TEST(entries[0].category == "registry");
  BOOST_TEST(entries[0].subtype == "create");
  BOOST_TEST(entries[0].httpStatus == 201);
  BOOST_TEST(entries[1].subtype == "submit");
  BOOST_TEST(entries[1].success);
  BOOST_TEST(entries[1].outcomeText == "editeur@tensio.example (editor)");
  BOOST_TEST(entries[1].actor == "editeur@tensio.example");  // the person, not the service
  BOOST_TEST(entries[2].actor == "evaluatrice@ans.example");
  BOOST_TEST(entries[1].serviceName == "Tensio+");
  BOOST_TEST(entries[1].serviceOid == "urn:oid:1.2.250.1.999.42");
  BOOST_TEST(entries[1].sourceAddress == "192.0.2.7");
  BOOST_TEST(!entries[2].success);
  BOOST_TEST(entries[2].httpStatus == 403);
  BOOST_TEST(entries[2].outcomeCode == "role-forbidden");
  BOOST_TEST(entries[4].outcomeCode == "action-not-allowed");
  BOOST_TEST(entries[4].httpStatus == 409);
  BOOST_TEST(mes::gateway::describeFr(entries[1]) == "Référencement de Tensio+ : « submit »");
}

BOOST_AUTO_TEST_CASE(organisations_and_accounts) {
  RegistryFixture f;
  const Actor admin = RegistryFixture::admin();
  auto bad = f.registry->createOrganisation(admin, {"X", "73282932000075", "1.2.3", "nope"});
  BOOST_REQUIRE(!bad.isOk());
  std::vector<std::string> where;
  for (const auto& p : bad.error().problems) where.push_back(p.expression);
  BOOST_TEST(where == (std::vector<std::string>{"legal_name", "siret", "editor_oid", "contact"}));
  BOOST_TEST(f.registry
                 ->createOrganisation(
                     admin, {"Copie SAS", "73282932000074", "urn:oid:1.9", "a@copie.example"})
                 .error()
                 .code() == "already-exists");  // SIRET taken
  auto laPoste = f.registry->createOrganisation(
      admin,
      {"La Poste Santé", "356 000 000 49837", "urn:oid:1.2.250.1.999.99", "sante@laposte.example"});
  requireOk(laPoste);

  AccountInput editor{"Marie.Durand@Tensio.example", "une phrase de passe longue", "editor",
                      f.tensioOrg};
  auto created = f.registry->createAccount(admin, editor);
  requireOk(created);
  BOOST_TEST(created->login == "marie.durand@tensio.example");
  BOOST_TEST(created->role == "editor");
  BOOST_TEST(created->passwordHash.rfind("$scrypt$", 0) == 0);
  BOOST_TEST(f.store->organisationOf(created->accountId)->value_or("") == f.tensioOrg);
  BOOST_TEST(f.registry->createAccount(admin, editor).error().code() == "already-exists");
  auto check = [&](AccountInput input, const std::string& code, const std::string& expression) {
    auto r = f.registry->createAccount(admin, input);
    BOOST_REQUIRE(!r.isOk());
    BOOST_TEST(r.error().code() == code);
    BOOST_TEST(r.error().problems.front().expression == expression);
  };
  check({"pas-une-adresse", "une phrase de passe longue", "evaluator", ""}, "account-invalid",
        "login");
  check({"a@ans.example", "une phrase de passe longue", "patient", ""}, "account-invalid", "role");
  check({"a@ans.example", "une phrase de passe longue", "editor", ""}, "account-invalid",
        "organisation_id");
  check({"a@ans.example", "une phrase de passe longue", "editor", "org-ghost"}, "account-invalid",
        "organisation_id");
  check({"a@ans.example", "une phrase de passe longue", "admin", f.tensioOrg}, "account-invalid",
        "organisation_id");
  check({"a@ans.example", "court", "admin", ""}, "password-too-short", "password");
  requireOk(f.registry->createAccount(
      admin, {"eval@ans.example", "une phrase de passe longue", "evaluator", ""}));
  requireOk(mes::gateway::createAccount(
      *f.accountStore, {{}, "patient@example.fr", "mot de passe", "patient", "demo"}, 0));
  auto listed = f.registry->accounts(admin);
  BOOST_REQUIRE_EQUAL(listed->size(), 2U);  // the patient is not a registry account
  BOOST_TEST(listed->at(0).login == "eval@ans.example");
  auto actor = f.registry->actorFor({created->accountId, created->login, "editor", "", "csrf"},
                                    "192.0.2.1", "r");
  requireOk(actor);
  BOOST_TEST(actor->organisationId == f.tensioOrg);
  BOOST_TEST(f.registry->actorFor({"p", "patient@example.fr", "patient", "demo", "csrf"}, "", "")
                 .error()
                 .code() == "role-forbidden");
}

BOOST_AUTO_TEST_CASE(an_operator_registers_a_service_directly_and_it_is_in_the_history) {
  RegistryFixture f;
  mes::store::RegistryEntry entry;
  entry.service.clientId = "carnet-cli";
  entry.service.name = "Carnet CLI";
  entry.service.editorName = "Éditeur";
  entry.service.editorOid = "urn:oid:1.2.3";
  entry.service.clientType = "public";
  entry.service.redirectUris = {"https://carnet.example/cb"};
  entry.service.status = "referenced";
  entry.service.allowedScopes = "patient/Observation.rs";
  auto registered = f.registry->registerDirectly(entry, "service add");
  requireOk(registered);
  auto history = f.registry->file(RegistryFixture::admin(), "carnet-cli")->history;
  BOOST_REQUIRE_EQUAL(history.size(), 1U);
  BOOST_TEST(history[0].action == "register");
  BOOST_TEST(history[0].actorLogin == "cli");
  BOOST_TEST(history[0].toStatus == "referenced");
  requireOk(f.registry->transition(Actor::cli(), "carnet-cli", Action::kSuspend, "CLI"));
  BOOST_TEST(f.registry->read(RegistryFixture::admin(), "carnet-cli")->service.status ==
             "suspended");
  // Nobody else's: editors never see an operator's service.
  BOOST_TEST(f.registry->read(f.editor(), "carnet-cli").error().code() == "not-found");
}

BOOST_AUTO_TEST_SUITE_END()
