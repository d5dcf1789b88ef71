// What the client plan's areas share (client_plan.cpp puts them in order): the plan type, the
// collection of findings that ends a test, and readings of the traffic several tests need.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/client/traffic.h"
#include "conformance/runner.h"

namespace mes::conformance::client {

using Plan = std::vector<PlannedTest>;

void addPairingGrades(Plan& plan, const Traffic& traffic);
void addDataGrades(Plan& plan, const Traffic& traffic);
void addBehaviourGrades(Plan& plan, const Traffic& traffic);

inline void add(Plan& plan, std::string id, std::string title, std::string description,
                std::vector<std::string> requirements, TestBody body, bool required = true) {
  plan.push_back(
      {{std::move(id), std::move(title), std::move(description), std::move(requirements), required},
       std::move(body)});
}

// What one test found, in the order found; conclude() ends the test.
class Findings {
 public:
  static constexpr size_t kShownOffences = 5;   // offending exchanges put in the report
  static constexpr size_t kShownExamples = 3;   // judged exchanges put in a passed test's report
  static constexpr size_t kListedOffences = 8;  // exchanges named per finding in the message

  Findings(TestScope& t, const Traffic& traffic) : t_(t), traffic_(traffic) {}

  // An offending exchange and what was wrong with it (one sentence; no secret in it).
  void offence(const RecordedExchange& e, std::string what);
  // A judged exchange that was fine.
  void judged(const RecordedExchange& e);
  size_t offences() const { return offences_.size(); }
  size_t judgedCount() const { return judged_.size() + offences_.size(); }

  // With offences: the first kShownOffences exchanges go to the report, then the test fails
  // with `summary`, a colon and the offences ("#12 POST /fhir/Observation (08:15:02) → 422:
  // …"). Without: a few judged exchanges as examples, then a passed check saying `passed`.
  void conclude(std::string_view summary, const std::string& passed);

 private:
  struct Offence {
    const RecordedExchange* exchange;
    std::string what;
  };
  TestScope& t_;
  const Traffic& traffic_;
  std::vector<Offence> offences_;
  std::vector<const RecordedExchange*> judged_;
};

// One resource the app sent to /fhir: the body of a POST or PUT, or an entry of a transaction
// Bundle it posted.
struct SentResource {
  const FhirCall* call = nullptr;
  const fhir::Value* resource = nullptr;
  std::string type;                      // resourceType
  const fhir::Value* bundle = nullptr;   // the transaction, for an entry
  const fhir::Value* request = nullptr;  // the entry's request
  std::string fullUrl;                   // the entry's fullUrl
  std::string where;                     // "Bundle.entry[1].resource", "" for a body
};
// Every resource sent, in order. The parsed bodies are kept in `bodies`.
std::vector<SentResource> resourcesSent(const Traffic& traffic, std::deque<fhir::Value>& bodies);

// Plain words for "12" and "1": "12 measures", "1 measure".
std::string count(size_t n, std::string_view one, std::string_view many);
// "[unit-mismatch] Observation.valueQuantity.code: …; […]" (at most `max` problems).
std::string problemsText(const Error& error, size_t max = 3);
// The "Patient/<id>" or URL reference's id after its last "Patient/", or "" when it names none.
std::string patientIdOf(std::string_view reference);
// The requests of the app to the gateway's APIs (/fhir and /oauth but /oauth/authorize, which
// the browser sends): the patient's browser pages excluded.
bool isAppApiCall(const RecordedExchange& e);

}  // namespace mes::conformance::client
