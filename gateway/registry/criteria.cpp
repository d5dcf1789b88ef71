#include "gateway/registry/criteria.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "fhir/json/json.h"
#include "gateway/registry/problems.h"

namespace mes::gateway::registry {
namespace {

constexpr std::array<std::string_view, 5> kSpecThemes = {"interoperability", "security", "gdpr",
                                                         "ethics", "data_exchange"};
constexpr std::array<std::string_view, 3> kEvidenceKinds = {"conformance-test", "document",
                                                            "questionnaire"};

// Collects the mistakes of one file, each "<source>: <location> <what>".
class Problems {
 public:
  explicit Problems(std::string_view source) : source_(source) {}
  void add(const std::string& at, const std::string& what) {
    list_.add("criteria-invalid", source_ + ": " + at + " " + what, at);
  }
  bool empty() const { return list_.empty(); }
  Error error() const { return list_.status().error(); }

 private:
  std::string source_;
  ProblemList list_{ErrorKind::kInvalid};
};

// Refuses members of `object` not in `known`.
void knownMembers(const fhir::Value& object, const std::string& at,
                  std::initializer_list<std::string_view> known, Problems& problems) {
  for (const auto& [name, value] : object.members()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      problems.add(at + "." + name, "is not a member of this format.");
    }
  }
}

// A required non-empty string member; "" when it is not one (reported).
std::string text(const fhir::Value& object, const std::string& at, std::string_view name,
                 Problems& problems) {
  const fhir::Value* v = object.find(name);
  const std::string where = at + "." + std::string(name);
  if (v == nullptr) {
    problems.add(where, "is required.");
    return {};
  }
  if (!v->isString() || v->text().empty()) {
    problems.add(where, "must be a non-empty string.");
    return {};
  }
  return v->text();
}

// The array member `name`; nullptr when missing or not an array (reported).
const fhir::Value* array(const fhir::Value& object, const std::string& at, std::string_view name,
                         Problems& problems) {
  const fhir::Value* v = object.find(name);
  const std::string where = at + "." + std::string(name);
  if (v == nullptr) {
    problems.add(where, "is required.");
    return nullptr;
  }
  if (!v->isArray()) {
    problems.add(where, "must be an array.");
    return nullptr;
  }
  return v;
}

// "SEC-01": 2 to 4 capital letters, '-', two digits.
bool criterionIdValid(std::string_view id) {
  const size_t dash = id.find('-');
  if (dash < 2 || dash > 4 || dash == std::string_view::npos || id.size() != dash + 3) return false;
  for (size_t i = 0; i < dash; ++i) {
    if (id[i] < 'A' || id[i] > 'Z') return false;
  }
  return id[dash + 1] >= '0' && id[dash + 1] <= '9' && id[dash + 2] >= '0' && id[dash + 2] <= '9';
}

CriterionEvidence readEvidence(const fhir::Value& item, const std::string& at, Problems& problems) {
  CriterionEvidence out;
  if (!item.isObject()) {
    problems.add(at, "must be an object.");
    return out;
  }
  out.kind = text(item, at, "kind", problems);
  if (out.kind.empty()) return out;
  if (std::find(kEvidenceKinds.begin(), kEvidenceKinds.end(), out.kind) == kEvidenceKinds.end()) {
    problems.add(at + ".kind",
                 "must be conformance-test, document or questionnaire; got \"" + out.kind + "\".");
    return out;
  }
  if (out.kind == "conformance-test") {
    knownMembers(item, at, {"kind", "test"}, problems);
    out.test = text(item, at, "test", problems);
  } else {
    knownMembers(item, at, {"kind", "fr", "en"}, problems);
    out.fr = text(item, at, "fr", problems);
    out.en = text(item, at, "en", problems);
  }
  return out;
}

}  // namespace

