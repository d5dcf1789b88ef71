// What the end-to-end tests read back from a mes-conformance run or grade: the TestReport's
// per-test outcomes (the test-outcome extension) and failure messages, shared by
// conformance_e2e_test.cpp and sandbox_e2e_test.cpp.
#pragma once

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "fhir/json/value.h"

namespace mes::e2e {

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct TestOutcomes {
  std::map<std::string, std::string> outcomes;  // test id -> pass | fail | skip | error
  std::map<std::string, std::string> failures;  // test id -> the failed assert's message
};

inline TestOutcomes outcomesOf(const fhir::Value& testReport) {
  TestOutcomes out;
  const fhir::Value* tests = testReport.find("test");
  BOOST_REQUIRE(tests != nullptr && tests->isArray());
  for (const fhir::Value& test : tests->items()) {
    const std::string id = *test.findString("name");
    for (const fhir::Value& ext : test.find("extension")->items()) {
      if (*ext.findString("url") == "urn:mes-gateway:StructureDefinition:test-outcome") {
        out.outcomes[id] = *ext.findString("valueCode");
      }
    }
    for (const fhir::Value& action : test.find("action")->items()) {
      const fhir::Value* check = action.find("assert");
      if (check != nullptr &&
          (*check->findString("result") == "fail" || *check->findString("result") == "error")) {
        out.failures[id] = *check->findString("message");
      }
    }
  }
  return out;
}

// The ids whose outcome is one of `wanted`.
inline std::set<std::string> withOutcome(const TestOutcomes& run,
                                         std::initializer_list<const char*> wanted) {
  std::set<std::string> out;
  for (const auto& [id, outcome] : run.outcomes) {
    for (const char* o : wanted) {
      if (outcome == o) out.insert(id);
    }
  }
  return out;
}

}  // namespace mes::e2e
