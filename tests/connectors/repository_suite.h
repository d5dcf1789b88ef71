// The repository test suite: what every store::Repository implementation must do, written
// only against connectors/store/repository.h.
//
// A store joins by providing a fixture type and including this file once in its test file:
//
//   struct MyStore {
//     MyStore();                               // a fresh, empty store
//     mes::ManualClock& clock();               // the clock the store reads
//     mes::store::Repository& repository();
//   };
//   #define MES_REPOSITORY_SUITE_NAME my_store_repository_suite
//   #define MES_REPOSITORY_SUITE_STORES std::tuple<MyStore>
//   #include "connectors/repository_suite.h"
//
// Every case runs once per type in MES_REPOSITORY_SUITE_STORES, each on a fresh store. The
// suite lives in its own Boost.Test suite (and namespace) named MES_REPOSITORY_SUITE_NAME, so
// several test files can include it. No include guard on purpose; the macros are consumed.
#if !defined(MES_REPOSITORY_SUITE_NAME) || !defined(MES_REPOSITORY_SUITE_STORES)
#error "define MES_REPOSITORY_SUITE_NAME and MES_REPOSITORY_SUITE_STORES before including"
#endif

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "connectors/store/repository.h"
#include "core/clock.h"
#include "core/status.h"

BOOST_AUTO_TEST_SUITE(MES_REPOSITORY_SUITE_NAME)

using mes::Error;
using mes::ErrorKind;
using mes::Result;
using mes::Status;
using mes::store::DateBound;
using mes::store::DateFilter;
using mes::store::IndexRows;
using mes::store::ReferenceFilter;
using mes::store::ReferenceIndex;
using mes::store::Render;
using mes::store::Repository;
using mes::store::ResourceRecord;
using mes::store::SearchPage;
using mes::store::SearchQuery;
using mes::store::SortOrder;
using mes::store::TokenFilter;
using mes::store::TokenIndex;
using mes::store::Transaction;
using mes::store::WriteRequest;

using RepositoryStores = MES_REPOSITORY_SUITE_STORES;

const std::string kLoinc = "http://loinc.org";
const std::string kWeight = "29463-7";
const std::string kHeartRate = "8867-4";
const std::string kHeight = "8302-2";
constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kDay = 86'400'000;

// --- helpers ------------------------------------------------------------------------------

std::string describe(const Error& e) {
  std::string text =
      "kind " + std::to_string(static_cast<int>(e.kind)) + " code '" + e.code() + "'";
  if (!e.problems.empty()) text += " message '" + e.problems.front().message + "'";
  if (!e.detail.empty()) text += " detail '" + e.detail + "'";
  return text;
}

template <typename R>
std::string describe(const R& r) {
  return r.isOk() ? std::string("ok") : describe(r.error());
}

#define MES_REQUIRE_OK(expr)                                            \
  do {                                                                  \
    const auto& mes_suite_r_ = (expr);                                  \
    BOOST_REQUIRE_MESSAGE(mes_suite_r_.isOk(), describe(mes_suite_r_)); \
  } while (false)

template <typename R>
void checkError(const R& r, ErrorKind kind, const std::string& code) {
  BOOST_REQUIRE_MESSAGE(!r.isOk(), "expected error " + code + ", got ok");
  BOOST_TEST(static_cast<int>(r.error().kind) == static_cast<int>(kind), describe(r));
  BOOST_TEST(r.error().code() == code);
}

std::string jsonOf(const std::string& type, const std::string& id, int64_t versionId,
                   int64_t lastUpdatedMs, const std::string& body) {
  return "{\"resourceType\":\"" + type + "\",\"id\":\"" + id + "\",\"meta\":{\"versionId\":\"" +
         std::to_string(versionId) + "\",\"lastUpdated\":" + std::to_string(lastUpdatedMs) + "}" +
         (body.empty() ? "" : "," + body) + "}";
}

// Renders a JSON document carrying the version id and timestamp the store chose.
Render renderJson(std::string type, std::string id, std::string body = {}) {
  return [type = std::move(type), id = std::move(id), body = std::move(body)](
             int64_t versionId, int64_t lastUpdatedMs) -> Result<std::string> {
    return jsonOf(type, id, versionId, lastUpdatedMs, body);
  };
}

WriteRequest patientResource(const std::string& id) {
  WriteRequest request;
  request.type = "Patient";
  request.id = id;
  request.index.patient = id;
  request.render = renderJson("Patient", id);
  return request;
}

// An Observation for `patient` at an instant, with one code.
WriteRequest measure(const std::string& id, const std::string& patient,
                     std::optional<int64_t> dateMs, const std::string& code = kWeight,
                     const std::string& system = kLoinc) {
  WriteRequest request;
  request.type = "Observation";
  request.id = id;
  request.source = "urn:app:tensio";
  request.index.patient = patient;
  request.index.dateLowMs = dateMs;
  request.index.dateHighMs = dateMs;
  request.index.tokens.push_back({"code", system, code});
  request.index.references.push_back({"subject", "Patient/" + patient});
  request.render = renderJson("Observation", id, "\"code\":\"" + code + "\"");
  return request;
}

SearchQuery observations(std::optional<std::string> patient = std::nullopt) {
  SearchQuery query;
  query.type = "Observation";
  query.patient = std::move(patient);
  query.count = 100;
  return query;
}

TokenFilter codeFilter(std::vector<TokenFilter::Alternative> anyOf) {
  TokenFilter filter;
  filter.param = "code";
  filter.anyOf = std::move(anyOf);
  return filter;
}

std::vector<std::string> idsOf(const SearchPage& page) {
  std::vector<std::string> ids;
  for (const ResourceRecord& record : page.records) ids.push_back(record.id);
  return ids;
}

std::vector<std::string> sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> searchIds(Repository& repo, const SearchQuery& query) {
  Result<SearchPage> page = repo.search(query);
  BOOST_REQUIRE_MESSAGE(page.isOk(), describe(page));
  return idsOf(*page);
}

std::vector<std::string> searchIdsSorted(Repository& repo, const SearchQuery& query) {
  return sorted(searchIds(repo, query));
}

using Ids = std::vector<std::string>;

