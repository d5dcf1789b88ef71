// What an editor may write about a service (gateway/registry/service_draft.h): the redirect URI
// rules as a table, every field's check with its JSON location, and what submission needs.
#include "gateway/registry/service_draft.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <string>

using namespace mes::gateway::registry;
namespace bdata = boost::unit_test::data;

namespace {

struct UriCase {
  const char* uri;
  bool accepted;
};
std::ostream& operator<<(std::ostream& os, const UriCase& c) {
  return os << c.uri;
}

const UriCase kUris[] = {
    {"https://tensio.example/callback", true},
    {"https://tensio.example:8443/cb?app=1", true},
    {"http://127.0.0.1:8765/callback", true},
    {"http://localhost/cb", true},
    {"http://[::1]:9000/cb", true},
    {"com.tensio.app:/oauth2redirect", true},
    {"fr.tensio.carnet://callback", true},
    {"http://tensio.example/callback", false},  // http off the loopback
    {"http://127.0.0.1.evil.example/cb", false},
    {"https://tensio.example/cb#frag", false},
    {"https://*.tensio.example/cb", false},
    {"https:///cb", false},
    {"https://user@tensio.example/cb", false},
    {"tensio:/cb", false},  // custom scheme not in reverse-DNS form
    {"/callback", false},
    {"https://tensio.example/a b", false},
    {"", false},
};

ServiceDraft complete() {
  ServiceDraft d;
  d.name = "Tensio+";
  d.description = "Carnet de tension artérielle relié au tensiomètre Tensio.";
  d.category = "measures";
  d.website = "https://tensio.example";
  d.contact = "dpo@tensio.example";
  d.clientType = "public";
  d.redirectUris = {"https://tensio.example/callback", "com.tensio.app:/cb"};
  d.requestedAccesses = {"mesures.read", "mesures.write"};
  return d;
}

std::string problems(const mes::Status& s) {
  if (s.isOk()) return "";
  std::string out;
  for (const auto& p : s.error().problems)
    out += (out.empty() ? "" : " ") + p.code + "@" + p.expression;
  return out;
}

constexpr const char* kEcKey =
    R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","use":"sig"}]})";

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_service_draft)

BOOST_DATA_TEST_CASE(redirect_uri_table, bdata::make(kUris), c) {
  BOOST_TEST(redirectUriProblem(c.uri).empty() == c.accepted, redirectUriProblem(c.uri));
}

BOOST_AUTO_TEST_CASE(a_complete_draft_passes_both_checks) {
  BOOST_TEST(checkServiceDraft(complete()).isOk(), problems(checkServiceDraft(complete())));
  BOOST_TEST(checkSubmittable(complete()).isOk());
}

BOOST_AUTO_TEST_CASE(every_field_is_checked_and_located) {
  ServiceDraft d = complete();
  d.name = "X";
  d.description = "Trop court.";
  d.category = "games";
  d.website = "http://tensio.example";
  d.contact = "not-an-address";
  d.redirectUris = {"https://tensio.example/cb", "http://tensio.example/cb",
                    "https://tensio.example/cb"};
  d.requestedAccesses = {"mesures.read", "photos.read", "mesures.read"};
  const mes::Status s = checkServiceDraft(d);
  BOOST_REQUIRE(!s.isOk());
  BOOST_TEST(mes::httpStatusOf(s.error().kind) == 422);
  BOOST_TEST(problems(s) ==
             "service-invalid@name service-invalid@description service-invalid@category "
             "service-invalid@website service-invalid@contact service-invalid@redirect_uris[1] "
             "service-invalid@redirect_uris[2] service-invalid@requested_accesses[1] "
             "service-invalid@requested_accesses[2]");
}

BOOST_AUTO_TEST_CASE(client_type_and_keys) {
  ServiceDraft d = complete();
  d.clientType = "secret";
  BOOST_TEST(problems(checkServiceDraft(d)) == "service-invalid@client_type");
  d = complete();
  d.jwks = kEcKey;
  BOOST_TEST(problems(checkServiceDraft(d)) == "service-invalid@jwks");  // public: no keys
  d.clientType = "confidential-asymmetric";
  BOOST_TEST(checkServiceDraft(d).isOk(), problems(checkServiceDraft(d)));
  d.jwks = R"({"keys":[]})";
  BOOST_TEST(problems(checkServiceDraft(d)) == "service-invalid@jwks");
  d.jwks = R"({"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}]})";
  BOOST_TEST(problems(checkServiceDraft(d)) == "service-invalid@jwks.keys[0]");
  d.jwks.clear();
  d.jwksUri = "https://tensio.example/jwks.json";
  BOOST_TEST(checkServiceDraft(d).isOk());
  // Recorded but not fetched: a confidential client still needs its JWK Set to submit.
  BOOST_TEST(problems(checkSubmittable(d)) == "draft-incomplete@jwks");
  d.jwksUri = "http://tensio.example/jwks.json";
  BOOST_TEST(problems(checkServiceDraft(d)) == "service-invalid@jwks_uri");
}

BOOST_AUTO_TEST_CASE(a_draft_may_be_saved_unfinished_but_not_submitted) {
  ServiceDraft d;
  d.name = "Tensio+";
  d.clientType = "public";
  d.redirectUris = {"https://tensio.example/cb"};
  BOOST_TEST(checkServiceDraft(d).isOk());
  BOOST_TEST(problems(checkSubmittable(d)) ==
             "draft-incomplete@description draft-incomplete@category draft-incomplete@website "
             "draft-incomplete@contact draft-incomplete@requested_accesses");
  d.redirectUris.clear();
  d.name.clear();
  BOOST_TEST(problems(checkServiceDraft(d)) ==
             "service-invalid@name service-invalid@redirect_uris");
}

BOOST_AUTO_TEST_CASE(categories_have_french_labels) {
  BOOST_TEST(serviceCategories().size() >= 5U);
  for (const auto& c : serviceCategories()) BOOST_TEST(!c.labelFr.empty());
  BOOST_TEST(findCategory("measures") != nullptr);
  BOOST_TEST(findCategory("Measures") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
