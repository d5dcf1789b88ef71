#include "oauth/scope.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

namespace mes::oauth {

namespace {

// The identity scopes, in canonical order; bit i of ScopeSet::identity_ is kIdentityScopes[i].
constexpr std::array<std::string_view, 4> kIdentityScopes = {"openid", "fhirUser", "launch/patient",
                                                             "offline_access"};

constexpr std::string_view kLetters = "cruds";
constexpr std::array<uint8_t, 5> kLetterBits = {kCreate, kRead, kUpdate, kDelete, kSearch};

constexpr size_t kMaxTypeLength = 64;
constexpr size_t kMaxQuotedLength = 80;

std::optional<uint8_t> identityBit(std::string_view scope) {
  for (size_t i = 0; i < kIdentityScopes.size(); ++i) {
    if (kIdentityScopes[i] == scope) return static_cast<uint8_t>(1U << i);
  }
  return std::nullopt;
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
bool isScopeTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
}

// The token as it may appear in a message: printable ASCII only, bounded length.
std::string quoted(std::string_view token) {
  std::string out = "'";
  for (size_t i = 0; i < token.size() && i < kMaxQuotedLength; ++i) {
    const auto u = static_cast<unsigned char>(token[i]);
    out += (u >= 0x20 && u < 0x7F) ? token[i] : '?';
  }
  if (token.size() > kMaxQuotedLength) out += "...";
  out += "'";
  return out;
}

bool isUpper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool isAlpha(char c) {
  return isUpper(c) || (c >= 'a' && c <= 'z');
}

bool looksLikeResourceType(std::string_view type) {
  if (type == "*") return true;
  if (type.size() < 2 || type.size() > kMaxTypeLength || !isUpper(type.front())) return false;
  return std::all_of(type.begin(), type.end(), isAlpha);
}

// ".rs" → kRead|kSearch; v1 "read"/"write"/"*"; nullopt when not a permission suffix of ours.
std::optional<uint8_t> parsePermissions(std::string_view text) {
  if (text == "read") return static_cast<uint8_t>(kRead | kSearch);
  if (text == "write") return static_cast<uint8_t>(kCreate | kUpdate | kDelete);
  if (text == "*") return kAllPermissions;
  if (text.empty()) return std::nullopt;
  uint8_t bits = 0;
  size_t next = 0;  // letters must appear at strictly increasing positions of "cruds"
  for (const char c : text) {
    const size_t at = kLetters.find(c, next);
    if (at == std::string_view::npos) return std::nullopt;
    bits = static_cast<uint8_t>(bits | kLetterBits[at]);
    next = at + 1;
  }
  return bits;
}

using Grants = std::map<std::string, uint8_t, std::less<>>;

}  // namespace

// Builds canonical ScopeSets from per-type grants; the only way a ScopeSet gets its content.
class ScopeSetBuilder {
 public:
  static ScopeSet build(uint8_t identity, const Grants& grants) {
    ScopeSet set;
    set.identity_ = identity;
    uint8_t wildcard = 0;
    if (auto it = grants.find("*"); it != grants.end()) wildcard = it->second;
    // std::map orders "*" (0x2A) before every type starting with A-Z: canonical order for free.
    for (const auto& [type, bits] : grants) {
      const auto kept = static_cast<uint8_t>(type == "*" ? bits : bits & ~wildcard);
      if (kept == 0) continue;
      set.resources_.push_back(ResourceScope{"patient", type, kept});
    }
    return set;
  }

