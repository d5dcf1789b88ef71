// The workflow tables (gateway/registry/workflow.h) against tables written out here by hand:
// every status × every action (allowed or not, and where it leads), every action × every role.
// tests/gateway/registry/registry_test.cpp drives the same tables through the Registry.
#include "gateway/registry/workflow.h"

#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <vector>

using namespace mes::gateway::registry;

namespace {

// status -> {action -> target status ("=" when the status stays)}; absent = not allowed.
const std::map<std::string, std::map<std::string, std::string>> kExpectedSteps = {
    {"draft", {{"edit", "="}, {"submit", "submitted"}, {"add_evidence", "="}}},
    {"submitted",
     {{"retract", "draft"}, {"start_evaluation", "under_evaluation"}, {"add_evidence", "="}}},
    {"under_evaluation",
     {{"mark", "="}, {"add_evidence", "="}, {"move_to_commission", "commission"}}},
    {"commission", {{"decide", "="}}},  // the target comes from the decision
    {"referenced", {{"suspend", "suspended"}}},
    {"rejected", {{"reopen", "draft"}}},
    {"suspended", {{"reinstate", "referenced"}, {"withdraw", "withdrawn"}}},
    {"withdrawn", {}},
};

// action -> roles that may take it.
const std::map<std::string, std::vector<std::string>> kExpectedRoles = {
    {"edit", {"editor"}},
    {"submit", {"editor"}},
    {"retract", {"editor"}},
    {"start_evaluation", {"evaluator"}},
    {"mark", {"evaluator"}},
    {"add_evidence", {"editor", "evaluator"}},
    {"move_to_commission", {"evaluator"}},
    {"decide", {"commission"}},
    {"suspend", {"admin"}},
    {"reinstate", {"admin"}},
    {"withdraw", {"admin"}},
    {"reopen", {"editor"}},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_workflow)

BOOST_AUTO_TEST_CASE(every_status_times_every_action) {
  BOOST_REQUIRE_EQUAL(allStatuses().size(), kExpectedSteps.size());
  BOOST_REQUIRE_EQUAL(allActions().size(), kExpectedRoles.size());
  for (ServiceStatus status : allStatuses()) {
    const std::string s(statusName(status));
    BOOST_TEST_CONTEXT("status " << s) {
      const auto& expected = kExpectedSteps.at(s);
      std::vector<std::string> allowedNames;
      for (Action a : allowedActions(status)) allowedNames.emplace_back(actionName(a));
      std::vector<std::string> expectedNames;
      for (Action a : allActions()) {
        const std::string name(actionName(a));
        BOOST_TEST_CONTEXT("action " << name) {
          auto it = expected.find(name);
          BOOST_TEST(allows(status, a) == (it != expected.end()));
          if (it == expected.end()) {
            BOOST_TEST(!transitionTarget(status, a).has_value());
            continue;
          }
          expectedNames.push_back(name);
          auto target = transitionTarget(status, a);
          if (it->second == "=") {
            BOOST_TEST(!target.has_value());
          } else {
            BOOST_REQUIRE(target.has_value());
            BOOST_TEST(statusName(*target) == it->second);
          }
        }
      }
      BOOST_TEST(allowedNames == expectedNames);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_action_times_every_role) {
  for (Action action : allActions()) {
    const std::string a(actionName(action));
    const auto& roles = kExpectedRoles.at(a);
    for (Role role : allRoles()) {
      const std::string r(roleName(role));
      const bool expected = std::find(roles.begin(), roles.end(), r) != roles.end();
      BOOST_TEST(roleMay(role, action) == expected, a << " by " << r);
    }
  }
}

BOOST_AUTO_TEST_CASE(decisions_lead_to_referenced_or_rejected) {
  BOOST_TEST(statusName(decisionTarget(Decision::kFavourable)) == "referenced");
  BOOST_TEST(statusName(decisionTarget(Decision::kFavourableWithReservations)) == "referenced");
  BOOST_TEST(statusName(decisionTarget(Decision::kUnfavourable)) == "rejected");
  for (auto d :
       {Decision::kFavourable, Decision::kFavourableWithReservations, Decision::kUnfavourable}) {
    BOOST_TEST((parseDecision(decisionName(d)) == d));
    BOOST_TEST(!decisionLabelFr(d).empty());
  }
  BOOST_TEST(!parseDecision("maybe").has_value());
}

BOOST_AUTO_TEST_CASE(names_round_trip_and_every_value_has_a_french_label) {
  for (ServiceStatus s : allStatuses()) {
    BOOST_TEST((parseStatus(statusName(s)) == s));
    BOOST_TEST(!statusLabelFr(s).empty());
  }
  for (Action a : allActions()) {
    BOOST_TEST((parseAction(actionName(a)) == a));
    BOOST_TEST(!actionLabelFr(a).empty());
  }
  for (Role r : allRoles()) {
    BOOST_TEST((parseRole(roleName(r)) == r));
    BOOST_TEST(!roleLabelFr(r).empty());
  }
  BOOST_TEST(!parseStatus("Draft").has_value());
  BOOST_TEST(!parseAction("delete").has_value());
  BOOST_TEST(!parseRole("patient").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
