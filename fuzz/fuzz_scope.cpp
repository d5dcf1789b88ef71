// libFuzzer target: ScopeSet::parse (oauth/scope.h), fed the raw `scope` parameter of an
// authorization or token request, then the set algebra the endpoints use on what it accepts.
//
// Checked on every input:
//  - a refusal is kInvalid "invalid-scope", one Problem per distinct bad token, each with code
//    "invalid-scope" and a bounded message free of control characters (messages quote tokens);
//  - an accepted set is canonical: resource scopes all "patient", with letters (no 0, nothing
//    outside cruds), sorted by type with "*" first, no type twice, no concrete type repeating a
//    letter of "*"; parse(toString()) == the set; toString() is a fixed point; the set is a
//    subset of itself and equal to its own union and intersection.
// When the input holds a newline (never part of a scope), the text before and after the first
// one are parsed as two sets A and B; when both are accepted:
//  - for every type either names, "*" and one neither names, (A∩B).permissionsFor(t) is
//    pA(t) & pB(t) and (A∪B).permissionsFor(t) is pA(t) | pB(t); identity scopes likewise;
//  - ∩ and ∪ commute, their results are canonical (round-trip through toString), and
//    A ⊆ B ⇔ A∩B == A ⇔ A∪B == B.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "oauth/scope.h"

