#include "conformance/report/exchange_text.h"

namespace mes::conformance {

namespace {

// Length of the valid UTF-8 sequence at `at`, or 0.
size_t utf8Length(std::string_view s, size_t at) {
  const auto c = static_cast<unsigned char>(s[at]);
  size_t n = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (at + n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    const auto cc = static_cast<unsigned char>(s[at + i]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  const bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Mostly text: valid UTF-8 and few control characters.
bool looksLikeText(std::string_view bytes) {
  size_t bad = 0;
  const size_t sample = std::min<size_t>(bytes.size(), 4096);
  for (size_t i = 0; i < sample;) {
    const size_t n = utf8Length(bytes, i);
    if (n == 0) {
      ++bad;
      ++i;
      continue;
    }
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (n == 1 && ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)) ++bad;
    i += n;
  }
  return bad * 50 <= sample;  // at most 2 %
}

void appendHeaders(std::string& out, const http::Headers& headers) {
  for (const auto& [name, value] : headers.all()) out += name + ": " + value + "\n";
}

void appendBody(std::string& out, const http::Headers& headers, std::string_view body,
                size_t maxBodyBytes) {
  if (body.empty()) return;
  out += "\n";
  if (!looksLikeText(body)) {
    const std::string type = headers.get("Content-Type");
    out += "(" + std::to_string(body.size()) + " bytes" + (type.empty() ? "" : " of " + type) +
           ", not text: not shown)\n";
    return;
  }
  if (body.size() > maxBodyBytes) {
    out += printableText(body.substr(0, maxBodyBytes));
    out += "\n(cut here: " + std::to_string(body.size()) + " bytes in all)\n";
    return;
  }
  out += printableText(body);
  if (out.back() != '\n') out += "\n";
}

}  // namespace

bool isUtf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = utf8Length(bytes, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string printableText(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = utf8Length(bytes, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (n == 1 && ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)) {
      out += '?';
    } else {
      out.append(bytes.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string exchangeLine(const Exchange& exchange) {
  std::string out = exchange.method + " " + exchange.url;
  if (!exchange.failure.empty()) return out + " → no response: " + exchange.failure;
  out += " → " + std::to_string(exchange.status);
  if (!exchange.reason.empty()) out += " " + exchange.reason;
  return printableText(out);
}

std::string exchangeText(const Exchange& exchange, size_t maxBodyBytes) {
  std::string out = exchange.method + " " + exchange.url + "\n";
  appendHeaders(out, exchange.requestHeaders);
  appendBody(out, exchange.requestHeaders, exchange.requestBody, maxBodyBytes);
  out += "\n";
  if (!exchange.failure.empty()) {
    out += "(no response: " + exchange.failure + ")\n";
    return printableText(out);
  }
  out += "HTTP " + std::to_string(exchange.status) +
         (exchange.reason.empty() ? "" : " " + exchange.reason) + " (" +
         std::to_string(exchange.durationMs) + " ms)\n";
  appendHeaders(out, exchange.responseHeaders);
  appendBody(out, exchange.responseHeaders, exchange.responseBody, maxBodyBytes);
  return printableText(out);
}

}  // namespace mes::conformance
