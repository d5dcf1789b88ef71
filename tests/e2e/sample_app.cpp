#include "e2e/sample_app.h"

#include <chrono>
#include <ctime>
#include <stdexcept>
#include <thread>

#include "fhir/json/json.h"
#include "integration/support/http_client.h"
#include "integration/support/pairing.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/random.h"

namespace mes::e2e {

namespace {

using itest::Browser;
using itest::HeaderList;
using itest::HttpResponse;

constexpr const char* kScope =
    "openid fhirUser launch/patient offline_access patient/Observation.rs patient/Device.rs "
    "patient/Observation.cu patient/Device.c patient/DocumentReference.c patient/Binary.c "
    "patient/Appointment.cu patient/Appointment.rs";
constexpr const char* kForm = "application/x-www-form-urlencoded";
constexpr const char* kFhir = "application/fhir+json";
constexpr int kMaxRetryAfterWaits = 3;

// `chars` (at most 43) random base64url characters.
std::string random(size_t chars = 16) {
  auto token = oauth::randomToken(32);
  if (!token) throw std::runtime_error("no randomness");
  return token->substr(0, chars);
}

// FHIR dateTime of now + offset (UTC, seconds).
std::string dateTime(std::chrono::seconds offset) {
  const std::time_t t =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string field(const std::string& json, const char* name) {
  auto v = fhir::parseJson(json);
  const std::string* s = v && v->isObject() ? v->findString(name) : nullptr;
  return s != nullptr ? *s : std::string();
}

[[noreturn]] void stop(const std::string& step, const HttpResponse& r) {
  throw std::runtime_error("sample app: " + step + " answered " + std::to_string(r.status) + " " +
                           r.header("Location") + " " + r.body.substr(0, 400));
}

// The weight: a measure of the body-weight profile, from the cuff's scale.
std::string weight(const std::string& patient, const std::string& identifier,
                   const std::string& device, const std::string& value, const std::string& unit) {
  return R"({"resourceType": "Observation",
    "meta": {"profile": ["https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bodyweight"]},
    "identifier": [{"system": "urn:oid:1.2.250.1.999.1.78", "value": ")" +
         identifier + R"("}],
    "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
    "subject": {"reference": "Patient/)" +
         patient + R"("},
    "effectiveDateTime": ")" +
         dateTime(std::chrono::seconds(-60)) + R"(",
    "device": {"reference": "Device/)" +
         device + R"("},
    "valueQuantity": {"value": )" +
         value + R"(, "unit": ")" + unit +
         R"(", "system": "http://unitsofmeasure.org", "code": ")" + unit + R"("}})";
}

class SampleApp {
 public:
  explicit SampleApp(const SampleAppSettings& s) : s_(s), http_(s.host, s.port) {}

  void run() {
    pair();
    const std::string last = "/fhir/Observation?patient=" + patient_ +
                             "&code=http%3A%2F%2Floinc.org%7C85354-9&_sort=-date&_count=1";
    call("GET", last);  // shown to the user, whatever it says
    const std::string device = uploadBloodPressureWithCuff();
    const std::string weightId = uploadWeight(device);
    if (s_.misbehaviour == Misbehaviour::kInvalidMeasures) {
      const std::string identifier = "W-" + random(8);
      HttpResponse pounds =
          call("POST", "/fhir/Observation", weight(patient_, identifier, device, "154", "[lb_av]"),
               {{"If-None-Exist", "identifier=urn:oid:1.2.250.1.999.1.78|" + identifier}});
      if (pounds.status != 422) stop("a weight in pounds", pounds);
    }
    pageThroughMeasures();
    correctWeight(weightId, device);
    depositDocument();
    syncAppointment();
    renew();
    call("GET", last);
  }

 private:
  // --- pairing ---------------------------------------------------------------------------

