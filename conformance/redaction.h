// What a report may show of an exchange: secrets removed, the rest as it was.
//
// Reports travel (CI artefacts, the registry, a commission's mailbox), so tokens, passwords,
// one-time codes and authorization codes never appear in them. redact() replaces with
// "[redacted]":
//  - the credentials of Authorization and Proxy-Authorization (the scheme is kept; for a JWT its
//    first part, the header, is kept too: it says which algorithm and key a token claimed,
//    which is what a forged-token test is about, and proves nothing by itself);
//  - every cookie value of Cookie and Set-Cookie (names and attributes are kept);
//  - in the URL, in a Location header and in a form body (application/x-www-form-urlencoded):
//    the values of code, access_token, refresh_token, id_token, token, code_verifier,
//    password, client_assertion and csrf; except `code` in a FHIR search URL (a path with a
//    /fhir segment, no `state` or `iss` in the query), where it is the search parameter;
//  - in any other body, the string values of the JSON members access_token, refresh_token,
//    id_token, password, code_verifier, client_assertion and csrf_token.
// FHIR's own "code" members (CodeableConcept, Coding) are left alone: only forms and URLs carry
// an OAuth code.
#pragma once

#include <string>
#include <string_view>

#include "conformance/test_model.h"

namespace mes::conformance {

inline constexpr std::string_view kRedacted = "[redacted]";

Exchange redact(const Exchange& exchange);

// The pieces, for the reporters and their tests.
std::string redactUrl(std::string_view url);
std::string redactFormBody(std::string_view body);
std::string redactJsonSecrets(std::string_view body);
std::string redactAuthorization(std::string_view value);

}  // namespace mes::conformance
