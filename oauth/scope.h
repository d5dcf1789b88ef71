// SMART App Launch 2.x scopes as this gateway understands them.
//
// Grammar accepted by ScopeSet::parse (RFC 6749 §3.3: space-separated, case-sensitive tokens):
//
//   resource scope  = "patient/" type "." permissions
//   type            = [A-Z][A-Za-z]+ (a FHIR resource type, at most 64 characters) | "*"
//   permissions     = v2 letters: a non-empty subset of c r u d s written in that order
//                     (".rs", ".cud", ".cruds"; ".sr", ".rr" and "." are refused)
//                   | v1 "read" (= rs) | v1 "write" (= cud) | v1 "*" (= cruds)
//   identity scope  = "openid" | "fhirUser" | "launch/patient" | "offline_access"
//
// Refused, each with its own plain-words message (Problem code "invalid-scope", ErrorKind
// kInvalid; the OAuth endpoints turn it into error=invalid_scope):
//   - "user/…" and "system/…": an app paired here acts for one patient only; there is no
//     practitioner user and no backend-services grant;
//   - "launch" and every "launch/…" other than launch/patient: this gateway offers the SMART
//     standalone launch only (no EHR launch, no encounter context);
//   - "profile" (deprecated by SMART in favour of fhirUser) and "online_access" (no sessions
//     bound to the browser here; ask offline_access for a refresh token);
//   - SMART v2 finer-grained scopes with query parameters ("patient/Observation.rs?category=…");
//   - any other token, tokens with characters outside RFC 6749's scope-token set, and a whole
//     parameter longer than kMaxScopeParameterLength.
// Every bad token is reported (one Problem each, naming the token); nothing is half-accepted.
//
// A ScopeSet is a value: canonical, immutable after parse, cheap to copy, thread-compatible.
// Canonical means: one entry per resource type (patient/Observation.rs + patient/Observation.cud
// = patient/Observation.cruds), a concrete type never repeats a letter the "*" entry already
// grants (patient/*.rs patient/Observation.rs = patient/*.rs), no entry without letters. Two
// ScopeSets that grant the same access therefore compare equal with ==.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mes::oauth {

// One SMART v2 permission letter; a set of them is a bitwise OR in a uint8_t.
enum Permission : uint8_t {
  kCreate = 1,  // c
  kRead = 2,    // r
  kUpdate = 4,  // u
  kDelete = 8,  // d
  kSearch = 16  // s
};
inline constexpr uint8_t kAllPermissions = kCreate | kRead | kUpdate | kDelete | kSearch;

// The longest `scope` parameter parse accepts, in bytes. Every MES scope together is well under
// 400 bytes; the bound keeps error lists and work proportional to something sane.
inline constexpr size_t kMaxScopeParameterLength = 2048;

// The v2 letters of a permission set, in SMART order ("cruds" for all, "" for none).
std::string permissionLetters(uint8_t permissions);

// Access to one resource type (or "*", every type) in a compartment.
struct ResourceScope {
  // Always "patient": user/ and system/ scopes are refused for apps in this gateway (see top).
  std::string compartment;
  std::string resourceType;  // a FHIR resource type, or "*"
  uint8_t permissions = 0;   // OR of Permission bits, never 0 inside a ScopeSet

  bool operator==(const ResourceScope&) const = default;
};

class ScopeSet {
 public:
  using const_iterator = std::vector<ResourceScope>::const_iterator;

  // The empty set: no identity scope, no resource scope.
  ScopeSet() = default;

  // Parses a space-separated `scope` parameter. Runs of spaces and leading/trailing spaces are
  // tolerated; "" (or only spaces) is the empty set. Errors: see the top of this file.
  static Result<ScopeSet> parse(std::string_view spaceSeparated);

  // Canonical form: identity scopes first, in the order openid fhirUser launch/patient
  // offline_access, then resource scopes sorted by type ("*" first), v2 letters, single spaces.
  // parse(s.toString()) == s for every ScopeSet s.
  std::string toString() const;

  // True when the set grants every bit of `permission` on `resourceType`, either by that type's
  // entry or by the "*" entry. permits("*", p) asks about the "*" entry alone.
  bool permits(std::string_view resourceType, Permission permission) const;
  // The letters granted on `resourceType`, "*" entry included (0 when none).
  uint8_t permissionsFor(std::string_view resourceType) const;

  // Per type, the letters both sets grant; a "*" entry on one side meets a concrete type on the
  // other as that type's letters. Identity scopes: those present in both.
  ScopeSet intersect(const ScopeSet& other) const;
  // Everything either set grants (used to add up the ticked rows of the consent screen).
  ScopeSet unionWith(const ScopeSet& other) const;
  // True when `other` grants at least everything this set grants (identity scopes included).
  // "Refresh can narrow, never widen": a refresh's scope must be a subset of the pairing's.
  bool isSubsetOf(const ScopeSet& other) const;

  // True when `identityScope` (openid, fhirUser, launch/patient, offline_access) is in the set.
  // Any other string, resource scopes included, gives false.
  bool has(std::string_view identityScope) const;
  // No scope at all, identity or resource.
  bool empty() const { return identity_ == 0 && resources_.empty(); }
  // At least one resource scope.
  bool hasResourceScopes() const { return !resources_.empty(); }

  // The resource scopes in canonical order (sorted by type, "*" first).
  const std::vector<ResourceScope>& resourceScopes() const { return resources_; }
  const_iterator begin() const { return resources_.begin(); }
  const_iterator end() const { return resources_.end(); }

  bool operator==(const ScopeSet&) const = default;

  // The permission a gateway interaction needs (gateway/router.h interactionName):
  // read, vread, history → kRead; search → kSearch; create → kCreate; update → kUpdate;
  // delete → kDelete. Anything else — "transaction" (the caller checks each entry with that
  // entry's own interaction), "public", an unknown name — gives nullopt, so that a caller cannot
  // mistake "no letter needed" for "allowed".
  static std::optional<Permission> permissionFor(std::string_view interaction);

 private:
  friend class ScopeSetBuilder;

  uint8_t identity_ = 0;                  // bits indexed like the identity-scope table in .cpp
  std::vector<ResourceScope> resources_;  // canonical, see top
};

}  // namespace mes::oauth
