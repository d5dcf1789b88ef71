// The referencing criteria (SPEC §5 "Criteria"): the checklist an evaluator marks for every
// service, loaded at start from a JSON file. The repository's own is docs/registry-criteria.json,
// built into the binary (criteriaBuiltIn); the setting registry.criteria_file loads another one
// instead, read and checked at start.
//
// File format (every key required unless said otherwise; unknown keys are refused):
//   {"version": "2026-11",
//    "themes": [{"id": "security", "label_fr": "Sécurité", "label_en": "Security"}, ...],
//    "criteria": [
//      {"id": "SEC-01", "theme": "security", "required": true,
//       "statement_fr": "...", "statement_en": "...",
//       "evidence": [{"kind": "conformance-test", "test": "client.pkce-s256"},
//                    {"kind": "document", "fr": "...", "en": "..."},
//                    {"kind": "questionnaire", "fr": "...", "en": "..."}]}, ...]}
// Rules: the themes include the five of SPEC §5 (interoperability, security, gdpr, ethics,
// data_exchange) and no id twice; a criterion id is 2 to 4 capital letters, '-', 2 digits
// ("SEC-01"), unique; its theme is a declared one; statements are non-empty; at least one
// evidence, each of a known kind with its members; at least kMinCriteria criteria.
// Evidence kinds: "conformance-test" names the mes-conformance test (issue #6) expected to
// verify the criterion; a TestReport's tests say which criteria they verify with the
// verifies-requirement extension (fhir/profiles/test_report_profile.h), and that is what the
// registry reads. "document" and "questionnaire" say what the editor must provide.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mes::gateway::registry {

inline constexpr size_t kMinCriteria = 30;

struct CriteriaTheme {
  std::string id;
  std::string labelFr;
  std::string labelEn;
};

struct CriterionEvidence {
  std::string kind;  // conformance-test | document | questionnaire
  std::string test;  // conformance-test: the test id
  std::string fr;    // document / questionnaire: what is asked, in French
  std::string en;
};

struct Criterion {
  std::string id;
  std::string theme;
  bool required = false;
  std::string statementFr;
  std::string statementEn;
  std::vector<CriterionEvidence> evidence;
};

class CriteriaCatalogue {
 public:
  // Parses and checks a catalogue. kInvalid ("criteria-invalid") with one Problem per mistake,
  // each message starting with `source` and naming the JSON location (criteria[3].theme).
  static Result<CriteriaCatalogue> parse(std::string_view json, std::string_view source);
  // Reads `path` and parses it; kInvalid ("criteria-unreadable") when it cannot be read.
  static Result<CriteriaCatalogue> load(const std::string& path);

  const std::string& version() const { return version_; }
  const std::vector<CriteriaTheme>& themes() const { return themes_; }
  // In file order.
  const std::vector<Criterion>& criteria() const { return criteria_; }
  // nullptr when unknown.
  const Criterion* find(std::string_view id) const;
  const CriteriaTheme* theme(std::string_view id) const;

 private:
  std::string version_;
  std::vector<CriteriaTheme> themes_;
  std::vector<Criterion> criteria_;
};

// The text of docs/registry-criteria.json as it was at build time.
std::string_view criteriaBuiltInJson();
// Parses criteriaBuiltInJson() ("docs/registry-criteria.json" in messages).
Result<CriteriaCatalogue> criteriaBuiltIn();

// Every problem of an Error, one per line, for the start-up message.
std::string problemsText(const Error& error);

}  // namespace mes::gateway::registry
