#include "gateway/http/message.h"

#include <cctype>

namespace mes::http {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool isPerHopHeader(std::string_view name) {
  for (const char* h : {"Host", "Content-Length", "Connection", "Transfer-Encoding", "Keep-Alive"}) {
    if (equalsIgnoreCase(name, h)) return true;
  }
  return false;
}

const std::string& Headers::get(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [key, value] : items_) {
    if (equalsIgnoreCase(key, name)) return value;
  }
  return kEmpty;
}

bool Headers::has(std::string_view name) const {
  for (const auto& item : items_) {
    if (equalsIgnoreCase(item.first, name)) return true;
  }
  return false;
}

void Headers::set(std::string_view name, std::string value) {
  std::erase_if(items_, [&](const auto& item) { return equalsIgnoreCase(item.first, name); });
  items_.emplace_back(std::string(name), std::move(value));
}

void Headers::add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
}

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string percentDecode(std::string_view text, bool plusAsSpace) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hexValue(text[i + 1]);
      int lo = hexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plusAsSpace && c == '+' ? ' ' : c);
  }
  return out;
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

namespace {

std::vector<std::pair<std::string, std::string>> splitPairs(std::string_view raw, bool plusAsSpace) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view part = raw.substr(start, end - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(percentDecode(part, plusAsSpace), std::string());
      } else {
        out.emplace_back(percentDecode(part.substr(0, eq), plusAsSpace),
                         percentDecode(part.substr(eq + 1), plusAsSpace));
      }
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view raw) {
  return splitPairs(raw, false);
}

std::vector<std::pair<std::string, std::string>> parseForm(std::string_view body) {
  return splitPairs(body, true);
}

const std::string& firstValue(const std::vector<std::pair<std::string, std::string>>& pairs,
                              std::string_view name) {
  static const std::string kEmpty;
  for (const auto& [n, v] : pairs) {
    if (n == name) return v;
  }
  return kEmpty;
}

size_t countOf(const std::vector<std::pair<std::string, std::string>>& pairs,
               std::string_view name) {
  size_t n = 0;
  for (const auto& p : pairs) n += p.first == name ? 1 : 0;
  return n;
}

}  // namespace mes::http
