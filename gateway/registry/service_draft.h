// What an editor writes about a service (SPEC §5 "A service record"), and the rules it must
// follow: each field given is checked whenever the draft is saved; completeness is checked at
// submission, so that a draft can be saved unfinished.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mes::gateway::registry {

// The categories a catalogue visitor browses by (stable ids, French labels).
struct ServiceCategory {
  std::string_view id;
  std::string_view labelFr;
};
std::span<const ServiceCategory> serviceCategories();
const ServiceCategory* findCategory(std::string_view id);

struct ServiceDraft {
  std::string name;                       // shown to patients: 2 to 80 characters
  std::string description;                // 20 to 2000 characters
  std::string category;                   // a serviceCategories() id
  std::string website;                    // https URL
  std::string contact;                    // e-mail address of the person answering for the service
  std::string clientType;                 // public | confidential-asymmetric
  std::vector<std::string> redirectUris;  // 1 to 10, see checkRedirectUri
  std::string jwks;     // JSON text of a JWK Set of public keys (confidential clients)
  std::string jwksUri;  // https URL where the editor publishes it (recorded, not fetched)
  std::vector<std::string> requestedAccesses;  // MES access family ids (oauth/api_access.h)
};

// A redirect URI the registry accepts (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.1): absolute,
// no fragment, no wildcard, no whitespace, at most 2048 bytes, and one of: https with a host;
// http on the loopback (127.0.0.1, [::1] or localhost) for native apps; a private-use scheme
// of reverse-DNS form (a dot in the scheme, e.g. com.example.app:/callback). Empty when
// accepted, else why not (plain words).
std::string redirectUriProblem(std::string_view uri);

// Every problem of the fields given (empty ones are not checked here), each a Problem with code
// "service-invalid" and the JSON member as expression ("redirect_uris[1]"): kUnprocessable.
// Also: client_type is required (the OAuth record needs it) and at least one redirect URI; the
// name is required; a public client registers no JWK Set; access ids are known and not
// repeated; the JWK Set holds only valid public keys (oauth/crypto/keys.h PublicKey::fromJwk).
Status checkServiceDraft(const ServiceDraft& draft);

// What a draft must have before it is submitted: description, category, website, contact, at
// least one requested access, and a JWK Set for a confidential client (this gateway verifies
// private_key_jwt with the registered set; a jwks_uri alone is not fetched).
// kUnprocessable "draft-incomplete", one Problem per missing field.
Status checkSubmittable(const ServiceDraft& draft);

}  // namespace mes::gateway::registry