  static Grants grantsOf(const ScopeSet& set) {
    Grants grants;
    for (const ResourceScope& r : set.resources_) grants.emplace(r.resourceType, r.permissions);
    return grants;
  }
};

std::string permissionLetters(uint8_t permissions) {
  std::string out;
  for (size_t i = 0; i < kLetterBits.size(); ++i) {
    if ((permissions & kLetterBits[i]) != 0) out += kLetters[i];
  }
  return out;
}

namespace {

// Why `token` is refused, or empty when it is a resource scope whose parts were stored in
// `type` / `bits`.
std::string checkResourceScope(std::string_view token, std::string& type, uint8_t& bits) {
  const size_t slash = token.find('/');
  const std::string_view compartment = token.substr(0, slash);
  const std::string_view rest = token.substr(slash + 1);
  if (compartment == "user" || compartment == "system") {
    return "The scope " + quoted(token) +
           " is refused: an app paired with Mon espace santé acts for one patient only, so "
           "only patient/ scopes are granted (for example patient/Observation.rs).";
  }
  if (compartment != "patient") return "The scope " + quoted(token) + " is unknown.";
  if (rest.find('?') != std::string_view::npos) {
    return "The scope " + quoted(token) +
           " is refused: SMART scopes with query parameters are not supported; ask for the "
           "scope without '?...' (for example patient/Observation.rs).";
  }
  const size_t dot = rest.rfind('.');
  if (dot == std::string_view::npos) {
    return "The scope " + quoted(token) +
           " is malformed: expected patient/<ResourceType>.<permissions>, for example "
           "patient/Observation.rs.";
  }
  const std::string_view typeText = rest.substr(0, dot);
  if (!looksLikeResourceType(typeText)) {
    return "The scope " + quoted(token) +
           " is malformed: the resource type must be a FHIR resource type such as Observation, "
           "or '*'.";
  }
  const auto parsed = parsePermissions(rest.substr(dot + 1));
  if (!parsed) {
    return "The scope " + quoted(token) +
           " is malformed: the permissions must be letters among c r u d s, each at most once "
           "and in that order (for example .rs or .cud), or the SMART v1 .read, .write or .*.";
  }
  type = std::string(typeText);
  bits = *parsed;
  return {};
}

// Why a token that is neither an identity scope nor patient/… is refused.
std::string refusalOf(std::string_view token) {
  if (token == "launch") {
    return "The scope 'launch' is refused: Mon espace santé supports the SMART standalone "
           "launch only, not the EHR launch; ask for launch/patient.";
  }
  if (token.starts_with("launch/")) {
    return "The scope " + quoted(token) +
           " is refused: the only launch context offered is launch/patient.";
  }
  if (token == "profile") {
    return "The scope 'profile' is refused: SMART replaced it with fhirUser; ask for "
           "openid fhirUser.";
  }
  if (token == "online_access") {
    return "The scope 'online_access' is refused: ask for offline_access to receive a refresh "
           "token.";
  }
  return "The scope " + quoted(token) + " is unknown.";
}

}  // namespace

Result<ScopeSet> ScopeSet::parse(std::string_view spaceSeparated) {
  if (spaceSeparated.size() > kMaxScopeParameterLength) {
    return Error::make(ErrorKind::kInvalid, "invalid-scope",
                       "The scope parameter is longer than " +
                           std::to_string(kMaxScopeParameterLength) + " characters.");
  }
  Error error;
  error.kind = ErrorKind::kInvalid;
  auto refuse = [&error](std::string message) {
    for (const Problem& p : error.problems) {
      if (p.message == message) return;  // the same bad token twice is one problem
    }
    Problem problem;
    problem.code = "invalid-scope";
    problem.message = std::move(message);
    error.problems.push_back(std::move(problem));
  };

  uint8_t identity = 0;
  Grants grants;
  size_t pos = 0;
  while (pos < spaceSeparated.size()) {
    if (spaceSeparated[pos] == ' ') {
      ++pos;
      continue;
    }
    const size_t end = std::min(spaceSeparated.find(' ', pos), spaceSeparated.size());
    const std::string_view token = spaceSeparated.substr(pos, end - pos);
    pos = end;

    if (!std::all_of(token.begin(), token.end(), isScopeTokenChar)) {
      refuse("The scope " + quoted(token) +
             " contains characters not allowed in a scope (control, non-ASCII, quote or "
             "backslash characters; scopes are separated by single spaces).");
      continue;
    }
    if (const auto bit = identityBit(token)) {
      identity = static_cast<uint8_t>(identity | *bit);
      continue;
    }
    if (token.find('/') == std::string_view::npos || token.starts_with("launch/")) {
      refuse(refusalOf(token));
      continue;
    }
    std::string type;
    uint8_t bits = 0;
    std::string why = checkResourceScope(token, type, bits);
    if (!why.empty()) {
      refuse(std::move(why));
      continue;
    }
    grants[type] = static_cast<uint8_t>(grants[type] | bits);
  }
  if (!error.problems.empty()) return error;
  return ScopeSetBuilder::build(identity, grants);
}

std::string ScopeSet::toString() const {
  std::string out;
  auto append = [&out](std::string_view part) {
    if (!out.empty()) out += ' ';
    out += part;
  };
  for (size_t i = 0; i < kIdentityScopes.size(); ++i) {
    if ((identity_ & (1U << i)) != 0) append(kIdentityScopes[i]);
  }
  for (const ResourceScope& r : resources_) {
    append(r.compartment + "/" + r.resourceType + "." + permissionLetters(r.permissions));
  }
  return out;
}

uint8_t ScopeSet::permissionsFor(std::string_view resourceType) const {
  uint8_t bits = 0;
  for (const ResourceScope& r : resources_) {
    if (r.resourceType == resourceType || r.resourceType == "*") {
      bits = static_cast<uint8_t>(bits | r.permissions);
    }
  }
  return bits;
}

bool ScopeSet::permits(std::string_view resourceType, Permission permission) const {
  if (permission == 0) return false;
  return (permissionsFor(resourceType) & permission) == permission;
}

ScopeSet ScopeSet::intersect(const ScopeSet& other) const {
  // The usual case on every request: a token's scope within its pairing's.
  if (isSubsetOf(other)) return *this;
  if (other.isSubsetOf(*this)) return other;
  Grants grants;
  auto meet = [&](std::string_view type) {
    const auto bits = static_cast<uint8_t>(permissionsFor(type) & other.permissionsFor(type));
    if (bits != 0) grants.emplace(std::string(type), bits);
  };
  for (const ResourceScope& r : resources_) meet(r.resourceType);
  for (const ResourceScope& r : other.resources_) meet(r.resourceType);
  return ScopeSetBuilder::build(static_cast<uint8_t>(identity_ & other.identity_), grants);
}

ScopeSet ScopeSet::unionWith(const ScopeSet& other) const {
  Grants grants = ScopeSetBuilder::grantsOf(*this);
  for (const ResourceScope& r : other.resources_) {
    grants[r.resourceType] = static_cast<uint8_t>(grants[r.resourceType] | r.permissions);
  }
  return ScopeSetBuilder::build(static_cast<uint8_t>(identity_ | other.identity_), grants);
}

bool ScopeSet::isSubsetOf(const ScopeSet& other) const {
  if ((identity_ & ~other.identity_) != 0) return false;
  return std::all_of(resources_.begin(), resources_.end(), [&other](const ResourceScope& r) {
    return (r.permissions & ~other.permissionsFor(r.resourceType)) == 0;
  });
}

bool ScopeSet::has(std::string_view identityScope) const {
  const auto bit = identityBit(identityScope);
  return bit && (identity_ & *bit) != 0;
}

std::optional<Permission> ScopeSet::permissionFor(std::string_view interaction) {
  if (interaction == "read" || interaction == "vread" || interaction == "history") return kRead;
  if (interaction == "search") return kSearch;
  if (interaction == "create") return kCreate;
  if (interaction == "update") return kUpdate;
  if (interaction == "delete") return kDelete;
  return std::nullopt;
}

}  // namespace mes::oauth