Result<CriteriaCatalogue> CriteriaCatalogue::parse(std::string_view json, std::string_view source) {
  Problems problems(source);
  auto parsed = fhir::parseJson(json);
  if (!parsed) {
    problems.add("(file)", "is not valid JSON: " + parsed.error().problems.front().message);
    return problems.error();
  }
  const fhir::Value& root = *parsed;
  if (!root.isObject()) {
    problems.add("(file)", "must be a JSON object.");
    return problems.error();
  }
  CriteriaCatalogue out;
  knownMembers(root, "(file)", {"version", "themes", "criteria"}, problems);
  out.version_ = text(root, "(file)", "version", problems);

  if (const fhir::Value* themes = array(root, "(file)", "themes", problems)) {
    for (size_t i = 0; i < themes->items().size(); ++i) {
      const fhir::Value& item = themes->items()[i];
      const std::string at = "themes[" + std::to_string(i) + "]";
      if (!item.isObject()) {
        problems.add(at, "must be an object.");
        continue;
      }
      knownMembers(item, at, {"id", "label_fr", "label_en"}, problems);
      CriteriaTheme theme{text(item, at, "id", problems), text(item, at, "label_fr", problems),
                          text(item, at, "label_en", problems)};
      if (!theme.id.empty() && out.theme(theme.id) != nullptr) {
        problems.add(at + ".id", "\"" + theme.id + "\" is declared twice.");
      }
      out.themes_.push_back(std::move(theme));
    }
    for (std::string_view id : kSpecThemes) {
      if (out.theme(id) == nullptr) {
        problems.add("themes", "must declare the theme \"" + std::string(id) + "\" (SPEC §5).");
      }
    }
  }

  if (const fhir::Value* criteria = array(root, "(file)", "criteria", problems)) {
    for (size_t i = 0; i < criteria->items().size(); ++i) {
      const fhir::Value& item = criteria->items()[i];
      const std::string at = "criteria[" + std::to_string(i) + "]";
      if (!item.isObject()) {
        problems.add(at, "must be an object.");
        continue;
      }
      knownMembers(item, at,
                   {"id", "theme", "required", "statement_fr", "statement_en", "evidence"},
                   problems);
      Criterion c;
      c.id = text(item, at, "id", problems);
      if (!c.id.empty() && !criterionIdValid(c.id)) {
        problems.add(at + ".id",
                     "must be 2 to 4 capital letters, '-' and two digits (SEC-01); "
                     "got \"" +
                         c.id + "\".");
      } else if (!c.id.empty() && out.find(c.id) != nullptr) {
        problems.add(at + ".id", "\"" + c.id + "\" is used twice.");
      }
      c.theme = text(item, at, "theme", problems);
      if (!c.theme.empty() && out.theme(c.theme) == nullptr) {
        problems.add(at + ".theme", "\"" + c.theme + "\" is not a declared theme.");
      }
      const fhir::Value* required = item.find("required");
      if (required == nullptr) {
        problems.add(at + ".required", "is required.");
      } else if (!required->isBool()) {
        problems.add(at + ".required", "must be true or false.");
      } else {
        c.required = required->asBool();
      }
      c.statementFr = text(item, at, "statement_fr", problems);
      c.statementEn = text(item, at, "statement_en", problems);
      if (const fhir::Value* evidence = array(item, at, "evidence", problems)) {
        if (evidence->items().empty()) problems.add(at + ".evidence", "must not be empty.");
        for (size_t j = 0; j < evidence->items().size(); ++j) {
          c.evidence.push_back(readEvidence(evidence->items()[j],
                                            at + ".evidence[" + std::to_string(j) + "]", problems));
        }
      }
      out.criteria_.push_back(std::move(c));
    }
    if (out.criteria_.size() < kMinCriteria) {
      problems.add("criteria", "must hold at least " + std::to_string(kMinCriteria) +
                                   " criteria; it holds " + std::to_string(out.criteria_.size()) +
                                   ".");
    }
  }
  if (!problems.empty()) return problems.error();
  return out;
}

Result<CriteriaCatalogue> CriteriaCatalogue::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::make(ErrorKind::kInvalid, "criteria-unreadable",
                       "Cannot read the criteria file " + path + ".");
  }
  std::stringstream content;
  content << in.rdbuf();
  return parse(content.str(), path);
}

const Criterion* CriteriaCatalogue::find(std::string_view id) const {
  for (const Criterion& c : criteria_) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const CriteriaTheme* CriteriaCatalogue::theme(std::string_view id) const {
  for (const CriteriaTheme& t : themes_) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

Result<CriteriaCatalogue> criteriaBuiltIn() {
  return CriteriaCatalogue::parse(criteriaBuiltInJson(), "docs/registry-criteria.json");
}

std::string problemsText(const Error& error) {
  std::string out;
  for (const Problem& p : error.problems) out += (out.empty() ? "" : "\n") + p.message;
  return out.empty() ? error.detail : out;
}

}  // namespace mes::gateway::registry
