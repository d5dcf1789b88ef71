#include "fhir/json/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace mes::fhir {

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}

Value Value::numberText(std::string text) {
  Value v;
  v.kind_ = Kind::kNumber;
  v.text_ = std::move(text);
  return v;
}

Value Value::number(int64_t n) { return numberText(std::to_string(n)); }

Value Value::number(double d) {
  if (!std::isfinite(d)) return null();
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  std::string text(buf, res.ptr);
  // Shortest round-trip in fixed notation can be long for tiny numbers; fall back to general.
  if (text.size() > 24) {
    res = std::to_chars(buf, buf + sizeof buf, d);
    text.assign(buf, res.ptr);
  }
  return numberText(std::move(text));
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.text_ = std::move(s);
  return v;
}

Value Value::array() {
  Value v;
  v.kind_ = Kind::kArray;
  return v;
}

Value Value::object() {
  Value v;
  v.kind_ = Kind::kObject;
  return v;
}

const char* Value::kindName(Kind kind) {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "boolean";
    case Kind::kNumber: return "number";
    case Kind::kString: return "string";
    case Kind::kArray: return "array";
    case Kind::kObject: return "object";
  }
  return "unknown";
}

std::optional<double> Value::asDouble() const {
  if (kind_ != Kind::kNumber) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(text_.c_str(), &end);
  if (end != text_.c_str() + text_.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<int64_t> Value::asInt() const {
  if (kind_ != Kind::kNumber) return std::nullopt;
  int64_t n = 0;
  auto res = std::from_chars(text_.data(), text_.data() + text_.size(), n);
  if (res.ec != std::errc() || res.ptr != text_.data() + text_.size()) return std::nullopt;
  return n;
}

Value& Value::push(Value v) {
  items_.push_back(std::move(v));
  return items_.back();
}

const Value* Value::find(std::string_view key) const {
  for (const auto& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

Value* Value::find(std::string_view key) {
  for (auto& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

Value& Value::set(std::string_view key, Value v) {
  if (Value* existing = find(key)) {
    *existing = std::move(v);
    return *existing;
  }
  members_.emplace_back(std::string(key), std::move(v));
  return members_.back().second;
}

bool Value::erase(std::string_view key) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (it->first == key) {
      members_.erase(it);
      return true;
    }
  }
  return false;
}

const std::string* Value::findString(std::string_view key) const {
  const Value* v = find(key);
  return (v != nullptr && v->isString()) ? &v->text_ : nullptr;
}

bool Value::operator==(const Value& other) const {
  return kind_ == other.kind_ && bool_ == other.bool_ && text_ == other.text_ &&
         items_ == other.items_ && members_ == other.members_;
}

}  // namespace mes::fhir
