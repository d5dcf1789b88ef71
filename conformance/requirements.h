// The requirements tests verify, and which tests cover which (`mes-conformance requirements`).
//
// Each suite verifies the requirements of one catalogue:
//  - the server suite (`run`), the gateway contract: docs/gateway-requirements.json, ids
//    "GW-<AREA>-<nn>" (GW-PAIR-06), each with its statement in French and English and its
//    SPEC.md section. Format:
//      {"version": "2026-12", "title_fr": "...", "title_en": "...",
//       "requirements": [{"id": "GW-PAIR-06", "section": "§1",
//                         "statement_fr": "...", "statement_en": "..."}, ...]}
//    every member required, no other member, ids unique and of that form.
//  - the client suite (`grade`), the registry's referencing criteria:
//    docs/registry-criteria.json (gateway/registry/criteria.h describes and checks that file
//    for the registry; this reader takes what coverage needs: id, theme, required, statements,
//    and the test ids its "conformance-test" evidence names). The ids are the registry's
//    (SEC-01), so a client TestReport's verifies-requirement codes are criteria the registry
//    knows.
// Both files are built into the binary (conformance/CMakeLists.txt).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "conformance/test_model.h"
#include "core/status.h"

namespace mes::conformance {

struct Requirement {
  std::string id;
  std::string statementFr;
  std::string statementEn;
  std::string reference;  // where it comes from: "SPEC §1", or the criterion's theme
  bool required = true;
  // Whether a test can verify it: false for criteria evidenced only by a document or a
  // questionnaire answer (coverage does not count those as missing).
  bool testable = true;
  // Test ids the catalogue itself names as evidence (registry criteria); empty otherwise.
  std::vector<std::string> namedTests;
};

struct RequirementCatalogue {
  std::string title;
  std::string version;
  std::string source;                     // the file it was read from, for messages
  std::vector<Requirement> requirements;  // in file order

  const Requirement* find(std::string_view id) const;
};

// Parse the two formats above. kInvalid ("requirements-invalid") with one Problem per mistake,
// each message starting with `source` and naming the JSON location.
Result<RequirementCatalogue> parseGatewayRequirements(std::string_view json,
                                                      std::string_view source);
Result<RequirementCatalogue> parseRegistryCriteria(std::string_view json, std::string_view source);

// The catalogues as built into the binary (parsed once; a malformed built-in file is a build
// mistake and aborts with its problems, which the unit tests catch first).
const RequirementCatalogue& gatewayRequirements();
const RequirementCatalogue& registryCriteria();

// Who covers what.
struct CoverageRow {
  const Requirement* requirement = nullptr;
  std::vector<std::string> tests;         // ids of the suite's tests that verify it
  std::vector<std::string> missingTests;  // named by the catalogue but not in the suite
};
struct Coverage {
  std::vector<CoverageRow> rows;  // catalogue order
  // (test id, requirement id) pairs where a test names a requirement the catalogue lacks.
  std::vector<std::pair<std::string, std::string>> unknown;
  size_t covered() const;
  size_t testable() const;
};
Coverage computeCoverage(const RequirementCatalogue& catalogue, const std::vector<TestCase>& tests);

// The text `mes-conformance requirements` prints: one block per requirement (id, statement,
// the tests or "NOT COVERED"), then the totals and any unknown ids. `french` picks the
// statements' language.
std::string formatCoverage(const RequirementCatalogue& catalogue, const Coverage& coverage,
                           bool french);

}  // namespace mes::conformance
