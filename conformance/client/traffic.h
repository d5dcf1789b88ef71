// A recording read for grading: the exchanges sorted into what the client plan judges.
//
//  - authorizations: GET or POST /oauth/authorize (the app's authorization requests, as the
//    browser it opened sent them), with their parameters;
//  - token calls: POST /oauth/token, with their form and, when the answer was JSON, what it
//    said (tokens, patient, scope, error);
//  - FHIR calls: every request under /fhir, with its decoded path, query, the bearer token
//    of its Authorization header (or of an access_token parameter) and the patient that token
//    was issued for;
//  - the authorization codes the gateway sent back (in a Location to the app's redirect URI),
//    with the state they came with.
// The patient's browser traffic (/portal, /registry...) is kept in all() but belongs to no
// view. Nothing here judges: the client plan does (client_plan.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/client/recording.h"
#include "conformance/test_model.h"
#include "fhir/json/value.h"

namespace mes::conformance::client {

using Params = std::vector<std::pair<std::string, std::string>>;

struct Authorization {
  const RecordedExchange* exchange = nullptr;
  Params params;  // the query (GET) or the form (POST)
};

struct TokenCall {
  const RecordedExchange* exchange = nullptr;
  Params form;
  std::string grantType;     // authorization_code | refresh_token | ...
  bool granted = false;      // 200 with an access token
  std::string accessToken;   // of the answer
  std::string refreshToken;  // of the answer ("" when none was issued)
  std::string patient;       // the answer's patient, or the one of the refreshed grant
  std::string scope;         // the answer's granted scope
  std::string error;         // the OAuth error of a refusal
};

struct FhirCall {
  const RecordedExchange* exchange = nullptr;
  std::string method;
  std::string path;                   // decoded, after /fhir: "/Observation/123", "" for the base
  std::vector<std::string> segments;  // "Observation", "123"
  Params query;
  std::string token;  // from Authorization: Bearer, else from an access_token parameter
  bool tokenInHeader = false;
  std::string patient;  // the patient `token` was issued for ("" when unknown)

  const std::string& type() const;  // segments[0] or ""
  // A read or write of data: a resource type path (not metadata, .well-known, _history...).
  bool isData() const;
  bool isWrite() const;  // POST, PUT, PATCH, DELETE
  // A search: GET <Type> (or POST <Type>/_search).
  bool isSearch() const;
};

class Traffic {
 public:
  explicit Traffic(Recording recording);
  Traffic(const Traffic&) = delete;
  Traffic& operator=(const Traffic&) = delete;

  const SessionInfo& info() const { return recording_.info; }
  const std::vector<std::string>& warnings() const { return recording_.warnings; }
  const std::vector<RecordedExchange>& all() const { return recording_.exchanges; }
  const std::vector<Authorization>& authorizations() const { return authorizations_; }
  const std::vector<TokenCall>& tokenCalls() const { return tokenCalls_; }
  const std::vector<FhirCall>& fhirCalls() const { return fhirCalls_; }
  // The state the gateway sent back with this authorization code, when it was seen.
  std::optional<std::string> stateOfCode(const std::string& code) const;
  // Every access, refresh and ID token the gateway issued in the session.
  const std::vector<std::string>& issuedTokens() const { return issuedTokens_; }

  // The exchange as reports show it (the public URL, bodies as kept: a truncated one says so).
  Exchange toExchange(const RecordedExchange& e) const;
  // "#12 POST /fhir/Observation?… (08:15:02)", the URL's secrets redacted and cut after 100
  // characters; the answer when
  // `withAnswer` ("→ 422", "→ 401 from the sandbox").
  std::string describe(const RecordedExchange& e, bool withAnswer = true) const;

 private:
  Recording recording_;
  std::vector<Authorization> authorizations_;
  std::vector<TokenCall> tokenCalls_;
  std::vector<FhirCall> fhirCalls_;
  std::map<std::string, std::string> codeStates_;
  std::vector<std::string> issuedTokens_;
};

// The decoded path of a target ("/fhir/Observation?x" → "/fhir/Observation") and its query.
std::string pathOfTarget(std::string_view target);
Params queryOfTarget(std::string_view target);
// The body parsed as JSON, when it was kept whole and is JSON.
std::optional<fhir::Value> jsonOf(const RecordedBody& body);
// The project codes of an OperationOutcome answer, space-separated ("" when none).
std::string outcomeCodesOf(const RecordedExchange& e);

}  // namespace mes::conformance::client
