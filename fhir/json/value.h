// A JSON document model that keeps what FHIR needs and RapidJSON's DOM loses:
// numbers keep their exact text (70.50 stays 70.50), and object members keep their order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mes::fhir {

class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, Value>;

  Value() = default;
  static Value null() { return Value(); }
  static Value boolean(bool b);
  // `text` must be a JSON number literal (the parser and numberFrom* guarantee it).
  static Value numberText(std::string text);
  static Value number(int64_t n);
  // Shortest text that reads back as `d` (no exponent for ordinary magnitudes).
  static Value number(double d);
  static Value string(std::string s);
  static Value array();
  static Value object();

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::kNull; }
  bool isBool() const { return kind_ == Kind::kBool; }
  bool isNumber() const { return kind_ == Kind::kNumber; }
  bool isString() const { return kind_ == Kind::kString; }
  bool isArray() const { return kind_ == Kind::kArray; }
  bool isObject() const { return kind_ == Kind::kObject; }
  static const char* kindName(Kind kind);

  bool asBool() const { return bool_; }
  // String contents, or the literal text of a number.
  const std::string& text() const { return text_; }
  // Number as double / as integer (nullopt when not a number, or not integral for asInt).
  std::optional<double> asDouble() const;
  std::optional<int64_t> asInt() const;

  // Arrays.
  const std::vector<Value>& items() const { return items_; }
  std::vector<Value>& items() { return items_; }
  Value& push(Value v);

  // Objects. find() returns nullptr when absent.
  const std::vector<Member>& members() const { return members_; }
  std::vector<Member>& members() { return members_; }
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  // Replace the member's value or append a new member; returns the stored value.
  Value& set(std::string_view key, Value v);
  bool erase(std::string_view key);

  // String member or nullptr when absent or not a string.
  const std::string* findString(std::string_view key) const;

  bool operator==(const Value& other) const;

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

}  // namespace mes::fhir
