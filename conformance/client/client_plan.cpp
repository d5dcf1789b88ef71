#include "conformance/client/client_plan.h"

#include <algorithm>
#include <set>

#include "conformance/client/grades.h"
#include "conformance/redaction.h"
#include "fhir/json/json.h"

namespace mes::conformance::client {

void Findings::offence(const RecordedExchange& e, std::string what) {
  offences_.push_back({&e, std::move(what)});
}

void Findings::judged(const RecordedExchange& e) {
  judged_.push_back(&e);
}

void Findings::conclude(std::string_view summary, const std::string& passed) {
  if (offences_.empty()) {
    std::set<uint64_t> shown;
    for (const RecordedExchange* e : judged_) {
      if (shown.size() == kShownExamples) break;
      if (shown.insert(e->seq).second) {
        t_.record(traffic_.toExchange(*e), "Example: " + traffic_.describe(*e));
      }
    }
    t_.expect(true, passed, "");
    return;
  }
  std::set<uint64_t> shown;
  for (const Offence& o : offences_) {
    if (shown.size() == kShownOffences) break;
    if (shown.insert(o.exchange->seq).second) {
      t_.record(traffic_.toExchange(*o.exchange), traffic_.describe(*o.exchange));
    }
  }
  // One sentence per distinct finding, after the exchanges it concerns.
  std::vector<std::pair<std::string, std::vector<const RecordedExchange*>>> groups;
  for (const Offence& o : offences_) {
    auto group = std::find_if(groups.begin(), groups.end(),
                              [&](const auto& g) { return g.first == o.what; });
    if (group == groups.end()) {
      groups.push_back({o.what, {}});
      group = groups.end() - 1;
    }
    group->second.push_back(o.exchange);
  }
  std::string message = std::string(summary) + ":";
  for (const auto& [what, exchanges] : groups) {
    message += " ";
    for (size_t i = 0; i < exchanges.size() && i < kListedOffences; ++i) {
      message += (i == 0 ? "" : ", ") + traffic_.describe(*exchanges[i]);
    }
    if (exchanges.size() > kListedOffences) {
      message += " and " + std::to_string(exchanges.size() - kListedOffences) + " more";
    }
    message += ": " + what;
    if (message.back() != '.') message += '.';
  }
  t_.fail(std::move(message));
}

std::vector<SentResource> resourcesSent(const Traffic& traffic, std::deque<fhir::Value>& bodies) {
  std::vector<SentResource> out;
  for (const FhirCall& c : traffic.fhirCalls()) {
    if (c.method != "POST" && c.method != "PUT") continue;
    std::optional<fhir::Value> body = jsonOf(c.exchange->requestBody);
    if (!body || !body->isObject()) continue;
    const fhir::Value& kept = bodies.emplace_back(std::move(*body));
    const std::string* type = kept.findString("resourceType");
    if (type == nullptr) continue;
    if (*type != "Bundle" || !c.segments.empty()) {
      out.push_back({&c, &kept, *type, nullptr, nullptr, "", ""});
      continue;
    }
    const fhir::Value* entries = kept.find("entry");
    if (entries == nullptr || !entries->isArray()) continue;
    for (size_t i = 0; i < entries->items().size(); ++i) {
      const fhir::Value& entry = entries->items()[i];
      const fhir::Value* resource = entry.isObject() ? entry.find("resource") : nullptr;
      const std::string* entryType = resource != nullptr && resource->isObject()
                                         ? resource->findString("resourceType")
                                         : nullptr;
      if (entryType == nullptr) continue;
      const std::string* fullUrl = entry.findString("fullUrl");
      out.push_back({&c, resource, *entryType, &kept, entry.find("request"),
                     fullUrl != nullptr ? *fullUrl : std::string(),
                     "Bundle.entry[" + std::to_string(i) + "].resource"});
    }
  }
  return out;
}

std::string count(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string problemsText(const Error& error, size_t max) {
  std::string out;
  for (size_t i = 0; i < error.problems.size() && i < max; ++i) {
    const Problem& p = error.problems[i];
    out += (i == 0 ? "" : "; ") + std::string("[") + p.code + "] " +
           (p.expression.empty() ? "" : p.expression + ": ") + p.message;
  }
  if (error.problems.size() > max) {
    out += " (and " + std::to_string(error.problems.size() - max) + " more problems)";
  }
  return out;
}

std::string patientIdOf(std::string_view reference) {
  const size_t at = reference.rfind("Patient/");
  if (at == std::string_view::npos) return {};
  std::string_view id = reference.substr(at + 8);
  id = id.substr(0, id.find('/'));
  return std::string(id);
}

bool isAppApiCall(const RecordedExchange& e) {
  const std::string path = pathOfTarget(e.target);
  if (path == "/fhir" || path.rfind("/fhir/", 0) == 0) return true;
  return path.rfind("/oauth/", 0) == 0 && path != "/oauth/authorize";
}

std::vector<PlannedTest> clientPlan(const Traffic& traffic) {
  Plan plan;
  addPairingGrades(plan, traffic);
  addDataGrades(plan, traffic);
  addBehaviourGrades(plan, traffic);
  return plan;
}

std::vector<TestCase> clientTestCases() {
  const Traffic traffic{Recording{}};
  std::vector<TestCase> out;
  for (const PlannedTest& t : clientPlan(traffic)) out.push_back(t.test);
  return out;
}

}  // namespace mes::conformance::client
