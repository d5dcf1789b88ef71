// The client test plan (conformance/client/client_plan.h) on recordings written by hand: the
// plan as data against the registry's criteria, a well-behaved session passing every test, and
// one flaw at a time failing its test with a message that names the offending exchange — or a
// skip saying what the recording lacks.
#include "conformance/client/client_plan.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <functional>
#include <set>

#include "conformance/client/recording_builder.h"
#include "conformance/requirements.h"
#include "conformance/server/samples.h"
#include "fhir/json/json.h"

using namespace mes;
using namespace mes::test;
using conformance::Outcome;
using conformance::client::Injected;
using conformance::client::RecordedExchange;
using fhir::Value;
namespace bdata = boost::unit_test::data;
namespace samples = conformance::server;

namespace {

struct Flaw {
  const char* name;
  std::function<conformance::client::Recording()> session;
  const char* test;
  Outcome outcome;
  const char* mentioned;  // in the test's message
};
std::ostream& operator<<(std::ostream& os, const Flaw& f) {
  return os << f.name;
}

Session with(const std::function<void(Session&)>& change) {
  Session s;
  change(s);
  return s;
}

const Flaw kFlaws[] = {
    {"no PKCE", [] { return record(with([](Session& s) { s.pairing.pkce = false; })); },
     "client.pkce-s256", Outcome::kFail, "no code_challenge"},
    {"plain PKCE", [] { return record(with([](Session& s) { s.pairing.method = "plain"; })); },
     "client.pkce-s256", Outcome::kFail, "code_challenge_method=plain"},
    {"wrong verifier",
     [] { return record(with([](Session& s) { s.pairing.verifierMatches = false; })); },
     "client.pkce-s256", Outcome::kFail, "does not match the code_challenge"},
    {"challenge reused",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) {
           b.pair(scoped(kScope, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
         };
         s.pairing.challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
         s.pairing.verifierMatches = false;
       }));
     },
     "client.pkce-s256", Outcome::kFail, "the same code_challenge as an earlier"},
    {"short state", [] { return record(with([](Session& s) { s.pairing.state = "abc"; })); },
     "client.state", Outcome::kFail, "the state \"abc\" has 3 characters"},
    {"re-pairing",
     [] {
       return record(
           with([](Session& s) { s.extra = [](RecordingBuilder& b) { b.pair(scoped(kScope)); }; }));
     },
     "client.refresh-rotation", Outcome::kFail, "paired Patient/demo again although"},
    {"rotated refresh token reused",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) { b.refresh("refresh-1", false); };
       }));
     },
     "client.refresh-rotation", Outcome::kFail, "sent again the refresh token already used at #"},
    {"never renewed",
     [] {
       return record(with([](Session& s) {
         s.refuseToken = false;
         s.secondRefresh = false;
       }));
     },
     "client.refresh-rotation", Outcome::kSkip, "never renewed its access"},
    {"refused token used again",
     [] { return record(with([](Session& s) { s.reuseRefusedToken = true; })); },
     "client.handles-401", Outcome::kFail, "used again the access token refused at #"},
    {"no 401", [] { return record(with([](Session& s) { s.refuseToken = false; })); },
     "client.handles-401", Outcome::kSkip, "refuses its request #3"},
    {"token in the query",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) {
           b.fhirWith("", "GET", "/fhir/Observation?patient=demo&access_token=" + b.accessToken(),
                      {}, 401, outcome("token-in-query"));
         };
       }));
     },
     "client.no-token-in-url", Outcome::kFail, "(parameter access_token)"},
    {"wildcard scope",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) { b.pair(scoped("patient/*.rs")); };
       }));
     },
     "client.scope-minimal", Outcome::kFail, "asks for every resource type"},
    {"granted and unused", [] { return record(with([](Session& s) { s.agenda = false; })); },
     "client.scope-minimal", Outcome::kFail, "was granted agenda.write"},
    {"weight in pounds",
     [] {
       return record(with([](Session& s) {
         Value q = *s.measure.find("valueQuantity");
         q.set("code", Value::string("[lb_av]"));
         s.measure.set("valueQuantity", q);
       }));
     },
     "client.measures-valid", Outcome::kFail, "[unit-mismatch]"},
    {"measure in the future",
     [] {
       return record(with([](Session& s) {
         s.measure.set("effectiveDateTime",
                       Value::string(samples::dateTimeOf(kStartMs + 86'400'000)));
       }));
     },
     "client.measures-valid", Outcome::kFail, "[effective-in-future]"},
    {"BMI",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) {
           Value bmi = weight("demo", "B-1");
           bmi.set(
               "meta",
               fhir::parseJson(
                   R"({"profile":["https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bmi"]})")
                   .value());
           bmi.set("code",
                   fhir::parseJson(R"({"coding":[{"system":"http://loinc.org","code":"39156-5"}]})")
                       .value());
           b.fhir("POST", "/fhir/Observation", json(bmi), 422, outcome("bmi-computed-by-gateway"));
         };
       }));
     },
     "client.no-bmi", Outcome::kFail, "sends a BMI"},
    {"device without ifNoneExist",
     [] { return record(with([](Session& s) { s.bundle = transaction(""); })); },
     "client.device-conditional-create", Outcome::kFail, "has no request.ifNoneExist"},
    {"device on another identifier",
     [] {
       return record(with([](Session& s) {
         s.bundle = transaction("identifier=urn:oid:1.2.250.1.999.1.77|SN-2");
       }));
     },
     "client.device-conditional-create", Outcome::kFail, "is not identifier=<system>|<value>"},
    {"device not referenced",
     [] {
       return record(with([](Session& s) {
         s.bundle = transaction("identifier=urn:oid:1.2.250.1.999.1.77|SN-1", false);
       }));
     },
     "client.device-conditional-create", Outcome::kFail, "does not reference the Device entry"},
    {"upload without If-None-Exist",
     [] { return record(with([](Session& s) { s.ifNoneExist = ""; })); },
     "client.idempotent-upload", Outcome::kFail, "no If-None-Exist header"},
    {"If-None-Exist on another identifier",
     [] {
       return record(
           with([](Session& s) { s.ifNoneExist = "identifier=urn:oid:1.2.250.1.999.1.78|W-9"; }));
     },
     "client.idempotent-upload", Outcome::kFail, "does not name the measure's own identifier"},
    {"page size 500", [] { return record(with([](Session& s) { s.countParam = "500"; })); },
     "client.search-rules", Outcome::kFail, "_count=500"},
    {"unknown parameter",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) {
           b.fhir("GET", "/fhir/Observation?patient=demo&category=vital-signs", {}, 400,
                  outcome("unknown-search-parameter"));
         };
       }));
     },
     "client.search-rules", Outcome::kFail, "unknown parameter category for Observation"},
    {"crafted offset",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) {
           b.fhir("GET", "/fhir/Observation?patient=demo&_count=1&_offset=7", {}, 200, searchset());
         };
       }));
     },
     "client.search-rules", Outcome::kFail, "was not taken from a next or previous link"},
    {"document hash",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) {
           Value doc = samples::documentReference("demo", "Compte rendu.\n", "cr.txt");
           Value& a = *doc.find("content")->items()[0].find("attachment");
           a.set("hash", Value::string("2jmj7l5rSw0yVb/vlWAYkK/YBwk="));
           b.fhir("POST", "/fhir/DocumentReference", json(doc), 422,
                  outcome("attachment-hash-mismatch"));
         };
       }));
     },
     "client.documents-valid", Outcome::kFail, "attachment.hash is not the SHA-1"},
    {"no document", [] { return record(with([](Session& s) { s.document = false; })); },
     "client.documents-valid", Outcome::kSkip, "deposited no document"},
    {"appointment by POST",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) {
           b.fhir("POST", "/fhir/Appointment", json(booking("rdv-2")), 201);
         };
       }));
     },
     "client.agenda-conditional-update", Outcome::kFail, "creates an appointment with POST"},
    {"appointment deleted",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) { b.fhir("DELETE", "/fhir/Appointment/a1", {}, 405); };
       }));
     },
     "client.agenda-conditional-update", Outcome::kFail, "deletes an appointment"},
    {"other patient", [] { return record(with([](Session& s) { s.searchPatient = "demo-2"; })); },
     "client.patient-compartment", Outcome::kFail,
     "names Patient/demo-2 with the token of Patient/demo"},
    {"not author",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) {
           b.fhir("PUT", "/fhir/Observation/x9", json(weight("demo", "W-x")), 403,
                  outcome("not-author"));
         };
       }));
     },
     "client.not-author", Outcome::kFail, "another service wrote"},
    {"refused request in a loop",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) {
           for (int i = 0; i < 3; ++i) {
             b.fhir("PUT", "/fhir/Observation/x9", json(weight("demo", "W-x")), 403,
                    outcome("not-author"));
           }
         };
       }));
     },
     "client.error-handling", Outcome::kFail, "sent unchanged 2 times more"},
    {"lost write",
     [] {
       return record(with([](Session& s) {
         s.extra = [](RecordingBuilder& b) {
           b.fhir("POST", "/fhir/Observation", json(weight("demo", "W-2")), 503, outcome("busy"),
                  {{"If-None-Exist", "identifier=urn:oid:1.2.250.1.999.1.78|W-2"}});
         };
       }));
     },
     "client.error-handling", Outcome::kFail, "was never sent again: its data is lost"},
    {"retried too early", [] { return record(with([](Session& s) { s.waitAfter503Ms = 1000; })); },
     "client.retry-after", Outcome::kFail, "which asked to wait 3 s (Retry-After)"},
    {"no 503", [] { return record(with([](Session& s) { s.unavailable = false; })); },
     "client.retry-after", Outcome::kSkip, "answers its write #2"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(client_plan)

BOOST_AUTO_TEST_CASE(the_plan_covers_every_test_the_criteria_name_and_is_required_as_they_are) {
  const std::vector<conformance::TestCase> tests = conformance::client::clientTestCases();
  const conformance::RequirementCatalogue& criteria = conformance::registryCriteria();
  const conformance::Coverage coverage = conformance::computeCoverage(criteria, tests);
  BOOST_TEST(coverage.unknown.empty());
  std::set<std::string> named;
  for (const conformance::CoverageRow& row : coverage.rows) {
    BOOST_TEST(row.missingTests.empty(), row.requirement->id);
    named.insert(row.requirement->namedTests.begin(), row.requirement->namedTests.end());
  }
  BOOST_TEST(coverage.covered() == coverage.testable());
  std::set<std::string> ids;
  for (const conformance::TestCase& t : tests) {
    BOOST_TEST(ids.insert(t.id).second, t.id << " twice");
    BOOST_TEST(named.count(t.id) == 1u, t.id << " is named by no criterion");
    bool required = false;
    for (const std::string& r : t.requirements) required = required || criteria.find(r)->required;
    BOOST_TEST(t.required == required, t.id);
    BOOST_TEST(!t.title.empty());
    BOOST_TEST(!t.description.empty());
  }
  BOOST_TEST(ids == named);
}

BOOST_AUTO_TEST_CASE(a_well_behaved_session_passes_every_test) {
  const auto results = grade(record(Session{}));
  BOOST_TEST(results.size() == 17u);
  for (const auto& [id, r] : results) {
    BOOST_TEST((r.outcome == Outcome::kPass), id << ": " << r.message);
  }
  // A passed test shows examples of what it judged.
  const conformance::TestResult& retry = results.at("client.retry-after");
  BOOST_TEST(!retry.exchanges.empty());
  BOOST_TEST(retry.actions.front().message.find("Example: #") == 0u);
}

BOOST_DATA_TEST_CASE(one_flaw_fails_its_test_naming_the_exchange, bdata::make(kFlaws), flaw) {
  const auto results = grade(flaw.session());
  const conformance::TestResult& r = results.at(flaw.test);
  BOOST_TEST((r.outcome == flaw.outcome), outcomeName(r.outcome) << ": " << r.message);
  BOOST_TEST(r.message.find(flaw.mentioned) != std::string::npos, r.message);
  if (flaw.outcome == Outcome::kFail) {
    // The message points at the exchange by number, and the exchange is in the report.
    BOOST_TEST(r.message.find(": #") != std::string::npos, r.message);
    BOOST_TEST(!r.exchanges.empty());
  }
  // Nothing else fails on this flaw but what it also breaks by nature.
  for (const auto& [id, other] : results) {
    if (id == flaw.test || other.outcome != Outcome::kFail) continue;
    BOOST_TEST_MESSAGE(flaw.name << " also fails " << id << ": " << other.message);
  }
}

BOOST_AUTO_TEST_CASE(an_empty_recording_skips_every_test_saying_what_is_missing) {
  RecordingBuilder b;
  for (const auto& [id, r] : grade(b.recording())) {
    BOOST_TEST((r.outcome == Outcome::kSkip), id);
    BOOST_TEST(r.message.size() > 40u, id << ": " << r.message);
  }
}

BOOST_AUTO_TEST_CASE(secrets_stay_out_of_the_messages) {
  const auto results = grade(record(with([](Session& s) {
    s.extra = [](RecordingBuilder& b) {
      b.fhirWith("", "GET", "/fhir/Observation?patient=demo&access_token=" + b.accessToken(), {},
                 401, outcome("token-in-query"));
    };
  })));
  const conformance::TestResult& r = results.at("client.no-token-in-url");
  BOOST_TEST(r.message.find("access_token=[redacted]") != std::string::npos, r.message);
  BOOST_TEST(r.message.find("access-") == std::string::npos, r.message);
}

BOOST_AUTO_TEST_SUITE_END()
