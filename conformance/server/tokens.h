// Reading and forging tokens as the security tests need: a JWT's parts without trusting them,
// its verification against the gateway's published JWK Set, and hostile variants of a real
// token (unsigned, signed by a key the gateway never published).
#pragma once

#include <string>

#include "conformance/runner.h"
#include "conformance/server/server_context.h"
#include "fhir/json/value.h"

namespace mes::conformance::server {

struct JwtParts {
  fhir::Value header;
  fhir::Value claims;
  std::string headerPart;
  std::string payloadPart;
  std::string signaturePart;
};

// Ends the test as failed when `token` is not a compact JWS of two JSON objects.
JwtParts readJwt(TestScope& t, const std::string& token, std::string_view what);
// Checks the signature with the key of the JWKS (jwks_uri) its kid names, for ES256.
void expectSignedByGateway(ServerContext& ctx, TestScope& t, const std::string& token,
                           std::string_view what);
// The same claims with {"alg":"none"} and no signature.
std::string unsignedCopy(const JwtParts& jwt);
// The same header and claims signed by a P-256 key of ours (same kid): a forged signature.
std::string forgedCopy(TestScope& t, const JwtParts& jwt);

}  // namespace mes::conformance::server
