#include "oauth/scope.h"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

using mes::ErrorKind;
using namespace mes::oauth;
namespace bdata = boost::unit_test::data;

namespace {

ScopeSet scopes(const std::string& text) {
  auto parsed = ScopeSet::parse(text);
  if (!parsed.isOk()) throw std::runtime_error("bad test scope: " + text);
  return std::move(parsed).value();
}

// ---- valid scope strings and their canonical form

struct Valid {
  const char* input;
  const char* canonical;
};
std::ostream& operator<<(std::ostream& os, const Valid& c) {
  return os << '"' << c.input << '"';
}

// clang-format off
const Valid kValid[] = {
    {"", ""},
    {"    ", ""},
    {"openid", "openid"},
    {"offline_access launch/patient fhirUser openid", "openid fhirUser launch/patient offline_access"},
    {"openid openid", "openid"},
    {"patient/Observation.rs", "patient/Observation.rs"},
    {"patient/Observation.c", "patient/Observation.c"},
    {"patient/Observation.r", "patient/Observation.r"},
    {"patient/Observation.u", "patient/Observation.u"},
    {"patient/Observation.d", "patient/Observation.d"},
    {"patient/Observation.s", "patient/Observation.s"},
    {"patient/Observation.crs", "patient/Observation.crs"},
    {"patient/Observation.ud", "patient/Observation.ud"},
    {"patient/Observation.cruds", "patient/Observation.cruds"},
    {"patient/Observation.read", "patient/Observation.rs"},
    {"patient/Observation.write", "patient/Observation.cud"},
    {"patient/Observation.*", "patient/Observation.cruds"},
    {"patient/*.read", "patient/*.rs"},
    {"patient/*.cruds", "patient/*.cruds"},
    // merging per type, v1 and v2 alike
    {"patient/Observation.rs patient/Observation.cud", "patient/Observation.cruds"},
    {"patient/Observation.read patient/Observation.cud", "patient/Observation.cruds"},
    {"patient/Observation.r patient/Observation.s", "patient/Observation.rs"},
    {"patient/Observation.rs patient/Observation.rs", "patient/Observation.rs"},
    // a concrete type never repeats what "*" grants
    {"patient/*.rs patient/Observation.rs", "patient/*.rs"},
    {"patient/Observation.cruds patient/*.rs", "patient/*.rs patient/Observation.cud"},
    // spaces tolerated, types sorted, identity first
    {"  patient/Observation.r    patient/Device.s  ", "patient/Device.s patient/Observation.r"},
    {"patient/DocumentReference.rs openid patient/Binary.r",
     "openid patient/Binary.r patient/DocumentReference.rs"},
    // a realistic connected-scale request
    {"launch/patient openid fhirUser offline_access patient/Observation.cud patient/Device.c "
     "patient/Observation.rs patient/Device.rs",
     "openid fhirUser launch/patient offline_access patient/Device.crs patient/Observation.cruds"},
};
// clang-format on

BOOST_DATA_TEST_CASE(scope_parse_valid, bdata::make(kValid), c) {
  auto parsed = ScopeSet::parse(c.input);
  if (!parsed.isOk()) {
    BOOST_FAIL("refused: " << parsed.error().problems.front().message);
  }
  BOOST_TEST(parsed->toString() == c.canonical);
  // parse ∘ toString round-trips, and the canonical form is a fixed point.
  auto again = ScopeSet::parse(parsed->toString());
  BOOST_TEST_REQUIRE(again.isOk());
  BOOST_TEST((*again == *parsed));
  BOOST_TEST(again->toString() == c.canonical);
  BOOST_TEST(parsed->empty() == (std::string(c.canonical).empty()));
  for (const ResourceScope& r : *parsed) {
    BOOST_TEST(r.compartment == "patient");
    BOOST_TEST(r.permissions != 0);
  }
}

// ---- invalid scope strings

struct Invalid {
  const char* input;
  const char* mention;  // part of the first problem's message
  size_t problems;      // how many problems are reported
};
std::ostream& operator<<(std::ostream& os, const Invalid& c) {
  return os << '"' << c.input << '"';
}

// clang-format off
const Invalid kInvalid[] = {
    // letters: a subset of c r u d s, in that order, each once, at least one
    {"patient/Observation.sr", "in that order", 1},
    {"patient/Observation.rr", "in that order", 1},
    {"patient/Observation.dc", "in that order", 1},
    {"patient/Observation.", "in that order", 1},
    {"patient/Observation.x", "in that order", 1},
    {"patient/Observation.rsx", "in that order", 1},
    {"patient/Observation.READ", "in that order", 1},
    {"patient/Observation.Read", "in that order", 1},
    {"patient/Observation.rs.rs", "FHIR resource type", 1},
    // the resource type
    {"patient/Observation", "patient/<ResourceType>.<permissions>", 1},
    {"patient/observation.rs", "FHIR resource type", 1},
    {"patient/O.rs", "FHIR resource type", 1},
    {"patient/Obs3rvation.rs", "FHIR resource type", 1},
    {"patient/.rs", "FHIR resource type", 1},
    {"patient/**.rs", "FHIR resource type", 1},
    // compartments other than patient
    {"user/Observation.rs", "one patient only", 1},
    {"system/*.rs", "one patient only", 1},
    {"Patient/Observation.rs", "'Patient/Observation.rs' is unknown", 1},
    {"group/Observation.rs", "is unknown", 1},
    // launch: standalone only
    {"launch", "standalone launch only", 1},
    {"launch/encounter", "only launch context offered is launch/patient", 1},
    {"launch/Patient", "only launch context offered is launch/patient", 1},
    // other identity-like scopes
    {"profile", "fhirUser", 1},
    {"online_access", "offline_access", 1},
    {"OPENID", "'OPENID' is unknown", 1},
    {"email", "'email' is unknown", 1},
    // SMART v2 finer-grained scopes
    {"patient/Observation.rs?category=vital-signs", "query parameters are not supported", 1},
    {"patient/Observation.rs?", "query parameters are not supported", 1},
    // characters outside RFC 6749's scope-token
    {"openid\tfhirUser", "characters not allowed", 1},
    {"patient/Observati\xc3\xb3n.rs", "characters not allowed", 1},
    {"\"openid\"", "characters not allowed", 1},
    // every bad token is reported, the good ones do not save the request
    {"openid patient/Observation.rs foo", "'foo' is unknown", 1},
    {"foo patient/Observation.sr user/Patient.r", "'foo' is unknown", 3},
    {"foo foo", "'foo' is unknown", 1},
};
// clang-format on

BOOST_DATA_TEST_CASE(scope_parse_invalid, bdata::make(kInvalid), c) {
  auto parsed = ScopeSet::parse(c.input);
  if (parsed.isOk()) {
    BOOST_FAIL("accepted as '" << parsed->toString() << "'");
  }
  const mes::Error& error = parsed.error();
  BOOST_TEST((error.kind == ErrorKind::kInvalid));
  BOOST_TEST(error.code() == "invalid-scope");
  BOOST_TEST(error.problems.size() == c.problems);
  for (const mes::Problem& p : error.problems) BOOST_TEST(p.code == "invalid-scope");
  BOOST_TEST(error.problems.front().message.find(c.mention) != std::string::npos,
             "message: " << error.problems.front().message);
}

BOOST_AUTO_TEST_CASE(scope_parse_bounds_length_and_quotes_safely) {
  const std::string tooLong(kMaxScopeParameterLength + 1, 'a');
  auto parsed = ScopeSet::parse(tooLong);
  BOOST_TEST_REQUIRE(!parsed.isOk());
  BOOST_TEST(parsed.error().code() == "invalid-scope");
  BOOST_TEST(parsed.error().problems.size() == 1U);
  BOOST_TEST(parsed.error().problems.front().message.find("longer than 2048") != std::string::npos);

  // At the limit, spaces only: accepted, empty.
  auto spaces = ScopeSet::parse(std::string(kMaxScopeParameterLength, ' '));
  BOOST_TEST_REQUIRE(spaces.isOk());
  BOOST_TEST(spaces->empty());

  // A control character is not echoed; a long token is cut in the message.
  auto control = ScopeSet::parse(std::string("open\x01id"));
  BOOST_TEST_REQUIRE(!control.isOk());
  BOOST_TEST(control.error().problems.front().message.find("'open?id'") != std::string::npos);
  auto longToken = ScopeSet::parse(std::string(500, 'x'));
  BOOST_TEST_REQUIRE(!longToken.isOk());
  const std::string& message = longToken.error().problems.front().message;
  BOOST_TEST(message.find(std::string(80, 'x') + "...'") != std::string::npos);
  BOOST_TEST(message.size() < 200U);
}

// ---- SMART v1 and v2 spellings of the same access

struct Equivalent {
  const char* v1;
  const char* v2;
};
std::ostream& operator<<(std::ostream& os, const Equivalent& c) {
  return os << c.v1;
}

const Equivalent kEquivalent[] = {
    {"patient/Observation.read", "patient/Observation.rs"},
    {"patient/Observation.write", "patient/Observation.cud"},
    {"patient/Observation.*", "patient/Observation.cruds"},
    {"patient/Observation.read patient/Observation.write", "patient/Observation.cruds"},
    {"patient/*.read", "patient/*.rs"},
    {"patient/*.*", "patient/*.cruds"},
    {"patient/Device.write patient/Device.rs", "patient/Device.cruds"},
};

BOOST_DATA_TEST_CASE(scope_v1_equals_v2, bdata::make(kEquivalent), c) {
  BOOST_TEST((scopes(c.v1) == scopes(c.v2)));
  BOOST_TEST(scopes(c.v1).toString() == c.v2);
}

// ---- permits: every interaction × every letter

struct InteractionLetter {
  const char* interaction;
  char letter;  // the letter the interaction needs
};
std::ostream& operator<<(std::ostream& os, const InteractionLetter& c) {
  return os << c.interaction;
}

const InteractionLetter kInteractions[] = {
    {"read", 'r'},   {"vread", 'r'},  {"history", 'r'}, {"search", 's'},
    {"create", 'c'}, {"update", 'u'}, {"delete", 'd'},
};
const std::vector<char> kLetterList = {'c', 'r', 'u', 'd', 's'};

BOOST_DATA_TEST_CASE(scope_permits_interaction_by_letter,
                     bdata::make(kInteractions) * bdata::make(kLetterList), c, letter) {
  const auto permission = ScopeSet::permissionFor(c.interaction);
  BOOST_TEST_REQUIRE(permission.has_value());
  BOOST_TEST(permissionLetters(*permission) == std::string(1, c.letter));

  const bool expected = letter == c.letter;
  const ScopeSet concrete = scopes(std::string("patient/Observation.") + letter);
  BOOST_TEST(concrete.permits("Observation", *permission) == expected);
  BOOST_TEST(!concrete.permits("Device", *permission));  // another type: never
  const ScopeSet wildcard = scopes(std::string("patient/*.") + letter);
  BOOST_TEST(wildcard.permits("Observation", *permission) == expected);
  BOOST_TEST(wildcard.permits("Appointment", *permission) == expected);
  // All letters but this one: only interactions needing another letter pass.
  std::string others;
  for (const char l : kLetterList) {
    if (l != letter) others += l;
  }
  BOOST_TEST(scopes("patient/Observation." + others).permits("Observation", *permission) ==
             !expected);
}

BOOST_AUTO_TEST_CASE(scope_permission_for_other_interactions) {
  BOOST_TEST(!ScopeSet::permissionFor("transaction").has_value());
  BOOST_TEST(!ScopeSet::permissionFor("public").has_value());
  BOOST_TEST(!ScopeSet::permissionFor("").has_value());
  BOOST_TEST(!ScopeSet::permissionFor("READ").has_value());
  BOOST_TEST(!ScopeSet::permissionFor("patch").has_value());
}

BOOST_AUTO_TEST_CASE(scope_permits_and_permissions_for) {
  const ScopeSet set = scopes("openid patient/*.r patient/Observation.cud patient/Device.s");
  BOOST_TEST(set.permissionsFor("Observation") == (kCreate | kRead | kUpdate | kDelete));
  BOOST_TEST(set.permissionsFor("Device") == (kRead | kSearch));
  BOOST_TEST(set.permissionsFor("Binary") == kRead);
  BOOST_TEST(set.permissionsFor("*") == kRead);
  BOOST_TEST(!set.permits("Observation", kSearch));
  BOOST_TEST(set.permits("Device", kSearch));
  BOOST_TEST(set.permits("*", kRead));
  BOOST_TEST(!set.permits("*", kCreate));
  BOOST_TEST(!set.permits("Observation", static_cast<Permission>(0)));
  BOOST_TEST(!scopes("openid patient/Observation.rs").permits("openid", kRead));
  BOOST_TEST(!ScopeSet().permits("Observation", kRead));
}

BOOST_AUTO_TEST_CASE(scope_identity_and_iteration) {
  const ScopeSet set =
      scopes("offline_access patient/Observation.rs openid patient/Device.c patient/*.s");
  BOOST_TEST(set.has("openid"));
  BOOST_TEST(set.has("offline_access"));
  BOOST_TEST(!set.has("fhirUser"));
  BOOST_TEST(!set.has("launch/patient"));
  BOOST_TEST(!set.has("launch"));
  BOOST_TEST(!set.has("patient/Observation.rs"));
  BOOST_TEST(!set.empty());
  BOOST_TEST(set.hasResourceScopes());

  std::vector<std::string> seen;
  for (const ResourceScope& r : set) {
    seen.push_back(r.compartment + "/" + r.resourceType + "." + permissionLetters(r.permissions));
  }
  const std::vector<std::string> expected = {"patient/*.s", "patient/Device.c",
                                             "patient/Observation.r"};
  BOOST_TEST(seen == expected, boost::test_tools::per_element());
  BOOST_TEST(set.resourceScopes().size() == 3U);

  const ScopeSet identityOnly = scopes("openid");
  BOOST_TEST(!identityOnly.empty());
  BOOST_TEST(!identityOnly.hasResourceScopes());
  BOOST_TEST(ScopeSet().empty());
  BOOST_TEST(ScopeSet().toString().empty());
}

BOOST_AUTO_TEST_CASE(scope_permission_letters) {
  BOOST_TEST(permissionLetters(0) == "");
  BOOST_TEST(permissionLetters(kAllPermissions) == "cruds");
  BOOST_TEST(permissionLetters(kSearch | kCreate) == "cs");
  BOOST_TEST(permissionLetters(kDelete | kUpdate | kRead) == "rud");
}

// ---- intersect

struct SetPair {
  const char* a;
  const char* b;
  const char* expected;  // canonical form
};
std::ostream& operator<<(std::ostream& os, const SetPair& c) {
  return os << '"' << c.a << "\" / \"" << c.b << '"';
}

// clang-format off
const SetPair kIntersect[] = {
    {"", "patient/*.cruds openid", ""},
    {"patient/Observation.cruds", "patient/Observation.rs", "patient/Observation.rs"},
    {"patient/Observation.rs", "patient/Observation.cud", ""},
    {"patient/Observation.rs", "patient/Device.rs", ""},
    {"patient/Observation.crs patient/Device.rs", "patient/Observation.rs patient/Device.c",
     "patient/Observation.rs"},
    // "*" meets a concrete type as that type's letters
    {"patient/*.rs", "patient/Observation.cruds patient/Device.c", "patient/Observation.rs"},
    {"patient/*.cruds", "patient/Observation.rs patient/Device.c",
     "patient/Device.c patient/Observation.rs"},
    {"patient/*.rs", "patient/*.r", "patient/*.r"},
    {"patient/*.rs patient/Observation.c", "patient/*.cr", "patient/*.r patient/Observation.c"},
    {"patient/*.r patient/Observation.s", "patient/*.s patient/Observation.r",
     "patient/Observation.rs"},
    // identity scopes: those in both
    {"openid fhirUser", "openid offline_access", "openid"},
    {"launch/patient offline_access patient/Observation.rs",
     "launch/patient patient/Observation.r", "launch/patient patient/Observation.r"},
};
// clang-format on

BOOST_DATA_TEST_CASE(scope_intersect, bdata::make(kIntersect), c) {
  const ScopeSet a = scopes(c.a);
  const ScopeSet b = scopes(c.b);
  BOOST_TEST(a.intersect(b).toString() == c.expected);
  BOOST_TEST(b.intersect(a).toString() == c.expected);  // symmetric
  BOOST_TEST(a.intersect(b).isSubsetOf(a));
  BOOST_TEST(a.intersect(b).isSubsetOf(b));
  BOOST_TEST((a.intersect(a) == a));
}

// ---- union

// clang-format off
const SetPair kUnion[] = {
    {"", "", ""},
    {"openid", "patient/Observation.rs", "openid patient/Observation.rs"},
    {"patient/Observation.rs", "patient/Observation.cud", "patient/Observation.cruds"},
    {"patient/Observation.cud patient/Device.r", "patient/*.rs",
     "patient/*.rs patient/Observation.cud"},
    {"offline_access", "launch/patient openid", "openid launch/patient offline_access"},
};
// clang-format on

BOOST_DATA_TEST_CASE(scope_union, bdata::make(kUnion), c) {
  const ScopeSet a = scopes(c.a);
  const ScopeSet b = scopes(c.b);
  BOOST_TEST(a.unionWith(b).toString() == c.expected);
  BOOST_TEST(b.unionWith(a).toString() == c.expected);
  BOOST_TEST(a.isSubsetOf(a.unionWith(b)));
  BOOST_TEST(b.isSubsetOf(a.unionWith(b)));
}

// ---- isSubsetOf

struct Subset {
  const char* a;
  const char* b;
  bool subset;  // a ⊆ b
};
std::ostream& operator<<(std::ostream& os, const Subset& c) {
  return os << '"' << c.a << "\" ⊆ \"" << c.b << '"';
}

// clang-format off
const Subset kSubset[] = {
    {"", "", true},
    {"", "openid patient/Observation.r", true},
    {"openid", "", false},
    {"patient/Observation.r", "patient/Observation.rs", true},
    {"patient/Observation.rs", "patient/Observation.r", false},
    {"patient/Observation.rs", "patient/Observation.read", true},
    {"patient/Device.r", "patient/Observation.rs", false},
    {"patient/Observation.rs", "patient/*.rs", true},
    {"patient/Observation.crs", "patient/*.rs patient/Observation.c", true},
    {"patient/*.rs", "patient/Observation.rs", false},
    {"patient/*.r", "patient/*.rs", true},
    {"patient/*.rs", "patient/*.r patient/Observation.s", false},
    {"openid", "patient/*.cruds", false},
    {"offline_access patient/Observation.r", "openid offline_access patient/Observation.rs", true},
    {"fhirUser", "openid", false},
};
// clang-format on

BOOST_DATA_TEST_CASE(scope_is_subset_of, bdata::make(kSubset), c) {
  BOOST_TEST(scopes(c.a).isSubsetOf(scopes(c.b)) == c.subset);
}

// ---- refresh: may narrow the pairing's scope, never widen it

struct Refresh {
  const char* asked;
  bool allowed;
};
std::ostream& operator<<(std::ostream& os, const Refresh& c) {
  return os << '"' << c.asked << '"';
}

constexpr const char* kPairingGrant =
    "openid fhirUser launch/patient offline_access patient/Observation.rs patient/Observation.cud "
    "patient/Device.rs patient/Device.c";

// clang-format off
const Refresh kRefresh[] = {
    {kPairingGrant, true},                                      // same scope again
    {"patient/Observation.cruds patient/Device.crs", true},     // same letters, merged spelling
    {"patient/Observation.rs", true},                           // read only from now on
    {"offline_access patient/Observation.read", true},          // v1 spelling of a subset
    {"launch/patient patient/Device.c", true},
    {"patient/Observation.rs patient/DocumentReference.rs", false},  // a new type
    {"patient/*.rs", false},                                    // every type
    {"patient/Device.cruds", false},                            // Device.u, Device.d were not granted
    {"openid fhirUser launch/patient offline_access patient/Observation.cruds patient/Device.crs "
     "patient/Appointment.r", false},
};
// clang-format on

BOOST_DATA_TEST_CASE(scope_refresh_narrows_never_widens, bdata::make(kRefresh), c) {
  BOOST_TEST(scopes(c.asked).isSubsetOf(scopes(kPairingGrant)) == c.allowed);
}

}  // namespace
