#include "oauth/api_access.h"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace mes::oauth;
namespace bdata = boost::unit_test::data;

namespace {

ScopeSet scopes(const std::string& text) {
  auto parsed = ScopeSet::parse(text);
  if (!parsed.isOk()) throw std::runtime_error("bad test scope: " + text);
  return std::move(parsed).value();
}

// "a,b" → the families with those ids ("" → none).
std::vector<const ApiAccess*> families(const std::string& ids) {
  std::vector<const ApiAccess*> out;
  std::stringstream ss(ids);
  for (std::string id; std::getline(ss, id, ',');) {
    const ApiAccess* access = findApiAccess(id);
    if (access == nullptr) throw std::runtime_error("no family " + id);
    out.push_back(access);
  }
  return out;
}

std::string idsOf(const std::vector<const ApiAccess*>& accesses) {
  std::string out;
  for (const ApiAccess* access : accesses) {
    if (!out.empty()) out += ',';
    out += access->id;
  }
  return out;
}

// ---- the table is SPEC §1's, row for row

struct Family {
  const char* id;
  const char* scopes;     // exactly as SPEC writes them
  const char* canonical;  // what they grant
};
std::ostream& operator<<(std::ostream& os, const Family& c) {
  return os << c.id;
}

// clang-format off
const Family kFamilies[] = {
    {"mesures.read", "patient/Observation.rs patient/Device.rs",
     "patient/Device.rs patient/Observation.rs"},
    {"mesures.write", "patient/Observation.cud patient/Device.c",
     "patient/Device.c patient/Observation.cud"},
    {"documents.read", "patient/DocumentReference.rs patient/Binary.r",
     "patient/Binary.r patient/DocumentReference.rs"},
    {"documents.deposit", "patient/DocumentReference.c patient/Binary.c patient/DocumentReference.d",
     "patient/Binary.c patient/DocumentReference.cd"},
    {"agenda.write", "patient/Appointment.cu patient/Appointment.rs",
     "patient/Appointment.crus"},
    {"identity", "openid fhirUser launch/patient", "openid fhirUser launch/patient"},
    {"offline", "offline_access", "offline_access"},
};
// clang-format on

BOOST_DATA_TEST_CASE(api_access_family_matches_spec, bdata::make(kFamilies), c) {
  const ApiAccess* access = findApiAccess(c.id);
  BOOST_TEST_REQUIRE(access != nullptr);
  BOOST_TEST(access->scopes == c.scopes);
  auto parsed = ScopeSet::parse(access->scopes);
  BOOST_TEST_REQUIRE(parsed.isOk());
  BOOST_TEST(parsed->toString() == c.canonical);
  BOOST_TEST(scopesOf({access}).toString() == c.canonical);

  // Texts a patient reads: present, one sentence, French with its accents.
  BOOST_TEST(!access->labelFr.empty());
  BOOST_TEST(!access->labelEn.empty());
  BOOST_TEST(access->descriptionFr.size() > 20U);
  BOOST_TEST(access->descriptionEn.size() > 20U);
  BOOST_TEST(access->descriptionFr.back() == '.');
  BOOST_TEST(access->descriptionEn.back() == '.');
  BOOST_TEST(access->descriptionFr.find("  ") == std::string_view::npos);
}

BOOST_AUTO_TEST_CASE(api_access_table_order_and_coverage) {
  std::vector<std::string> ids;
  for (const ApiAccess& access : mesApiAccesses()) ids.emplace_back(access.id);
  const std::vector<std::string> expected = {
      "mesures.read", "mesures.write", "documents.read", "documents.deposit",
      "agenda.write", "identity",      "offline"};
  BOOST_TEST(ids == expected, boost::test_tools::per_element());

  // Every family together is exactly SPEC's table, identity row included.
  std::vector<const ApiAccess*> all;
  for (const ApiAccess& access : mesApiAccesses()) all.push_back(&access);
  BOOST_TEST(scopesOf(all).toString() ==
             "openid fhirUser launch/patient offline_access patient/Appointment.crus "
             "patient/Binary.cr patient/Device.crs patient/DocumentReference.crds "
             "patient/Observation.cruds");
  BOOST_TEST((scopesOf(families("identity,offline")) ==
              scopes("openid fhirUser launch/patient offline_access")));

  BOOST_TEST(findApiAccess("mesures.read") == &mesApiAccesses().front());
  BOOST_TEST(findApiAccess("mesures") == nullptr);
  BOOST_TEST(findApiAccess("") == nullptr);
  BOOST_TEST(findApiAccess("Mesures.read") == nullptr);
}

BOOST_AUTO_TEST_CASE(api_access_french_texts) {
  // Spot checks that the consent screen speaks proper French (UTF-8 accents, not ASCII stand-ins).
  BOOST_TEST(findApiAccess("mesures.read")->descriptionFr ==
             "Lire vos mesures de santé (poids, tension, glycémie…) et les appareils qui les ont "
             "prises.");
  BOOST_TEST(findApiAccess("documents.deposit")->labelFr == "Déposer des documents");
  BOOST_TEST(findApiAccess("identity")->descriptionFr.find("identité") != std::string_view::npos);
  BOOST_TEST(findApiAccess("offline")->descriptionFr.find(
                 "accès hors ligne, révocable à tout moment") != std::string_view::npos);
  std::set<std::string_view> labels;
  for (const ApiAccess& access : mesApiAccesses()) {
    BOOST_TEST(labels.insert(access.labelFr).second, "two rows titled " << access.labelFr);
  }
}

// ---- which rows the consent screen shows for a request

struct Requested {
  const char* what;
  const char* scope;
  const char* rows;  // family ids, in display order
};
std::ostream& operator<<(std::ostream& os, const Requested& c) {
  return os << c.what;
}

// clang-format off
const Requested kRequested[] = {
    {"nothing", "", ""},
    {"connected scale: writes weights, stays connected",
     "launch/patient offline_access patient/Observation.cud patient/Device.c",
     "mesures.write,offline"},
    {"diary app: reads measures, knows the patient",
     "openid fhirUser launch/patient patient/Observation.rs patient/Device.rs",
     "mesures.read,identity"},
    {"launch/patient alone shows no identity row", "launch/patient patient/Observation.rs",
     "mesures.read"},
    {"only one letter of a family", "patient/Observation.r", "mesures.read"},
    {"Binary alone is a document read", "patient/Binary.r", "documents.read"},
    {"fhirUser alone", "fhirUser", "identity"},
    {"launch/patient only", "launch/patient", ""},
    {"deposit app", "launch/patient patient/DocumentReference.c patient/Binary.c",
     "documents.deposit"},
    {"deposit app with v1 write", "patient/DocumentReference.write patient/Binary.write",
     "documents.deposit"},
    {"booking app", "launch/patient patient/Appointment.cu", "agenda.write"},
    {"booking app reading back", "patient/Appointment.rs", "agenda.write"},
    {"wildcard read touches every family that reads", "patient/*.rs",
     "mesures.read,documents.read,agenda.write"},
    {"v1 wildcard touches every data family", "patient/*.*",
     "mesures.read,mesures.write,documents.read,documents.deposit,agenda.write"},
    {"a type no family holds", "patient/Condition.rs patient/Patient.r", ""},
    {"everything",
     "openid fhirUser launch/patient offline_access patient/Observation.cruds patient/Device.crs "
     "patient/DocumentReference.crds patient/Binary.cr patient/Appointment.crus",
     "mesures.read,mesures.write,documents.read,documents.deposit,agenda.write,identity,offline"},
};
// clang-format on

BOOST_DATA_TEST_CASE(api_access_rows_for_request, bdata::make(kRequested), c) {
  BOOST_TEST(idsOf(accessesRequestedBy(scopes(c.scope))) == c.rows);
}

// ---- scopesOf: union of the ticked rows

struct Ticked {
  const char* ids;
  const char* scope;  // canonical
};
std::ostream& operator<<(std::ostream& os, const Ticked& c) {
  return os << c.ids;
}

// clang-format off
const Ticked kTicked[] = {
    {"", ""},
    {"mesures.read,mesures.write", "patient/Device.crs patient/Observation.cruds"},
    {"documents.read,documents.deposit", "patient/Binary.cr patient/DocumentReference.crds"},
    {"identity,mesures.read", "openid fhirUser launch/patient patient/Device.rs patient/Observation.rs"},
    {"offline,offline", "offline_access"},
};
// clang-format on

BOOST_DATA_TEST_CASE(api_access_scopes_of_ticked, bdata::make(kTicked), c) {
  BOOST_TEST(scopesOf(families(c.ids)).toString() == c.scope);
}

BOOST_AUTO_TEST_CASE(api_access_scopes_of_ignores_null) {
  BOOST_TEST(scopesOf({nullptr, findApiAccess("offline")}).toString() == "offline_access");
}

// ---- grantedScope = requested ∩ allowed by the registry ∩ ticked by the patient

struct Grant {
  const char* what;
  const char* requested;
  const char* allowed;
  const char* ticked;   // family ids
  const char* granted;  // canonical
};
std::ostream& operator<<(std::ostream& os, const Grant& c) {
  return os << c.what;
}

constexpr const char* kReadApp =
    "openid fhirUser launch/patient offline_access patient/Observation.rs patient/Device.rs "
    "patient/DocumentReference.rs patient/Binary.r";
constexpr const char* kMeasureApp =
    "launch/patient offline_access patient/Observation.rs patient/Device.rs "
    "patient/Observation.cud patient/Device.c";
constexpr const char* kEverything =
    "openid fhirUser launch/patient offline_access patient/Observation.cruds patient/Device.crs "
    "patient/DocumentReference.crds patient/Binary.cr patient/Appointment.crus";

// clang-format off
const Grant kGrants[] = {
    {"patient ticks all", kReadApp, kEverything,
     "mesures.read,documents.read,identity,offline",
     "openid fhirUser launch/patient offline_access patient/Binary.r patient/Device.rs "
     "patient/DocumentReference.rs patient/Observation.rs"},
    {"patient unticks documents: documents scopes gone", kReadApp, kEverything,
     "mesures.read,identity,offline",
     "openid fhirUser launch/patient offline_access patient/Device.rs patient/Observation.rs"},
    {"patient unticks offline: no refresh token", kReadApp, kEverything,
     "mesures.read,documents.read,identity",
     "openid fhirUser launch/patient patient/Binary.r patient/Device.rs "
     "patient/DocumentReference.rs patient/Observation.rs"},
    {"registry did not allow write: write gone even if ticked", kMeasureApp,
     "launch/patient offline_access patient/Observation.rs patient/Device.rs",
     "mesures.read,mesures.write,offline",
     "launch/patient offline_access patient/Device.rs patient/Observation.rs"},
    {"registry did not allow openid: identity gone even if ticked", kReadApp,
     "launch/patient patient/Observation.rs patient/Device.rs", "mesures.read,identity",
     "launch/patient patient/Device.rs patient/Observation.rs"},
    {"launch/patient follows the data without an identity row",
     "launch/patient patient/Observation.rs", kEverything, "mesures.read",
     "launch/patient patient/Observation.rs"},
    {"launch/patient not requested: not granted", "patient/Observation.rs", kEverything,
     "mesures.read,identity", "patient/Observation.rs"},
    {"launch/patient not allowed by the registry: not granted",
     "launch/patient patient/Observation.rs", "patient/Observation.rs", "mesures.read",
     "patient/Observation.rs"},
    {"nothing ticked: nothing granted", kReadApp, kEverything, "", ""},
    {"only offline ticked: no data, no patient context", kReadApp, kEverything, "offline",
     "offline_access"},
    {"request narrower than the family", "patient/Observation.r", kEverything, "mesures.read",
     "patient/Observation.r"},
    {"wildcard request narrowed to the ticked families", "patient/*.cruds", kEverything,
     "mesures.read", "patient/Device.rs patient/Observation.rs"},
    {"a type no family holds is never granted", "patient/Condition.rs patient/Observation.rs",
     "patient/*.cruds", "mesures.read", "patient/Observation.rs"},
    {"agenda: create and update, read back only if asked", "launch/patient patient/Appointment.cu",
     kEverything, "agenda.write", "launch/patient patient/Appointment.cu"},
    {"deposit: delete of own documents comes with the row",
     "patient/DocumentReference.cd patient/Binary.c", kEverything, "documents.deposit",
     "patient/Binary.c patient/DocumentReference.cd"},
};
// clang-format on

BOOST_DATA_TEST_CASE(api_access_granted_scope, bdata::make(kGrants), c) {
  const ScopeSet requested = scopes(c.requested);
  const ScopeSet allowed = scopes(c.allowed);
  const ScopeSet granted = grantedScope(requested, allowed, scopesOf(families(c.ticked)));
  BOOST_TEST(granted.toString() == c.granted);
  BOOST_TEST(granted.isSubsetOf(requested));
  BOOST_TEST(granted.isSubsetOf(allowed));
}

}  // namespace