  void pair() {
    const std::string state = random(32);
    const itest::PkcePair pkce = itest::newPkce();
    std::vector<std::pair<std::string, std::string>> q = {
        {"response_type", "code"}, {"client_id", s_.clientId}, {"redirect_uri", s_.redirectUri},
        {"scope", kScope},         {"state", state},           {"aud", s_.baseUrl + "/fhir"}};
    if (s_.misbehaviour != Misbehaviour::kNoPkce) {
      q.emplace_back("code_challenge", pkce.challenge);
      q.emplace_back("code_challenge_method", "S256");
    }
    // The browser the app opens.
    HttpResponse r = http_.get("/oauth/authorize?" + itest::formEncode(q), browser_.headers());
    if (r.status != 302 && r.status != 303) stop("authorize", r);
    std::string next = r.header("Location");
    if (!itest::queryParam(next, "error").empty()) {
      throw std::runtime_error(
          "sample app: the pairing was refused: " + itest::queryParam(next, "error") + " " +
          itest::queryParam(next, "error_description"));
    }
    std::string consentPath = itest::pathOf(next);
    HttpResponse consent = browse("GET", consentPath);
    if (consent.status == 303) {  // not logged in: the portal's login, then back
      logIn(consentPath);
      consent = browse("GET", consentPath);
    }
    if (consent.status != 200) stop("consent page", consent);
    auto fields = itest::hiddenInputs(consent.body);
    for (const std::string& row : itest::checkboxValues(consent.body, "access")) {
      fields.emplace_back("access", row);
    }
    fields.emplace_back("decision", "approve");
    HttpResponse decided = browse("POST", "/portal/consent", itest::formEncode(fields));
    if (decided.status != 303) stop("consent", decided);
    const std::string back = decided.header("Location");
    if (itest::queryParam(back, "state") != state) stop("the state sent back differs", decided);
    const std::string code = itest::queryParam(back, "code");
    HttpResponse token = http_.post("/oauth/token",
                                    itest::formEncode({{"grant_type", "authorization_code"},
                                                       {"code", code},
                                                       {"redirect_uri", s_.redirectUri},
                                                       {"code_verifier", pkce.verifier},
                                                       {"client_id", s_.clientId}}),
                                    kForm);
    if (token.status != 200) stop("code exchange", token);
    keepTokens(token);
  }

  void logIn(const std::string& next) {
    HttpResponse page = browse("GET", "/portal/login?next=" + itest::urlEncode(next));
    if (page.status != 200) stop("login page", page);
    auto fields = itest::hiddenInputs(page.body);
    fields.emplace_back("login", s_.login);
    fields.emplace_back("password", s_.password);
    HttpResponse submitted = browse("POST", "/portal/login", itest::formEncode(fields));
    if (submitted.status != 303) stop("login", submitted);
    HttpResponse otp = browse("GET", itest::pathOf(submitted.header("Location")));
    if (otp.status != 200) stop("one-time code page", otp);
    auto otpFields = itest::hiddenInputs(otp.body);
    otpFields.emplace_back("code", s_.loginCode(++logins_));
    HttpResponse verified = browse("POST", "/portal/otp", itest::formEncode(otpFields));
    if (verified.status != 303) stop("one-time code", verified);
  }

  HttpResponse browse(const std::string& method, const std::string& target,
                      const std::string& form = {}) {
    HeaderList headers = browser_.headers();
    if (method == "POST") headers.emplace_back("Content-Type", kForm);
    HttpResponse r = http_.request(method, target, headers, form);
    browser_.remember(r);
    return r;
  }

  void keepTokens(const HttpResponse& token) {
    access_ = field(token.body, "access_token");
    refresh_ = field(token.body, "refresh_token");
    patient_ = field(token.body, "patient");
    if (access_.empty() || patient_.empty()) stop("token answer", token);
  }

  // Renews the access: by refresh, or (the re-pairing app) by pairing again.
  void renew() {
    if (s_.misbehaviour == Misbehaviour::kRepairing || refresh_.empty()) {
      pair();
      return;
    }
    HttpResponse r = http_.post("/oauth/token",
                                itest::formEncode({{"grant_type", "refresh_token"},
                                                   {"refresh_token", refresh_},
                                                   {"client_id", s_.clientId}}),
                                kForm);
    if (r.status != 200) stop("refresh", r);
    keepTokens(r);
  }

