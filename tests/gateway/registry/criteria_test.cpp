// The referencing criteria (gateway/registry/criteria.h): the repository's file as built in, and
// every way a criteria file can be wrong, each with the message a start-up would print.
#include "gateway/registry/criteria.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <string>

#include "connectors/temp_dir.h"
#include "fhir/json/json.h"

using namespace mes::gateway::registry;
namespace bdata = boost::unit_test::data;

namespace {

// The repository's docs/registry-criteria.json (tests/testdata is MES_TESTDATA_DIR).
std::string repositoryFile() {
  return (std::filesystem::path(MES_TESTDATA_DIR) / ".." / ".." / "docs" / "registry-criteria.json")
      .string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The built-in catalogue with one edit: `path` (dotted, numbers index arrays) set to `json`,
// or removed when json is null.
std::string edited(const char* path, const char* json) {
  auto root = mes::fhir::parseJson(criteriaBuiltInJson());
  BOOST_REQUIRE(root.isOk());
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  mes::fhir::Value* node = &*root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    node = node->isArray() ? &node->items().at(std::stoul(parts[i])) : node->find(parts[i]);
    BOOST_REQUIRE(node != nullptr);
  }
  if (node->isArray()) {
    auto& items = node->items();
    const size_t index = std::stoul(parts.back());
    if (json == nullptr) {
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(index));
    } else {
      items.at(index) = *mes::fhir::parseJson(json);
    }
  } else if (json == nullptr) {
    node->erase(parts.back());
  } else {
    node->set(parts.back(), *mes::fhir::parseJson(json));
  }
  return mes::fhir::toJson(*root);
}

struct Case {
  const char* what;
  const char* path;
  const char* json;
  const char* message;  // the first problem's message, after "test.json: "
};
std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.what;
}

const Case kCases[] = {
    {"unknown top-level key", "owner", R"("ANS")", "(file).owner is not a member of this format."},
    {"version missing", "version", nullptr, "(file).version is required."},
    {"themes not an array", "themes", "{}", "(file).themes must be an array."},
    {"a SPEC theme missing", "themes.3", nullptr,
     "themes must declare the theme \"ethics\" (SPEC \u00a75)."},
    {"theme label empty", "themes.0.label_fr", R"("")",
     "themes[0].label_fr must be a non-empty string."},
    {"theme declared twice", "themes.1.id", R"("interoperability")",
     "themes[1].id \"interoperability\" is declared twice."},
    {"criterion id malformed", "criteria.0.id", R"("int-1")",
     "criteria[0].id must be 2 to 4 capital letters, '-' and two digits (SEC-01); got \"int-1\"."},
    {"criterion id twice", "criteria.1.id", R"("INT-01")",
     "criteria[1].id \"INT-01\" is used twice."},
    {"unknown theme", "criteria.0.theme", R"("marketing")",
     "criteria[0].theme \"marketing\" is not a declared theme."},
    {"required a string", "criteria.0.required", R"("yes")",
     "criteria[0].required must be true or false."},
    {"required missing", "criteria.0.required", nullptr, "criteria[0].required is required."},
    {"statement missing", "criteria.0.statement_en", nullptr,
     "criteria[0].statement_en is required."},
    {"statement a number", "criteria.0.statement_fr", "3",
     "criteria[0].statement_fr must be a non-empty string."},
    {"unknown criterion key", "criteria.0.weight", "2",
     "criteria[0].weight is not a member of this format."},
    {"no evidence", "criteria.0.evidence", "[]", "criteria[0].evidence must not be empty."},
    {"evidence kind unknown", "criteria.0.evidence.0", R"({"kind":"interview"})",
     "criteria[0].evidence[0].kind must be conformance-test, document or questionnaire; got "
     "\"interview\"."},
    {"test evidence without test", "criteria.0.evidence.0", R"({"kind":"conformance-test"})",
     "criteria[0].evidence[0].test is required."},
    {"document evidence without English", "criteria.0.evidence.0",
     R"({"kind":"document","fr":"x"})", "criteria[0].evidence[0].en is required."},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_criteria)

