#include "gateway/registry/identifiers.h"

#include <algorithm>

namespace mes::gateway::registry {
namespace {

constexpr std::string_view kLaPosteSiren = "356000000";

bool allDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool luhnValid(std::string_view digits) {
  if (!allDigits(digits)) return false;
  int sum = 0;
  bool doubled = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (doubled) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    doubled = !doubled;
  }
  return sum % 10 == 0;
}

std::string normalizeSiret(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ') out.push_back(c);
  }
  if (out.size() != 14 || !allDigits(out)) return {};
  return out;
}

bool siretValid(std::string_view siret) {
  if (siret.size() != 14 || !allDigits(siret)) return false;
  if (luhnValid(siret)) return true;
  if (siret.substr(0, 9) != kLaPosteSiren) return false;
  int sum = 0;
  for (char c : siret) sum += c - '0';
  return sum % 5 == 0;
}

bool oidUrnValid(std::string_view text) {
  constexpr std::string_view kPrefix = "urn:oid:";
  if (text.substr(0, kPrefix.size()) != kPrefix) return false;
  const std::string_view oid = text.substr(kPrefix.size());
  size_t arcs = 0;
  size_t start = 0;
  while (start <= oid.size()) {
    size_t end = oid.find('.', start);
    if (end == std::string_view::npos) end = oid.size();
    const std::string_view arc = oid.substr(start, end - start);
    if (arc.empty() || (arc.size() > 1 && arc.front() == '0') || !allDigits(arc)) return false;
    ++arcs;
    start = end + 1;
  }
  return arcs >= 2;
}

bool emailLike(std::string_view text) {
  const size_t at = text.find('@');
  if (text.size() > 254 || at == std::string_view::npos || at == 0 ||
      text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = text.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.') {
    return false;
  }
  return std::none_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f;
  });
}

}  // namespace mes::gateway::registry