// --- create / read / vread / history ------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(create_then_read_returns_the_rendered_version, Store,
                              RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();

  Result<ResourceRecord> created = repo.create(measure("obs-1", "pat-1", kT0 - kDay));
  MES_REQUIRE_OK(created);
  BOOST_TEST(created->type == "Observation");
  BOOST_TEST(created->id == "obs-1");
  BOOST_TEST(created->versionId == 1);
  BOOST_TEST(created->lastUpdatedMs == kT0);
  BOOST_TEST(!created->deleted);
  BOOST_TEST(created->source == "urn:app:tensio");
  const std::string expected = jsonOf("Observation", "obs-1", 1, kT0, "\"code\":\"29463-7\"");
  BOOST_TEST(created->content == expected);

  Result<ResourceRecord> read = repo.read("Observation", "obs-1");
  MES_REQUIRE_OK(read);
  BOOST_TEST(read->versionId == 1);
  BOOST_TEST(read->lastUpdatedMs == kT0);
  BOOST_TEST(read->source == "urn:app:tensio");
  BOOST_TEST(read->content == expected);
  BOOST_TEST(!read->deleted);
  // The compartment the resource is indexed under comes back with read, vread and history.
  BOOST_TEST(read->patient == "pat-1");
  BOOST_TEST(repo.vread("Observation", "obs-1", 1)->patient == "pat-1");
  BOOST_TEST(repo.history("Observation", "obs-1")->front().patient == "pat-1");

  checkError(repo.read("Observation", "nope"), ErrorKind::kNotFound, "not-found");
  checkError(repo.read("Patient", "obs-1"), ErrorKind::kNotFound, "not-found");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(create_twice_with_the_same_id_conflicts, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("obs-1", "pat-1", kT0)));
  store.clock().advance(5);
  checkError(repo.create(measure("obs-1", "pat-2", kT0, kHeartRate)), ErrorKind::kConflict,
             "already-exists");

  Result<ResourceRecord> read = repo.read("Observation", "obs-1");
  MES_REQUIRE_OK(read);
  BOOST_TEST(read->versionId == 1);
  BOOST_TEST(read->lastUpdatedMs == kT0);
  BOOST_TEST(searchIds(repo, observations("pat-2")).empty());
  // The same id under another type is another resource.
  WriteRequest other = measure("obs-1", "pat-1", kT0);
  other.type = "Device";
  MES_REQUIRE_OK(repo.create(other));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(updates_add_versions_and_history_is_newest_first, Store,
                              RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("obs-1", "pat-1", kT0)));
  store.clock().set(kT0 + 100);
  Result<ResourceRecord> v2 = repo.update(measure("obs-1", "pat-1", kT0, kHeartRate));
  MES_REQUIRE_OK(v2);
  BOOST_TEST(v2->versionId == 2);
  BOOST_TEST(v2->lastUpdatedMs == kT0 + 100);
  store.clock().set(kT0 + 200);
  WriteRequest third = measure("obs-1", "pat-1", kT0, kHeight);
  third.source = "urn:app:other";
  Result<ResourceRecord> v3 = repo.update(third);
  MES_REQUIRE_OK(v3);
  BOOST_TEST(v3->versionId == 3);

  const std::vector<std::pair<int64_t, std::string>> versions = {
      {1, jsonOf("Observation", "obs-1", 1, kT0, "\"code\":\"29463-7\"")},
      {2, jsonOf("Observation", "obs-1", 2, kT0 + 100, "\"code\":\"8867-4\"")},
      {3, jsonOf("Observation", "obs-1", 3, kT0 + 200, "\"code\":\"8302-2\"")},
  };
  for (const auto& [version, content] : versions) {
    Result<ResourceRecord> record = repo.vread("Observation", "obs-1", version);
    MES_REQUIRE_OK(record);
    BOOST_TEST(record->versionId == version);
    BOOST_TEST(record->lastUpdatedMs == kT0 + (version - 1) * 100);
    BOOST_TEST(record->content == content);
  }
  BOOST_TEST(repo.vread("Observation", "obs-1", 3)->source == "urn:app:other");
  BOOST_TEST(repo.vread("Observation", "obs-1", 1)->source == "urn:app:tensio");
  checkError(repo.vread("Observation", "obs-1", 4), ErrorKind::kNotFound, "not-found");
  checkError(repo.vread("Observation", "obs-1", 0), ErrorKind::kNotFound, "not-found");
  checkError(repo.vread("Observation", "nope", 1), ErrorKind::kNotFound, "not-found");

  Result<std::vector<ResourceRecord>> history = repo.history("Observation", "obs-1");
  MES_REQUIRE_OK(history);
  BOOST_REQUIRE_EQUAL(history->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const auto& [version, content] = versions[2 - i];
    BOOST_TEST((*history)[i].versionId == version);
    BOOST_TEST((*history)[i].content == content);
    BOOST_TEST((*history)[i].id == "obs-1");
    BOOST_TEST((*history)[i].type == "Observation");
  }
  checkError(repo.history("Observation", "nope"), ErrorKind::kNotFound, "not-found");

  Result<ResourceRecord> current = repo.read("Observation", "obs-1");
  MES_REQUIRE_OK(current);
  BOOST_TEST(current->versionId == 3);
  BOOST_TEST(current->content == versions[2].second);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(update_with_if_match, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("obs-1", "pat-1", kT0)));

  WriteRequest right = measure("obs-1", "pat-1", kT0, kHeartRate);
  right.ifMatch = 1;
  Result<ResourceRecord> v2 = repo.update(right);
  MES_REQUIRE_OK(v2);
  BOOST_TEST(v2->versionId == 2);

  int renders = 0;
  WriteRequest stale = measure("obs-1", "pat-1", kT0, kHeight);
  stale.ifMatch = 1;
  stale.render = [&](int64_t, int64_t) -> Result<std::string> {
    ++renders;
    return std::string("{}");
  };
  Result<ResourceRecord> refused = repo.update(stale);
  checkError(refused, ErrorKind::kPreconditionFailed, "version-conflict");
  const std::string& message = refused.error().problems.front().message;
  BOOST_TEST(message.find('1') != std::string::npos, message);
  BOOST_TEST(message.find('2') != std::string::npos, message);
  BOOST_TEST(renders == 0);

  // Nothing written: still version 2, history of 2, the index still says heart rate.
  BOOST_TEST(repo.read("Observation", "obs-1")->versionId == 2);
  BOOST_TEST(repo.history("Observation", "obs-1")->size() == 2u);
  SearchQuery height = observations("pat-1");
  height.tokens.push_back(codeFilter({{kLoinc, kHeight}}));
  BOOST_TEST(searchIds(repo, height).empty());

  WriteRequest future = measure("obs-1", "pat-1", kT0);
  future.ifMatch = 7;
  checkError(repo.update(future), ErrorKind::kPreconditionFailed, "version-conflict");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(update_of_an_unknown_id_creates_it, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  Result<ResourceRecord> created = repo.update(measure("obs-new", "pat-1", kT0));
  MES_REQUIRE_OK(created);
  BOOST_TEST(created->versionId == 1);
  BOOST_TEST(repo.read("Observation", "obs-new")->versionId == 1);
  BOOST_TEST(searchIds(repo, observations("pat-1")) == Ids{"obs-new"});

  WriteRequest guarded = measure("obs-other", "pat-1", kT0);
  guarded.ifMatch = 1;
  checkError(repo.update(guarded), ErrorKind::kNotFound, "not-found");
  checkError(repo.read("Observation", "obs-other"), ErrorKind::kNotFound, "not-found");
}