BOOST_AUTO_TEST_CASE(the_built_in_catalogue_is_the_repository_file_and_is_valid) {
  BOOST_TEST(std::string(criteriaBuiltInJson()) == slurp(repositoryFile()));
  auto catalogue = criteriaBuiltIn();
  BOOST_REQUIRE_MESSAGE(catalogue.isOk(),
                        (catalogue.isOk() ? "" : problemsText(catalogue.error())));
  BOOST_TEST(catalogue->criteria().size() >= kMinCriteria);
  // Every SPEC theme has criteria, some of them required; every criterion speaks both languages.
  std::map<std::string, int> perTheme;
  std::map<std::string, int> requiredPerTheme;
  std::set<std::string> testIds;
  for (const Criterion& c : catalogue->criteria()) {
    ++perTheme[c.theme];
    if (c.required) ++requiredPerTheme[c.theme];
    BOOST_TEST(c.statementFr != c.statementEn, c.id);
    for (const auto& e : c.evidence) {
      if (e.kind == "conformance-test") testIds.insert(e.test);
    }
  }
  for (const char* theme : {"interoperability", "security", "gdpr", "ethics", "data_exchange"}) {
    BOOST_TEST(perTheme[theme] >= 5, theme);
    BOOST_TEST(requiredPerTheme[theme] >= 4, theme);
    BOOST_TEST(catalogue->theme(theme) != nullptr);
  }
  BOOST_TEST(testIds.count("client.pkce-s256") == 1U);
  BOOST_TEST(testIds.count("client.no-token-in-url") == 1U);
  BOOST_REQUIRE(catalogue->find("SEC-01") != nullptr);
  BOOST_TEST(catalogue->find("SEC-01")->required);
  BOOST_TEST(catalogue->find("XYZ-99") == nullptr);
}

BOOST_DATA_TEST_CASE(malformed_files, bdata::make(kCases), c) {
  auto parsed = CriteriaCatalogue::parse(edited(c.path, c.json), "test.json");
  BOOST_REQUIRE(!parsed.isOk());
  BOOST_TEST(parsed.error().code() == "criteria-invalid");
  BOOST_TEST(parsed.error().problems.front().message == std::string("test.json: ") + c.message);
}

BOOST_AUTO_TEST_CASE(too_few_criteria_and_not_json) {
  auto root = mes::fhir::parseJson(criteriaBuiltInJson());
  root->find("criteria")->items().resize(29);
  auto few = CriteriaCatalogue::parse(mes::fhir::toJson(*root), "few.json");
  BOOST_REQUIRE(!few.isOk());
  BOOST_TEST(few.error().problems.back().message ==
             "few.json: criteria must hold at least 30 criteria; it holds 29.");
  auto garbage = CriteriaCatalogue::parse("{\"version\": ", "garbage.json");
  BOOST_REQUIRE(!garbage.isOk());
  BOOST_TEST(garbage.error().problems.front().message.rfind(
                 "garbage.json: (file) is not valid JSON", 0) == 0);
  BOOST_TEST(problemsText(few.error()).find("few.json: criteria must hold") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_file_is_read_from_disk) {
  mes::test::TempDir dir;
  const std::string path = dir.file("criteria.json");
  std::ofstream(path) << criteriaBuiltInJson();
  auto loaded = CriteriaCatalogue::load(path);
  BOOST_REQUIRE(loaded.isOk());
  BOOST_TEST(loaded->criteria().size() == criteriaBuiltIn()->criteria().size());
  auto missing = CriteriaCatalogue::load(dir.file("absent.json"));
  BOOST_REQUIRE(!missing.isOk());
  BOOST_TEST(missing.error().code() == "criteria-unreadable");
}

BOOST_AUTO_TEST_SUITE_END()