namespace {

using mes::ErrorKind;
using mes::Result;
using mes::fuzz::describe;
using mes::fuzz::printable;
using mes::oauth::ResourceScope;
using mes::oauth::ScopeSet;

constexpr std::string_view kIdentity[] = {"openid", "fhirUser", "launch/patient", "offline_access"};

void checkRefusal(const mes::Error& error, std::string_view input) {
  MES_FUZZ_CHECK(error.kind == ErrorKind::kInvalid && error.code() == "invalid-scope",
                 describe(error));
  MES_FUZZ_CHECK(!error.problems.empty(), "no problem");
  for (size_t i = 0; i < error.problems.size(); ++i) {
    const mes::Problem& p = error.problems[i];
    MES_FUZZ_CHECK(p.code == "invalid-scope" && !p.message.empty(), describe(error));
    MES_FUZZ_CHECK(p.message.size() <= 512, "message of " + std::to_string(p.message.size()) +
                                                " bytes for " + printable(input));
    for (char c : p.message) {
      const auto u = static_cast<unsigned char>(c);
      MES_FUZZ_CHECK(u >= 0x20 && u != 0x7f,
                     "control character in message " + printable(p.message));
    }
    for (size_t j = 0; j < i; ++j) {
      MES_FUZZ_CHECK(error.problems[j].message != p.message,
                     "the same problem twice: " + printable(p.message));
    }
  }
}

std::string show(const ScopeSet& s) {
  return printable(s.toString());
}

// Canonical form and round trip of one accepted set; `what` names it in failure messages.
void checkCanonical(const ScopeSet& set, const std::string& what) {
  const std::vector<ResourceScope>& rs = set.resourceScopes();
  uint8_t wildcard = 0;
  for (size_t i = 0; i < rs.size(); ++i) {
    const ResourceScope& r = rs[i];
    MES_FUZZ_CHECK(r.compartment == "patient", what + ": compartment " + printable(r.compartment));
    MES_FUZZ_CHECK(r.permissions != 0 && (r.permissions & ~mes::oauth::kAllPermissions) == 0,
                   what + ": permissions " + std::to_string(r.permissions) + " on " +
                       printable(r.resourceType));
    if (r.resourceType == "*") {
      MES_FUZZ_CHECK(i == 0, what + ": \"*\" is not first in " + show(set));
      wildcard = r.permissions;
    } else {
      MES_FUZZ_CHECK(
          (r.permissions & wildcard) == 0,
          what + ": " + printable(r.resourceType) + " repeats a letter of \"*\" in " + show(set));
    }
    if (i > 0) {
      MES_FUZZ_CHECK(rs[i - 1].resourceType < r.resourceType,
                     what + ": types not sorted or repeated in " + show(set));
    }
  }
  MES_FUZZ_CHECK(set.empty() == (set.toString().empty()), what + ": empty() disagrees");
  MES_FUZZ_CHECK(set.hasResourceScopes() == !rs.empty(), what + ": hasResourceScopes disagrees");

  const std::string text = set.toString();
  Result<ScopeSet> again = ScopeSet::parse(text);
  MES_FUZZ_CHECK(again.isOk(), what + ": toString " + printable(text) + " is refused\n" +
                                   (again ? std::string() : describe(again.error())));
  MES_FUZZ_CHECK(*again == set, what + ": toString " + printable(text) +
                                    " parses to another set, " + show(*again));
  MES_FUZZ_CHECK(again->toString() == text, what + ": toString not a fixed point: " +
                                                printable(text) + " then " + show(*again));
}

void checkSelf(const ScopeSet& set, const std::string& what) {
  checkCanonical(set, what);
  MES_FUZZ_CHECK(set.isSubsetOf(set), what + ": not a subset of itself: " + show(set));
  MES_FUZZ_CHECK(set.intersect(set) == set, what + ": A∩A = " + show(set.intersect(set)));
  MES_FUZZ_CHECK(set.unionWith(set) == set, what + ": A∪A = " + show(set.unionWith(set)));
  MES_FUZZ_CHECK(ScopeSet().isSubsetOf(set), what + ": the empty set is not a subset");
  for (const ResourceScope& r : set) {
    MES_FUZZ_CHECK((set.permissionsFor(r.resourceType) & r.permissions) == r.permissions,
                   what + ": permissionsFor(" + printable(r.resourceType) + ") misses letters");
  }
}

void checkPair(const ScopeSet& a, const ScopeSet& b) {
  const ScopeSet meet = a.intersect(b);
  const ScopeSet join = a.unionWith(b);
  const std::string pair = " of A " + show(a) + " and B " + show(b);
  checkCanonical(meet, "A∩B " + show(meet) + pair);
  checkCanonical(join, "A∪B " + show(join) + pair);
  MES_FUZZ_CHECK(b.intersect(a) == meet, "∩ does not commute" + pair);
  MES_FUZZ_CHECK(b.unionWith(a) == join, "∪ does not commute" + pair);

  std::vector<std::string> types = {"*", "Zzzunnamed"};
  for (const ResourceScope& r : a) types.push_back(r.resourceType);
  for (const ResourceScope& r : b) types.push_back(r.resourceType);
  for (const std::string& t : types) {
    const uint8_t pa = a.permissionsFor(t);
    const uint8_t pb = b.permissionsFor(t);
    MES_FUZZ_CHECK(
        meet.permissionsFor(t) == (pa & pb),
        "A∩B grants " + std::to_string(meet.permissionsFor(t)) + " on " + printable(t) + pair);
    MES_FUZZ_CHECK(
        join.permissionsFor(t) == (pa | pb),
        "A∪B grants " + std::to_string(join.permissionsFor(t)) + " on " + printable(t) + pair);
  }
  for (std::string_view id : kIdentity) {
    MES_FUZZ_CHECK(meet.has(id) == (a.has(id) && b.has(id)),
                   "A∩B identity " + std::string(id) + pair);
    MES_FUZZ_CHECK(join.has(id) == (a.has(id) || b.has(id)),
                   "A∪B identity " + std::string(id) + pair);
  }
  MES_FUZZ_CHECK(meet.isSubsetOf(a) && meet.isSubsetOf(b), "A∩B not below both" + pair);
  MES_FUZZ_CHECK(a.isSubsetOf(join) && b.isSubsetOf(join), "A∪B not above both" + pair);
  const bool sub = a.isSubsetOf(b);
  MES_FUZZ_CHECK(sub == (meet == a), std::string("A ⊆ B is ") + (sub ? "true" : "false") +
                                         " but A∩B == A is not" + pair);
  MES_FUZZ_CHECK(sub == (join == b), std::string("A ⊆ B is ") + (sub ? "true" : "false") +
                                         " but A∪B == B is not" + pair);
}

Result<ScopeSet> parseChecked(std::string_view text) {
  Result<ScopeSet> parsed = ScopeSet::parse(text);
  if (!parsed) {
    checkRefusal(parsed.error(), text);
  } else {
    checkSelf(*parsed, "parse(" + printable(text) + ") = " + show(*parsed));
  }
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Result<ScopeSet> whole = parseChecked(input);

  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  MES_FUZZ_CHECK(!whole.isOk(), "accepted a newline: " + printable(input));
  Result<ScopeSet> a = parseChecked(input.substr(0, newline));
  Result<ScopeSet> b = parseChecked(input.substr(newline + 1));
  if (a && b) checkPair(*a, *b);
  return 0;
}