// --- delete -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_is_a_version_and_read_says_gone, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("obs-1", "pat-1", kT0)));
  store.clock().set(kT0 + 50);

  Result<ResourceRecord> removed = repo.remove("Observation", "obs-1", std::nullopt);
  MES_REQUIRE_OK(removed);
  BOOST_TEST(removed->deleted);
  BOOST_TEST(removed->versionId == 2);
  BOOST_TEST(removed->lastUpdatedMs == kT0 + 50);
  BOOST_TEST(removed->content.empty());

  checkError(repo.read("Observation", "obs-1"), ErrorKind::kGone, "deleted");
  checkError(repo.vread("Observation", "obs-1", 2), ErrorKind::kGone, "deleted");
  MES_REQUIRE_OK(repo.vread("Observation", "obs-1", 1));

  Result<std::vector<ResourceRecord>> history = repo.history("Observation", "obs-1");
  MES_REQUIRE_OK(history);
  BOOST_REQUIRE_EQUAL(history->size(), 2u);
  BOOST_TEST((*history)[0].deleted);
  BOOST_TEST((*history)[0].versionId == 2);
  BOOST_TEST((*history)[0].lastUpdatedMs == kT0 + 50);
  BOOST_TEST((*history)[0].content.empty());
  BOOST_TEST(!(*history)[1].deleted);

  // Deleting again returns the delete without writing a new version.
  store.clock().set(kT0 + 90);
  Result<ResourceRecord> again = repo.remove("Observation", "obs-1", std::nullopt);
  MES_REQUIRE_OK(again);
  BOOST_TEST(again->deleted);
  BOOST_TEST(again->versionId == 2);
  BOOST_TEST(again->lastUpdatedMs == kT0 + 50);
  BOOST_TEST(repo.history("Observation", "obs-1")->size() == 2u);

  // The id stays taken, and the transaction view shows the deleted version.
  checkError(repo.create(measure("obs-1", "pat-1", kT0)), ErrorKind::kConflict, "already-exists");
  Status seen = repo.transaction([&](Transaction& tx) -> Status {
    Result<ResourceRecord> current = tx.read("Observation", "obs-1");
    if (!current) return current.takeError();
    BOOST_TEST(current->deleted);
    BOOST_TEST(current->versionId == 2);
    return Status::ok();
  });
  MES_REQUIRE_OK(seen);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_with_if_match_and_of_unknown_ids, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("obs-1", "pat-1", kT0)));
  checkError(repo.remove("Observation", "obs-1", 3), ErrorKind::kPreconditionFailed,
             "version-conflict");
  BOOST_TEST(repo.read("Observation", "obs-1")->versionId == 1);
  Result<ResourceRecord> removed = repo.remove("Observation", "obs-1", 1);
  MES_REQUIRE_OK(removed);
  BOOST_TEST(removed->versionId == 2);

  checkError(repo.remove("Observation", "never", std::nullopt), ErrorKind::kNotFound, "not-found");
  checkError(repo.remove("Observation", "never", 1), ErrorKind::kNotFound, "not-found");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(update_after_delete_resurrects, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("obs-1", "pat-1", kT0)));
  MES_REQUIRE_OK(repo.remove("Observation", "obs-1", std::nullopt));
  BOOST_TEST(searchIds(repo, observations("pat-1")).empty());

  WriteRequest back = measure("obs-1", "pat-1", kT0, kHeartRate);
  back.ifMatch = 2;  // the delete is the current version
  Result<ResourceRecord> v3 = repo.update(back);
  MES_REQUIRE_OK(v3);
  BOOST_TEST(v3->versionId == 3);
  BOOST_TEST(!v3->deleted);
  Result<ResourceRecord> read = repo.read("Observation", "obs-1");
  MES_REQUIRE_OK(read);
  BOOST_TEST(read->versionId == 3);
  BOOST_TEST(read->content == v3->content);

  SearchQuery heartRate = observations("pat-1");
  heartRate.tokens.push_back(codeFilter({{kLoinc, kHeartRate}}));
  BOOST_TEST(searchIds(repo, heartRate) == Ids{"obs-1"});
  BOOST_TEST(repo.history("Observation", "obs-1")->size() == 3u);
}

