#include "fhir/json/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <unordered_set>

namespace mes::fhir {
namespace {

// Builds a Value from RapidJSON SAX events, enforcing depth and key uniqueness.
class Builder {
 public:
  explicit Builder(size_t maxDepth) : maxDepth_(maxDepth) {}

  bool Null() { return add(Value::null()); }
  bool Bool(bool b) { return add(Value::boolean(b)); }
  // With kParseNumbersAsStringsFlag every number arrives here with its literal text.
  bool RawNumber(const char* str, rapidjson::SizeType len, bool) {
    return add(Value::numberText(std::string(str, len)));
  }
  // Unused with kParseNumbersAsStringsFlag, required by the handler concept.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool String(const char* str, rapidjson::SizeType len, bool) {
    if (hasLoneSurrogate(str, len)) return loneSurrogate();
    return add(Value::string(std::string(str, len)));
  }
  bool StartObject() { return open(Value::object()); }
  bool Key(const char* str, rapidjson::SizeType len, bool) {
    if (hasLoneSurrogate(str, len)) return loneSurrogate();
    Frame& f = stack_.back();
    std::string key(str, len);
    bool duplicate = false;
    if (f.value.members().size() < kLinearScanLimit) {
      duplicate = f.value.find(key) != nullptr;
    } else {
      if (f.keys.empty()) {
        for (const auto& m : f.value.members()) f.keys.insert(m.first);
      }
      duplicate = !f.keys.insert(key).second;
    }
    if (duplicate) {
      failure_ = Failure::kDuplicateKey;
      failureKey_ = key;
      return false;
    }
    f.key = std::move(key);
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(Value::array()); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  enum class Failure { kNone, kTooDeep, kDuplicateKey, kLoneSurrogate };
  Failure failure() const { return failure_; }
  const std::string& failureKey() const { return failureKey_; }
  Value take() { return std::move(root_); }

 private:
  static constexpr size_t kLinearScanLimit = 16;

  // RapidJSON validates raw UTF-8, but decodes an unpaired "\udc00"-"\udfff" escape into the
  // bytes ED B0..BF xx, which are not UTF-8 and would be stored and served as such. Raw input
  // cannot contain them (it is validated), so finding them means such an escape.
  static bool hasLoneSurrogate(const char* str, rapidjson::SizeType len) {
    for (rapidjson::SizeType i = 0; i + 1 < len; ++i) {
      const auto c = static_cast<unsigned char>(str[i]);
      const auto next = static_cast<unsigned char>(str[i + 1]);
      if (c == 0xED && next >= 0xA0 && next <= 0xBF) return true;
    }
    return false;
  }
  bool loneSurrogate() {
    failure_ = Failure::kLoneSurrogate;
    return false;
  }
  struct Frame {
    Value value;
    std::string key;
    std::unordered_set<std::string> keys;
  };

  bool add(Value v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return true;
    }
    Frame& f = stack_.back();
    if (f.value.isArray()) {
      f.value.push(std::move(v));
    } else {
      f.value.members().emplace_back(std::move(f.key), std::move(v));
      f.key.clear();
    }
    return true;
  }
  bool open(Value v) {
    if (stack_.size() >= maxDepth_) {
      failure_ = Failure::kTooDeep;
      return false;
    }
    stack_.push_back(Frame{std::move(v), {}, {}});
    return true;
  }
  bool close() {
    Value v = std::move(stack_.back().value);
    stack_.pop_back();
    return add(std::move(v));
  }

  size_t maxDepth_;
  std::vector<Frame> stack_;
  Value root_;
  Failure failure_ = Failure::kNone;
  std::string failureKey_;
};

std::string position(std::string_view text, size_t offset) {
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

template <typename Writer>
void write(const Value& v, Writer& w) {
  switch (v.kind()) {
    case Value::Kind::kNull: w.Null(); break;
    case Value::Kind::kBool: w.Bool(v.asBool()); break;
    case Value::Kind::kNumber:
      w.RawValue(v.text().data(), v.text().size(), rapidjson::kNumberType);
      break;
    case Value::Kind::kString:
      w.String(v.text().data(), static_cast<rapidjson::SizeType>(v.text().size()));
      break;
    case Value::Kind::kArray:
      w.StartArray();
      for (const auto& item : v.items()) write(item, w);
      w.EndArray();
      break;
    case Value::Kind::kObject:
      w.StartObject();
      for (const auto& [key, member] : v.members()) {
        w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
        write(member, w);
      }
      w.EndObject();
      break;
  }
}

}  // namespace

Result<Value> parseJson(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.maxBytes) {
    return Error::make(ErrorKind::kTooLarge, "body-too-large",
                       "The JSON body is " + std::to_string(text.size()) +
                           " bytes; the limit is " + std::to_string(limits.maxBytes) + ".");
  }
  Builder builder(limits.maxDepth);
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(text.data(), text.size());
  constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag;
  rapidjson::ParseResult ok = reader.Parse<kFlags>(stream, builder);
  if (!ok) {
    switch (builder.failure()) {
      case Builder::Failure::kTooDeep:
        return Error::make(ErrorKind::kInvalid, "json-too-deep",
                           "JSON nesting is deeper than the limit of " +
                               std::to_string(limits.maxDepth) + " levels (at " +
                               position(text, ok.Offset()) + ").");
      case Builder::Failure::kDuplicateKey:
        return Error::make(ErrorKind::kInvalid, "json-duplicate-key",
                           "The JSON object has the key \"" + builder.failureKey() +
                               "\" twice (at " + position(text, ok.Offset()) + ").");
      case Builder::Failure::kLoneSurrogate:
        return Error::make(ErrorKind::kInvalid, "json-malformed",
                           "The body is not valid JSON: a \\u escape encodes a lone UTF-16 "
                           "surrogate, which is no character (at " +
                               position(text, ok.Offset()) + ").");
      case Builder::Failure::kNone: break;
    }
    return Error::make(ErrorKind::kInvalid, "json-malformed",
                       std::string("The body is not valid JSON: ") +
                           rapidjson::GetParseError_En(ok.Code()) + " (at " +
                           position(text, ok.Offset()) + ").");
  }
  // kParseStopWhenDoneFlag stops after the root value: anything but whitespace after it is an error.
  size_t end = stream.Tell();
  for (size_t i = end; i < text.size(); ++i) {
    char c = text[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      return Error::make(ErrorKind::kInvalid, "json-malformed",
                         "The body is not valid JSON: unexpected content after the root value (at " +
                             position(text, i) + ").");
    }
  }
  return builder.take();
}

std::string toJson(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  write(value, writer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string toPrettyJson(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  write(value, writer);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace mes::fhir