  // --- API calls -------------------------------------------------------------------------

  // A /fhir request with the token; a 401 renews the token and sends it again once, a 503
  // with Retry-After waits and sends it again.
  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& body = {}, HeaderList extra = {}) {
    bool renewed = false;
    int waits = 0;
    while (true) {
      HeaderList headers = extra;
      std::string url = target;
      const bool search = method == "GET" && target.find('?') != std::string::npos;
      if (s_.misbehaviour == Misbehaviour::kTokenInQuery && search) {
        url += "&access_token=" + itest::urlEncode(access_);
      } else {
        headers.emplace_back("Authorization", "Bearer " + access_);
      }
      if (!body.empty()) headers.emplace_back("Content-Type", kFhir);
      HttpResponse r = http_.request(method, url, headers, body);
      if (r.status == 401 && !renewed) {
        renewed = true;
        renew();
        continue;
      }
      const std::string retryAfter = r.header("Retry-After");
      if ((r.status == 503 || r.status == 429) && !retryAfter.empty() &&
          waits++ < kMaxRetryAfterWaits) {
        std::this_thread::sleep_for(std::chrono::seconds(std::stoi(retryAfter)));
        continue;
      }
      return r;
    }
  }

  static void expect(const HttpResponse& r, int status, const std::string& step) {
    if (r.status != status) stop(step, r);
  }

  std::string uploadBloodPressureWithCuff() {
    const std::string serial = "SN-" + random(8);
    const std::string bundle = R"({"resourceType": "Bundle", "type": "transaction", "entry": [
      {"fullUrl": "urn:uuid:0b9c6f1e-0000-4000-8000-000000000001",
       "resource": {"resourceType": "Device", "identifier": [{"system": "urn:oid:1.2.250.1.999.1.77", "value": ")" +
                               serial + R"("}],
                    "manufacturer": "Tensio", "modelNumber": "BP-200"},
       "request": {"method": "POST", "url": "Device", "ifNoneExist": "identifier=urn:oid:1.2.250.1.999.1.77|)" +
                               serial + R"("}},
      {"fullUrl": "urn:uuid:0b9c6f1e-0000-4000-8000-000000000002",
       "resource": {"resourceType": "Observation",
         "meta": {"profile": ["https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bp"]},
         "status": "final",
         "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
         "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
         "subject": {"reference": "Patient/)" +
                               patient_ + R"("},
         "effectiveDateTime": ")" +
                               dateTime(std::chrono::seconds(-120)) +
                               R"(",
         "device": {"reference": "urn:uuid:0b9c6f1e-0000-4000-8000-000000000001"},
         "component": [
          {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
           "valueQuantity": {"value": 128, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
          {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
           "valueQuantity": {"value": 82, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}]},
       "request": {"method": "POST", "url": "Observation"}}]})";
    HttpResponse r = call("POST", "/fhir", bundle);
    expect(r, 200, "blood pressure transaction");
    auto json = fhir::parseJson(r.body);
    const fhir::Value* entries = json ? json->find("entry") : nullptr;
    if (entries == nullptr || !entries->isArray()) stop("transaction answer", r);
    for (const fhir::Value& entry : entries->items()) {
      const fhir::Value* response = entry.find("response");
      const std::string* location =
          response != nullptr ? response->findString("location") : nullptr;
      if (location != nullptr && location->find("Device/") != std::string::npos) {
        const std::string path = location->substr(location->find("Device/") + 7);
        return path.substr(0, path.find('/'));
      }
    }
    stop("no Device in the transaction answer", r);
  }

  std::string uploadWeight(const std::string& device) {
    const std::string identifier = "W-" + random(8);
    HttpResponse r =
        call("POST", "/fhir/Observation", weight(patient_, identifier, device, "70.5", "kg"),
             {{"If-None-Exist", "identifier=urn:oid:1.2.250.1.999.1.78|" + identifier}});
    expect(r, 201, "weight");
    weightIdentifier_ = identifier;
    return field(r.body, "id");
  }

  void pageThroughMeasures() {
    const int count = s_.misbehaviour == Misbehaviour::kPageSize500 ? 500 : 1;
    std::string target =
        "/fhir/Observation?patient=" + patient_ + "&_sort=date&_count=" + std::to_string(count);
    for (int page = 0; page < 5 && !target.empty(); ++page) {
      HttpResponse r = call("GET", target);
      if (r.status != 200) return;  // refused: the app shows its error, and goes on
      auto json = fhir::parseJson(r.body);
      target.clear();
      const fhir::Value* links = json ? json->find("link") : nullptr;
      if (links == nullptr || !links->isArray()) return;
      for (const fhir::Value& link : links->items()) {
        const std::string* relation = link.findString("relation");
        const std::string* url = link.findString("url");
        if (relation != nullptr && *relation == "next" && url != nullptr)
          target = itest::pathOf(*url);
      }
    }
  }

  void correctWeight(const std::string& id, const std::string& device) {
    auto corrected = fhir::parseJson(weight(patient_, weightIdentifier_, device, "70.3", "kg"));
    corrected->set("id", fhir::Value::string(id));
    corrected->set("status", fhir::Value::string("amended"));
    expect(
        call("PUT", "/fhir/Observation/" + id, fhir::toJson(*corrected), {{"If-Match", "W/\"1\""}}),
        200, "weight correction");
  }

  void depositDocument() {
    const std::string text =
        "Compte rendu de consultation (application de test " + random(6) + ").\n";
    const std::string document =
        R"({"resourceType": "DocumentReference", "status": "current",
      "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
      "category": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument", "code": "10"}]}],
      "subject": {"reference": "Patient/)" +
        patient_ + R"("}, "date": ")" + dateTime(std::chrono::seconds(-3600)) + R"(",
      "content": [{"attachment": {"contentType": "text/plain", "size": )" +
        std::to_string(text.size()) + R"(, "hash": ")" + oauth::base64Encode(oauth::sha1(text)) +
        R"(", "data": ")" + oauth::base64Encode(text) + R"(", "title": "cr.txt"}}]})";
    expect(call("POST", "/fhir/DocumentReference", document), 201, "document");
  }

  void syncAppointment() {
    const std::string value = "rdv-" + random(8);
    const std::string target =
        "/fhir/Appointment?identifier=" + itest::urlEncode("urn:oid:1.2.250.1.999.1.5|" + value);
    const auto appointment = [&](const std::string& description) {
      return R"({"resourceType": "Appointment",
        "identifier": [{"system": "urn:oid:1.2.250.1.999.1.5", "value": ")" +
             value + R"("}],
        "status": "booked", "description": ")" +
             description + R"(",
        "start": ")" +
             dateTime(std::chrono::hours(48)) + R"(", "end": ")" +
             dateTime(std::chrono::hours(48) + std::chrono::minutes(30)) + R"(",
        "participant": [{"actor": {"reference": "Patient/)" +
             patient_ + R"("}, "status": "accepted"},
                        {"actor": {"display": "Dr Claire Durand"}, "status": "accepted"}]})";
    };
    expect(call("PUT", target, appointment("Consultation de suivi")), 201, "appointment");
    expect(call("PUT", target, appointment("Consultation de suivi (salle 2)")), 200,
           "appointment again");
  }

  const SampleAppSettings& s_;
  itest::HttpClient http_;
  Browser browser_;
  int logins_ = 0;
  std::string access_;
  std::string refresh_;
  std::string patient_;
  std::string weightIdentifier_;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, Misbehaviour m) {
  switch (m) {
    case Misbehaviour::kNone:
      return os << "well-behaved";
    case Misbehaviour::kNoPkce:
      return os << "no-pkce";
    case Misbehaviour::kInvalidMeasures:
      return os << "invalid-measures";
    case Misbehaviour::kPageSize500:
      return os << "page-size-500";
    case Misbehaviour::kTokenInQuery:
      return os << "token-in-query";
    case Misbehaviour::kRepairing:
      return os << "re-pairing";
  }
  return os;
}

void runSampleApp(const SampleAppSettings& settings) {
  SampleApp(settings).run();
}

}  // namespace mes::e2e