// --- search -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(search_by_patient_and_type, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("a1", "pat-a", kT0)));
  MES_REQUIRE_OK(repo.create(measure("a2", "pat-a", kT0 + kDay, kHeartRate)));
  MES_REQUIRE_OK(repo.create(measure("b1", "pat-b", kT0)));
  MES_REQUIRE_OK(repo.create(patientResource("pat-a")));
  WriteRequest unrelated = measure("x1", "", kT0);
  MES_REQUIRE_OK(repo.create(unrelated));

  BOOST_TEST(searchIdsSorted(repo, observations("pat-a")) == (Ids{"a1", "a2"}));
  BOOST_TEST(searchIdsSorted(repo, observations("pat-b")) == (Ids{"b1"}));
  BOOST_TEST(searchIds(repo, observations("pat-c")).empty());
  BOOST_TEST(searchIdsSorted(repo, observations()) == (Ids{"a1", "a2", "b1", "x1"}));

  SearchQuery patients;
  patients.type = "Patient";
  patients.patient = "pat-a";
  BOOST_TEST(searchIds(repo, patients) == Ids{"pat-a"});

  Result<SearchPage> page = repo.search(observations("pat-a"));
  MES_REQUIRE_OK(page);
  BOOST_REQUIRE(page->total.has_value());
  BOOST_TEST(*page->total == 2);
  for (const ResourceRecord& record : page->records) {
    BOOST_TEST(record.type == "Observation");
    BOOST_TEST(!record.deleted);
    BOOST_TEST(record.versionId == 1);
    BOOST_TEST(record.source == "urn:app:tensio");
    BOOST_TEST(record.content == repo.read("Observation", record.id)->content);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(search_by_token, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("weight", "pat-1", kT0)));
  MES_REQUIRE_OK(repo.create(measure("heart", "pat-1", kT0, kHeartRate)));
  MES_REQUIRE_OK(repo.create(measure("local", "pat-1", kT0, kWeight, "urn:local:codes")));
  MES_REQUIRE_OK(repo.create(measure("bare", "pat-1", kT0, kWeight, "")));
  MES_REQUIRE_OK(repo.create(measure("other", "pat-2", kT0)));
  // Two codings of the same concept, plus a category: matched once, never twice.
  WriteRequest both = measure("both", "pat-1", kT0, kHeight);
  both.index.tokens.push_back({"code", "urn:local:codes", kHeight});
  both.index.tokens.push_back({"code", kLoinc, kHeight});  // listed twice
  both.index.tokens.push_back({"category", "urn:cat", "vital-signs"});
  MES_REQUIRE_OK(repo.create(both));

  struct Case {
    std::string name;
    std::vector<TokenFilter> filters;
    std::optional<std::string> patient;
    Ids expected;
  };
  const std::vector<Case> cases = {
      {"system and code", {codeFilter({{kLoinc, kWeight}})}, "pat-1", {"weight"}},
      {"any system", {codeFilter({{std::nullopt, kWeight}})}, "pat-1", {"bare", "local", "weight"}},
      {"no system", {codeFilter({{std::string(), kWeight}})}, "pat-1", {"bare"}},
      {"other system", {codeFilter({{"urn:local:codes", kWeight}})}, "pat-1", {"local"}},
      {"unknown system", {codeFilter({{"urn:nope", kWeight}})}, "pat-1", {}},
      {"unknown code", {codeFilter({{kLoinc, "0000-0"}})}, "pat-1", {}},
      {"or", {codeFilter({{kLoinc, kWeight}, {kLoinc, kHeartRate}})}, "pat-1", {"heart", "weight"}},
      {"or mixed systems",
       {codeFilter({{std::nullopt, kHeartRate}, {std::string(), kWeight}})},
       "pat-1",
       {"bare", "heart"}},
      {"or both codings of one resource",
       {codeFilter({{kLoinc, kHeight}, {"urn:local:codes", kHeight}})},
       "pat-1",
       {"both"}},
      {"any system, two codings", {codeFilter({{std::nullopt, kHeight}})}, "pat-1", {"both"}},
      {"and",
       {codeFilter({{std::nullopt, kHeight}}),
        TokenFilter{"category", {{"urn:cat", "vital-signs"}}}},
       "pat-1",
       {"both"}},
      {"and that nothing satisfies",
       {codeFilter({{kLoinc, kWeight}}), TokenFilter{"category", {{"urn:cat", "vital-signs"}}}},
       "pat-1",
       {}},
      {"all patients", {codeFilter({{kLoinc, kWeight}})}, std::nullopt, {"other", "weight"}},
      {"no alternatives", {codeFilter({})}, "pat-1", {}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      SearchQuery query = observations(c.patient);
      query.tokens = c.filters;
      Result<SearchPage> page = repo.search(query);
      MES_REQUIRE_OK(page);
      BOOST_TEST(sorted(idsOf(*page)) == c.expected);
      BOOST_REQUIRE(page->total.has_value());
      BOOST_TEST(*page->total == static_cast<int64_t>(c.expected.size()));
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(search_by_reference, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  WriteRequest m1 = measure("m1", "pat-1", kT0);
  m1.index.references.push_back({"device", "Device/scale"});
  WriteRequest m2 = measure("m2", "pat-1", kT0 + 1);
  m2.index.references.push_back({"device", "Device/cuff"});
  WriteRequest m3 = measure("m3", "pat-2", kT0 + 2);
  m3.index.references.push_back({"device", "Device/scale"});
  WriteRequest m4 = measure("m4", "pat-1", kT0 + 3);
  for (auto* request : {&m1, &m2, &m3, &m4}) MES_REQUIRE_OK(repo.create(*request));

  struct Case {
    std::string name;
    std::vector<ReferenceFilter> filters;
    std::vector<TokenFilter> tokens;
    std::optional<std::string> patient;
    Ids expected;
  };
  const std::vector<Case> cases = {
      {"one target", {{"device", {"Device/scale"}}}, {}, std::nullopt, {"m1", "m3"}},
      {"with patient", {{"device", {"Device/scale"}}}, {}, "pat-1", {"m1"}},
      {"or", {{"device", {"Device/scale", "Device/cuff"}}}, {}, std::nullopt, {"m1", "m2", "m3"}},
      {"and",
       {{"device", {"Device/scale"}}, {"subject", {"Patient/pat-2"}}},
       {},
       std::nullopt,
       {"m3"}},
      {"with token",
       {{"device", {"Device/cuff"}}},
       {codeFilter({{kLoinc, kWeight}})},
       "pat-1",
       {"m2"}},
      {"other param", {{"subject", {"Device/scale"}}}, {}, std::nullopt, {}},
      {"no alternatives", {{"device", {}}}, {}, std::nullopt, {}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      SearchQuery query = observations(c.patient);
      query.references = c.filters;
      query.tokens = c.tokens;
      Result<SearchPage> page = repo.search(query);
      MES_REQUIRE_OK(page);
      BOOST_TEST(sorted(idsOf(*page)) == c.expected);
      BOOST_TEST(page->total.value_or(-1) == static_cast<int64_t>(c.expected.size()));
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(search_by_date_with_every_bound, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  // Instants d1..d5 at day 1..5; periods p1 [1,3], p2 [2,5], p3 [4,4]; one without a date.
  for (int day = 1; day <= 5; ++day) {
    MES_REQUIRE_OK(repo.create(measure("d" + std::to_string(day), "pat-1", kT0 + day * kDay)));
  }
  const std::vector<std::tuple<std::string, int, int>> periods = {
      {"p1", 1, 3}, {"p2", 2, 5}, {"p3", 4, 4}};
  for (const auto& [id, low, high] : periods) {
    WriteRequest period = measure(id, "pat-2", std::nullopt);
    period.index.dateLowMs = kT0 + low * kDay;
    period.index.dateHighMs = kT0 + high * kDay;
    MES_REQUIRE_OK(repo.create(period));
  }
  MES_REQUIRE_OK(repo.create(measure("undated", "pat-1", std::nullopt)));
  MES_REQUIRE_OK(repo.create(measure("undated2", "pat-2", std::nullopt)));

  using Column = DateBound::Column;
  using Op = DateBound::Op;
  auto day = [](int n) { return kT0 + n * kDay; };
  struct Case {
    std::string name;
    std::string patient;
    std::vector<DateBound> bounds;
    bool negate;
    bool withToken;
    Ids expected;
  };
  const std::vector<Case> cases = {
      {"lt", "pat-1", {{Column::kLow, Op::kLt, day(3)}}, false, false, {"d1", "d2"}},
      {"le", "pat-1", {{Column::kLow, Op::kLe, day(3)}}, false, false, {"d1", "d2", "d3"}},
      {"gt", "pat-1", {{Column::kLow, Op::kGt, day(3)}}, false, false, {"d4", "d5"}},
      {"ge", "pat-1", {{Column::kLow, Op::kGe, day(3)}}, false, false, {"d3", "d4", "d5"}},
      {"range",
       "pat-1",
       {{Column::kLow, Op::kGe, day(2)}, {Column::kLow, Op::kLt, day(4)}},
       false,
       false,
       {"d2", "d3"}},
      {"range with token",
       "pat-1",
       {{Column::kLow, Op::kGe, day(2)}, {Column::kLow, Op::kLt, day(4)}},
       false,
       true,
       {"d2", "d3"}},
      {"negated range",
       "pat-1",
       {{Column::kLow, Op::kGe, day(2)}, {Column::kLow, Op::kLe, day(4)}},
       true,
       false,
       {"d1", "d5"}},
      {"negated range with token",
       "pat-1",
       {{Column::kLow, Op::kGe, day(2)}, {Column::kLow, Op::kLe, day(4)}},
       true,
       true,
       {"d1", "d5"}},
      {"negated single bound",
       "pat-1",
       {{Column::kLow, Op::kLt, day(3)}},
       true,
       false,
       {"d3", "d4", "d5"}},
      {"high lt", "pat-2", {{Column::kHigh, Op::kLt, day(4)}}, false, false, {"p1"}},
      {"high ge", "pat-2", {{Column::kHigh, Op::kGe, day(4)}}, false, false, {"p2", "p3"}},
      {"high gt with token", "pat-2", {{Column::kHigh, Op::kGt, day(4)}}, false, true, {"p2"}},
      {"overlaps [3, 4]",
       "pat-2",
       {{Column::kLow, Op::kLe, day(4)}, {Column::kHigh, Op::kGe, day(3)}},
       false,
       false,
       {"p1", "p2", "p3"}},
      {"within [2, 5]",
       "pat-2",
       {{Column::kLow, Op::kGe, day(2)}, {Column::kHigh, Op::kLe, day(5)}},
       false,
       false,
       {"p2", "p3"}},
      {"negated high le", "pat-2", {{Column::kHigh, Op::kLe, day(3)}}, true, false, {"p2", "p3"}},
      {"negated high le with token",
       "pat-2",
       {{Column::kHigh, Op::kLe, day(3)}},
       true,
       true,
       {"p2", "p3"}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      SearchQuery query = observations(c.patient);
      DateFilter filter;
      filter.allOf = c.bounds;
      filter.negate = c.negate;
      query.dates.push_back(filter);
      if (c.withToken) query.tokens.push_back(codeFilter({{kLoinc, kWeight}}));
      Result<SearchPage> page = repo.search(query);
      MES_REQUIRE_OK(page);
      BOOST_TEST(sorted(idsOf(*page)) == c.expected);
      BOOST_TEST(page->total.value_or(-1) == static_cast<int64_t>(c.expected.size()));
    }
  }

  // Two filters are ANDed (FHIR date=ge..&date=le..).
  SearchQuery both = observations("pat-1");
  both.dates.push_back(
      DateFilter{DateFilter::Target::kDate, {{Column::kLow, Op::kGt, day(1)}}, false, {}});
  both.dates.push_back(
      DateFilter{DateFilter::Target::kDate, {{Column::kLow, Op::kLt, day(5)}}, false, {}});
  BOOST_TEST(searchIdsSorted(repo, both) == (Ids{"d2", "d3", "d4"}));
}

// Named date ranges (DateIndex rows, e.g. DocumentReference "period" beside its "date"):
// filtered independently of the main range, one row of the name satisfying every bound,
// replaced on update and gone on delete.
BOOST_AUTO_TEST_CASE_TEMPLATE(search_by_named_date_range, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  auto day = [](int n) { return kT0 + n * kDay; };
  // Main date = day 10 for all; "period" rows: a [1,3], b [2,5], c two rows [1,1] and [6,7],
  // none: no period row; x: a "period" for another patient.
  auto document = [&](const std::string& id, const std::string& patient,
                      std::vector<std::pair<int, int>> periods) {
    WriteRequest request = measure(id, patient, day(10));
    for (const auto& [low, high] : periods) {
      request.index.dates.push_back({"period", day(low), day(high)});
    }
    request.index.dates.push_back({"other", day(100), day(100)});
    return request;
  };
  MES_REQUIRE_OK(repo.create(document("a", "pat-1", {{1, 3}})));
  MES_REQUIRE_OK(repo.create(document("b", "pat-1", {{2, 5}})));
  MES_REQUIRE_OK(repo.create(document("c", "pat-1", {{1, 1}, {6, 7}})));
  MES_REQUIRE_OK(repo.create(document("none", "pat-1", {})));
  MES_REQUIRE_OK(repo.create(document("x", "pat-2", {{1, 3}})));

  using Column = DateBound::Column;
  using Op = DateBound::Op;
  struct Case {
    std::string name;
    std::vector<DateBound> bounds;
    bool negate;
    bool withToken;
    Ids expected;
  };
  const std::vector<Case> cases = {
      {"any period", {}, false, false, {"a", "b", "c"}},
      {"starts before day 2", {{Column::kLow, Op::kLt, day(2)}}, false, false, {"a", "c"}},
      {"ends after day 4", {{Column::kHigh, Op::kGt, day(4)}}, false, false, {"b", "c"}},
      {"overlaps [4, 6]: one row of c does",
       {{Column::kLow, Op::kLe, day(6)}, {Column::kHigh, Op::kGe, day(4)}},
       false,
       false,
       {"b", "c"}},
      {"within [1, 3] on one row",
       {{Column::kLow, Op::kGe, day(1)}, {Column::kHigh, Op::kLe, day(3)}},
       false,
       true,
       {"a", "c"}},
      {"negated: a row outside [1, 3]",
       {{Column::kLow, Op::kGe, day(1)}, {Column::kHigh, Op::kLe, day(3)}},
       true,
       false,
       {"b", "c"}},
      {"the main date is not the period", {{Column::kLow, Op::kGe, day(10)}}, false, false, {}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      SearchQuery query = observations("pat-1");
      DateFilter filter;
      filter.target = DateFilter::Target::kNamed;
      filter.param = "period";
      filter.allOf = c.bounds;
      filter.negate = c.negate;
      query.dates.push_back(filter);
      if (c.withToken) query.tokens.push_back(codeFilter({{kLoinc, kWeight}}));
      Result<SearchPage> page = repo.search(query);
      MES_REQUIRE_OK(page);
      BOOST_TEST(sorted(idsOf(*page)) == c.expected);
      BOOST_TEST(page->total.value_or(-1) == static_cast<int64_t>(c.expected.size()));
    }
  }

  // Named and main ranges combine (AND).
  SearchQuery both = observations("pat-1");
  both.dates.push_back(DateFilter{DateFilter::Target::kDate, {{Column::kLow, Op::kGe, day(10)}}, false, {}});
  both.dates.push_back(DateFilter{DateFilter::Target::kNamed, {{Column::kLow, Op::kGe, day(2)}}, false, "period"});
  BOOST_TEST(searchIdsSorted(repo, both) == (Ids{"b", "c"}));

  // An update replaces the rows; a delete removes them.
  MES_REQUIRE_OK(repo.update(document("a", "pat-1", {{20, 21}})));
  SearchQuery late = observations("pat-1");
  late.dates.push_back(DateFilter{DateFilter::Target::kNamed, {{Column::kLow, Op::kGe, day(20)}}, false, "period"});
  BOOST_TEST(searchIds(repo, late) == (Ids{"a"}));
  SearchQuery early = observations("pat-1");
  early.dates.push_back(DateFilter{DateFilter::Target::kNamed, {{Column::kHigh, Op::kLe, day(3)}}, false, "period"});
  BOOST_TEST(searchIdsSorted(repo, early) == (Ids{"c"}));
  MES_REQUIRE_OK(repo.remove("Observation", "a", std::nullopt));
  BOOST_TEST(searchIds(repo, late).empty());
  MES_REQUIRE_OK(repo.update(document("a", "pat-1", {})));
  BOOST_TEST(searchIds(repo, late).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(search_by_last_updated, Store, RepositoryStores) {
  Store store;
  Repository& repo = store.repository();
  store.clock().set(kT0);
  MES_REQUIRE_OK(repo.create(measure("early", "pat-1", kT0)));
  store.clock().set(kT0 + 1000);
  MES_REQUIRE_OK(repo.create(measure("middle", "pat-1", kT0)));
  store.clock().set(kT0 + 2000);
  MES_REQUIRE_OK(repo.create(measure("late", "pat-1", kT0)));
  store.clock().set(kT0 + 3000);
  MES_REQUIRE_OK(repo.update(measure("early", "pat-1", kT0)));  // now the latest change

  using Column = DateBound::Column;
  using Op = DateBound::Op;
  auto since = [&](Op op, int64_t ms, bool negate, bool withToken) {
    SearchQuery query = observations("pat-1");
    DateFilter filter;
    filter.target = DateFilter::Target::kLastUpdated;
    filter.allOf.push_back({Column::kLow, op, ms});
    filter.negate = negate;
    query.dates.push_back(filter);
    if (withToken) query.tokens.push_back(codeFilter({{kLoinc, kWeight}}));
    return searchIdsSorted(repo, query);
  };
  for (bool withToken : {false, true}) {
    BOOST_TEST_CONTEXT("with token: " << withToken) {
      BOOST_TEST(since(Op::kGt, kT0 + 1000, false, withToken) == (Ids{"early", "late"}));
      BOOST_TEST(since(Op::kGe, kT0 + 1000, false, withToken) == (Ids{"early", "late", "middle"}));
      BOOST_TEST(since(Op::kLt, kT0 + 2000, false, withToken) == (Ids{"middle"}));
      BOOST_TEST(since(Op::kLe, kT0 + 2000, false, withToken) == (Ids{"late", "middle"}));
      BOOST_TEST(since(Op::kLe, kT0 + 2000, true, withToken) == (Ids{"early"}));
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(search_sort_orders, Store, RepositoryStores) {
  Store store;
  Repository& repo = store.repository();
  // Clinical dates: b < a < c. Changes: a, c, b.
  store.clock().set(kT0 + 10);
  MES_REQUIRE_OK(repo.create(measure("a", "pat-1", kT0 + 2 * kDay)));
  store.clock().set(kT0 + 20);
  MES_REQUIRE_OK(repo.create(measure("c", "pat-1", kT0 + 3 * kDay)));
  store.clock().set(kT0 + 30);
  MES_REQUIRE_OK(repo.create(measure("b", "pat-1", kT0 + 1 * kDay)));

  struct Case {
    SortOrder sort;
    Ids expected;
  };
  const std::vector<Case> cases = {
      {SortOrder::kDateDesc, {"c", "a", "b"}},
      {SortOrder::kDateAsc, {"b", "a", "c"}},
      {SortOrder::kLastUpdatedDesc, {"b", "c", "a"}},
      {SortOrder::kLastUpdatedAsc, {"a", "c", "b"}},
  };
  for (const Case& c : cases) {
    for (bool withToken : {false, true}) {
      for (bool withPatient : {false, true}) {
        BOOST_TEST_CONTEXT("sort " << static_cast<int>(c.sort) << " token " << withToken
                                   << " patient " << withPatient) {
          SearchQuery query =
              observations(withPatient ? std::optional<std::string>("pat-1") : std::nullopt);
          query.sort = c.sort;
          if (withToken) query.tokens.push_back(codeFilter({{kLoinc, kWeight}}));
          BOOST_TEST(searchIds(repo, query) == c.expected);
        }
      }
    }
  }

  // "Last measure": newest clinical date first, one result.
  SearchQuery last = observations("pat-1");
  last.tokens.push_back(codeFilter({{kLoinc, kWeight}}));
  last.sort = SortOrder::kDateDesc;
  last.count = 1;
  Result<SearchPage> page = repo.search(last);
  MES_REQUIRE_OK(page);
  BOOST_TEST(idsOf(*page) == Ids{"c"});
  BOOST_TEST(page->total.value_or(-1) == 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(paging_is_complete_and_deterministic_across_ties, Store,
                              RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  // Seven measures, five of them on the very same date.
  for (int i = 0; i < 7; ++i) {
    const int64_t date = i < 5 ? kT0 : kT0 + i * kDay;
    MES_REQUIRE_OK(repo.create(measure("m" + std::to_string(i), "pat-1", date)));
  }
  for (SortOrder sort : {SortOrder::kDateDesc, SortOrder::kDateAsc, SortOrder::kLastUpdatedDesc,
                         SortOrder::kLastUpdatedAsc}) {
    for (bool withToken : {false, true}) {
      BOOST_TEST_CONTEXT("sort " << static_cast<int>(sort) << " token " << withToken) {
        SearchQuery query = observations("pat-1");
        query.sort = sort;
        if (withToken) query.tokens.push_back(codeFilter({{std::nullopt, kWeight}}));
        const Ids all = searchIds(repo, query);
        BOOST_TEST(all.size() == 7u);
        BOOST_TEST(searchIds(repo, query) == all);  // same order every time

        Ids paged;
        query.count = 3;
        for (int offset : {0, 3, 6}) {
          query.offset = offset;
          Result<SearchPage> page = repo.search(query);
          MES_REQUIRE_OK(page);
          BOOST_TEST(page->records.size() == (offset == 6 ? 1u : 3u));
          BOOST_TEST(page->total.value_or(-1) == 7);
          for (const auto& id : idsOf(*page)) paged.push_back(id);
        }
        BOOST_TEST(paged == all);

        query.offset = 10;
        Result<SearchPage> beyond = repo.search(query);
        MES_REQUIRE_OK(beyond);
        BOOST_TEST(beyond->records.empty());
        BOOST_TEST(beyond->total.value_or(-1) == 7);
      }
    }
  }

  SearchQuery countOnly = observations("pat-1");
  countOnly.count = 0;
  Result<SearchPage> counted = repo.search(countOnly);
  MES_REQUIRE_OK(counted);
  BOOST_TEST(counted->records.empty());
  BOOST_TEST(counted->total.value_or(-1) == 7);

  SearchQuery noTotal = observations("pat-1");
  noTotal.withTotal = false;
  noTotal.count = 2;
  Result<SearchPage> untotalled = repo.search(noTotal);
  MES_REQUIRE_OK(untotalled);
  BOOST_TEST(untotalled->records.size() == 2u);
  BOOST_TEST(!untotalled->total.has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(deleted_resources_are_never_found, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  WriteRequest kept = measure("kept", "pat-1", kT0);
  kept.index.references.push_back({"device", "Device/scale"});
  WriteRequest gone = measure("gone", "pat-1", kT0 + 1);
  gone.index.references.push_back({"device", "Device/scale"});
  MES_REQUIRE_OK(repo.create(kept));
  MES_REQUIRE_OK(repo.create(gone));
  MES_REQUIRE_OK(repo.remove("Observation", "gone", std::nullopt));

  std::vector<SearchQuery> queries;
  queries.push_back(observations("pat-1"));
  queries.push_back(observations());
  queries.push_back(observations("pat-1"));
  queries.back().tokens.push_back(codeFilter({{kLoinc, kWeight}}));
  queries.push_back(observations());
  queries.back().references.push_back({"device", {"Device/scale"}});
  queries.push_back(observations("pat-1"));
  queries.back().dates.push_back(DateFilter{
      DateFilter::Target::kDate, {{DateBound::Column::kLow, DateBound::Op::kGe, kT0}}, false, {}});
  queries.push_back(observations("pat-1"));
  queries.back().dates.push_back(DateFilter{
      DateFilter::Target::kLastUpdated, {{DateBound::Column::kLow, DateBound::Op::kGe, 0}}, false, {}});
  for (size_t i = 0; i < queries.size(); ++i) {
    BOOST_TEST_CONTEXT("query " << i) {
      Result<SearchPage> page = repo.search(queries[i]);
      MES_REQUIRE_OK(page);
      BOOST_TEST(idsOf(*page) == Ids{"kept"});
      BOOST_TEST(page->total.value_or(-1) == 1);
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(index_rows_are_replaced_on_update, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  WriteRequest first = measure("obs", "pat-1", kT0);
  first.index.references.push_back({"device", "Device/old"});
  MES_REQUIRE_OK(repo.create(first));

  WriteRequest second = measure("obs", "pat-2", kT0 + 5 * kDay, kHeartRate);
  second.index.references.push_back({"device", "Device/new"});
  MES_REQUIRE_OK(repo.update(second));

  SearchQuery oldCode = observations();
  oldCode.tokens.push_back(codeFilter({{std::nullopt, kWeight}}));
  BOOST_TEST(searchIds(repo, oldCode).empty());
  SearchQuery newCode = observations("pat-2");
  newCode.tokens.push_back(codeFilter({{kLoinc, kHeartRate}}));
  BOOST_TEST(searchIds(repo, newCode) == Ids{"obs"});

  BOOST_TEST(searchIds(repo, observations("pat-1")).empty());
  BOOST_TEST(searchIds(repo, observations("pat-2")) == Ids{"obs"});

  SearchQuery oldDevice = observations();
  oldDevice.references.push_back({"device", {"Device/old"}});
  BOOST_TEST(searchIds(repo, oldDevice).empty());
  SearchQuery newDevice = observations();
  newDevice.references.push_back({"device", {"Device/new"}});
  BOOST_TEST(searchIds(repo, newDevice) == Ids{"obs"});

  SearchQuery oldDate = observations("pat-2");
  oldDate.dates.push_back(DateFilter{DateFilter::Target::kDate,
                                     {{DateBound::Column::kLow, DateBound::Op::kLe, kT0 + kDay}},
                                     false, {}});
  BOOST_TEST(searchIds(repo, oldDate).empty());
  oldDate.tokens.push_back(codeFilter({{kLoinc, kHeartRate}}));
  BOOST_TEST(searchIds(repo, oldDate).empty());
}

// --- transactions -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(a_failing_operation_rolls_back_the_whole_transaction, Store,
                              RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("existing", "pat-1", kT0)));

  Status failed = repo.transaction([&](Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(tx.create(measure("first", "pat-1", kT0)));
    MES_RETURN_IF_ERROR(tx.update(measure("existing", "pat-1", kT0, kHeartRate)));
    MES_RETURN_IF_ERROR(tx.create(measure("existing", "pat-1", kT0)));  // conflict
    return Status::ok();
  });
  checkError(failed, ErrorKind::kConflict, "already-exists");
  checkError(repo.read("Observation", "first"), ErrorKind::kNotFound, "not-found");
  BOOST_TEST(repo.read("Observation", "existing")->versionId == 1);
  BOOST_TEST(searchIds(repo, observations("pat-1")) == Ids{"existing"});

  // A callback that returns an error of its own rolls back too.
  Status refused = repo.transaction([&](Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(tx.create(measure("second", "pat-1", kT0)));
    return Error::make(ErrorKind::kForbidden, "consent-missing", "No consent.");
  });
  checkError(refused, ErrorKind::kForbidden, "consent-missing");
  checkError(repo.read("Observation", "second"), ErrorKind::kNotFound, "not-found");

  // A successful transaction commits every operation.
  Status ok = repo.transaction([&](Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(tx.create(measure("third", "pat-1", kT0)));
    MES_RETURN_IF_ERROR(tx.remove("Observation", "existing", std::nullopt));
    return Status::ok();
  });
  MES_REQUIRE_OK(ok);
  BOOST_TEST(searchIds(repo, observations("pat-1")) == Ids{"third"});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_render_error_aborts_the_write, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  auto failingRender = [](int64_t, int64_t) -> Result<std::string> {
    return Error::make(ErrorKind::kUnprocessable, "render-failed", "Cannot render.");
  };

  // Propagated: nothing from the first operation remains.
  Status propagated = repo.transaction([&](Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(tx.create(measure("first", "pat-1", kT0)));
    WriteRequest bad = measure("bad", "pat-1", kT0);
    bad.render = failingRender;
    MES_RETURN_IF_ERROR(tx.create(bad));
    return Status::ok();
  });
  checkError(propagated, ErrorKind::kUnprocessable, "render-failed");
  checkError(repo.read("Observation", "first"), ErrorKind::kNotFound, "not-found");
  checkError(repo.read("Observation", "bad"), ErrorKind::kNotFound, "not-found");

  // Single operations: no version, no index rows.
  WriteRequest bad = measure("bad", "pat-1", kT0);
  bad.render = failingRender;
  checkError(repo.create(bad), ErrorKind::kUnprocessable, "render-failed");
  checkError(repo.update(bad), ErrorKind::kUnprocessable, "render-failed");
  checkError(repo.history("Observation", "bad"), ErrorKind::kNotFound, "not-found");
  MES_REQUIRE_OK(repo.create(measure("kept", "pat-1", kT0)));
  WriteRequest badUpdate = measure("kept", "pat-1", kT0, kHeartRate);
  badUpdate.render = failingRender;
  checkError(repo.update(badUpdate), ErrorKind::kUnprocessable, "render-failed");
  BOOST_TEST(repo.history("Observation", "kept")->size() == 1u);
  SearchQuery heartRate = observations("pat-1");
  heartRate.tokens.push_back(codeFilter({{kLoinc, kHeartRate}}));
  BOOST_TEST(searchIds(repo, heartRate).empty());

  // Not propagated: the failed write left nothing, the other one commits.
  Status ignored = repo.transaction([&](Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(tx.create(measure("second", "pat-1", kT0)));
    WriteRequest again = measure("bad", "pat-1", kT0);
    again.render = failingRender;
    BOOST_TEST(!tx.create(again).isOk());
    return Status::ok();
  });
  MES_REQUIRE_OK(ignored);
  MES_REQUIRE_OK(repo.read("Observation", "second"));
  checkError(repo.read("Observation", "bad"), ErrorKind::kNotFound, "not-found");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_exception_in_the_callback_rolls_back_and_propagates, Store,
                              RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  auto throwing = [&](Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(tx.create(measure("first", "pat-1", kT0)));
    throw std::runtime_error("handler bug");
  };
  BOOST_CHECK_THROW((void)repo.transaction(throwing), std::runtime_error);
  checkError(repo.read("Observation", "first"), ErrorKind::kNotFound, "not-found");

  // Thrown by a Render callback: same.
  WriteRequest throwingRender = measure("second", "pat-1", kT0);
  throwingRender.render = [](int64_t, int64_t) -> Result<std::string> {
    throw std::runtime_error("render bug");
  };
  BOOST_CHECK_THROW((void)repo.create(throwingRender), std::runtime_error);
  checkError(repo.read("Observation", "second"), ErrorKind::kNotFound, "not-found");

  // The store is still usable.
  MES_REQUIRE_OK(repo.create(measure("after", "pat-1", kT0)));
  BOOST_TEST(searchIds(repo, observations("pat-1")) == Ids{"after"});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(reads_inside_a_transaction_see_its_own_writes, Store,
                              RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("before", "pat-1", kT0)));

  Status status = repo.transaction([&](Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(tx.create(measure("inside", "pat-1", kT0 + kDay)));
    Result<ResourceRecord> read = tx.read("Observation", "inside");
    if (!read) return read.takeError();
    BOOST_TEST(read->versionId == 1);
    BOOST_TEST(!read->deleted);

    MES_RETURN_IF_ERROR(tx.update(measure("before", "pat-1", kT0, kHeartRate)));
    BOOST_TEST(tx.read("Observation", "before")->versionId == 2);

    SearchQuery query = observations("pat-1");
    Result<SearchPage> page = tx.search(query);
    if (!page) return page.takeError();
    BOOST_TEST(idsOf(*page) == (Ids{"inside", "before"}));
    BOOST_TEST(page->total.value_or(-1) == 2);
    query.tokens.push_back(codeFilter({{kLoinc, kWeight}}));
    BOOST_TEST(idsOf(*tx.search(query)) == Ids{"inside"});

    MES_RETURN_IF_ERROR(tx.remove("Observation", "inside", 1));
    BOOST_TEST(tx.read("Observation", "inside")->deleted);
    BOOST_TEST(idsOf(*tx.search(observations("pat-1"))) == Ids{"before"});
    checkError(tx.read("Observation", "never"), ErrorKind::kNotFound, "not-found");

    // Committed state, as seen outside the transaction, is unchanged so far.
    BOOST_TEST(repo.read("Observation", "before")->versionId == 1);
    checkError(repo.read("Observation", "inside"), ErrorKind::kNotFound, "not-found");
    return Status::ok();
  });
  MES_REQUIRE_OK(status);
  BOOST_TEST(repo.read("Observation", "before")->versionId == 2);
  checkError(repo.read("Observation", "inside"), ErrorKind::kGone, "deleted");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(reads_do_not_wait_for_a_write_in_progress, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("committed", "pat-1", kT0)));

  bool readFinished = false;
  Status status = repo.transaction([&](Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(tx.create(measure("pending", "pat-1", kT0)));
    auto reader = std::async(std::launch::async, [&repo] {
      Result<ResourceRecord> r = repo.read("Observation", "committed");
      Result<SearchPage> page = repo.search(observations("pat-1"));
      return r.isOk() && page.isOk() && page->records.size() == 1;
    });
    readFinished =
        reader.wait_for(std::chrono::seconds(10)) == std::future_status::ready && reader.get();
    return Status::ok();
  });
  MES_REQUIRE_OK(status);
  BOOST_TEST(readFinished);
}

// --- concurrency and time -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_writers_lose_nothing, Store, RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&repo, &failures, t] {
      const std::string patient = "pat-" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!repo.create(measure(id, patient, kT0 + i)).isOk()) ++failures;
        if (i % 50 == 0 && !repo.search(observations(patient)).isOk()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);

  SearchQuery all = observations();
  all.count = 0;
  Result<SearchPage> page = repo.search(all);
  MES_REQUIRE_OK(page);
  BOOST_TEST(page->total.value_or(-1) == kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    SearchQuery mine = observations("pat-" + std::to_string(t));
    mine.count = 0;
    mine.tokens.push_back(codeFilter({{kLoinc, kWeight}}));
    BOOST_TEST(repo.search(mine)->total.value_or(-1) == kPerThread);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_if_match_updates_have_one_winner_per_version, Store,
                              RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  MES_REQUIRE_OK(repo.create(measure("shared", "pat-1", kT0)));
  constexpr int kThreads = 4;
  constexpr int kAttempts = 60;
  struct Outcome {
    std::vector<int64_t> won;  // versions this thread created
    int conflicts = 0;
    int other = 0;
  };
  std::vector<Outcome> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&repo, &outcome = outcomes[t]] {
      for (int i = 0; i < kAttempts; ++i) {
        Result<ResourceRecord> current = repo.read("Observation", "shared");
        if (!current) {
          ++outcome.other;
          continue;
        }
        WriteRequest request = measure("shared", "pat-1", kT0);
        request.ifMatch = current->versionId;
        Result<ResourceRecord> updated = repo.update(request);
        if (updated) {
          if (updated->versionId == current->versionId + 1) {
            outcome.won.push_back(updated->versionId);
          } else {
            ++outcome.other;
          }
        } else if (updated.error().kind == ErrorKind::kPreconditionFailed) {
          ++outcome.conflicts;
        } else {
          ++outcome.other;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  std::set<int64_t> versions;
  size_t wins = 0;
  int conflicts = 0;
  for (const Outcome& outcome : outcomes) {
    BOOST_TEST(outcome.other == 0);
    wins += outcome.won.size();
    conflicts += outcome.conflicts;
    versions.insert(outcome.won.begin(), outcome.won.end());
  }
  BOOST_TEST(versions.size() == wins);  // no version won twice
  BOOST_TEST(wins + static_cast<size_t>(conflicts) == static_cast<size_t>(kThreads * kAttempts));
  Result<ResourceRecord> last = repo.read("Observation", "shared");
  MES_REQUIRE_OK(last);
  BOOST_TEST(last->versionId == static_cast<int64_t>(wins) + 1);
  BOOST_REQUIRE(!versions.empty());
  BOOST_TEST(*versions.begin() == 2);
  BOOST_TEST(*versions.rbegin() == last->versionId);
  BOOST_TEST(repo.history("Observation", "shared")->size() == wins + 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(last_updated_increases_even_when_the_clock_does_not, Store,
                              RepositoryStores) {
  Store store;
  store.clock().set(kT0);
  Repository& repo = store.repository();
  std::vector<int64_t> stamps;
  stamps.push_back(repo.create(measure("obs", "pat-1", kT0))->lastUpdatedMs);
  stamps.push_back(repo.update(measure("obs", "pat-1", kT0))->lastUpdatedMs);
  stamps.push_back(repo.update(measure("obs", "pat-1", kT0))->lastUpdatedMs);
  store.clock().set(kT0 - 60'000);  // the clock steps back
  stamps.push_back(repo.update(measure("obs", "pat-1", kT0))->lastUpdatedMs);
  stamps.push_back(repo.remove("Observation", "obs", std::nullopt)->lastUpdatedMs);
  stamps.push_back(repo.update(measure("obs", "pat-1", kT0))->lastUpdatedMs);
  BOOST_TEST(stamps == (std::vector<int64_t>{kT0, kT0 + 1, kT0 + 2, kT0 + 3, kT0 + 4, kT0 + 5}));

  // The rendered JSON and the history carry the same timestamps.
  Result<std::vector<ResourceRecord>> history = repo.history("Observation", "obs");
  MES_REQUIRE_OK(history);
  BOOST_REQUIRE_EQUAL(history->size(), stamps.size());
  for (size_t i = 0; i < stamps.size(); ++i) {
    const ResourceRecord& record = (*history)[stamps.size() - 1 - i];
    BOOST_TEST(record.lastUpdatedMs == stamps[i]);
    if (!record.deleted) {
      BOOST_TEST(record.content ==
                 jsonOf("Observation", "obs", record.versionId, stamps[i], "\"code\":\"29463-7\""));
    }
  }
  // Another resource is not affected by this one's history.
  BOOST_TEST(repo.create(measure("other", "pat-1", kT0))->lastUpdatedMs == kT0 - 60'000);

  // Several writes of one resource inside one transaction also increase.
  store.clock().set(kT0 + 1000);
  Status status = repo.transaction([&](Transaction& tx) -> Status {
    Result<ResourceRecord> a = tx.update(measure("other", "pat-1", kT0));
    Result<ResourceRecord> b = tx.update(measure("other", "pat-1", kT0));
    if (!a) return a.takeError();
    if (!b) return b.takeError();
    BOOST_TEST(a->lastUpdatedMs == kT0 + 1000);
    BOOST_TEST(b->lastUpdatedMs == kT0 + 1001);
    BOOST_TEST(b->versionId == 3);
    return Status::ok();
  });
  MES_REQUIRE_OK(status);
}

#undef MES_REQUIRE_OK

BOOST_AUTO_TEST_SUITE_END()

#undef MES_REPOSITORY_SUITE_NAME
#undef MES_REPOSITORY_SUITE_STORES
