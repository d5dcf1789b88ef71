#include "fhir/json/attachment_spool.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace mes::fhir {
namespace {

constexpr std::string_view kPlaceholderPrefix = "spool:";
constexpr size_t kSinkChunk = 64 << 10;  // decoded bytes buffered before a sink write

constexpr uint8_t kSpace = 64;
constexpr uint8_t kPad = 65;
constexpr uint8_t kBad = 255;

constexpr std::array<uint8_t, 256> makeBase64Table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kBad;
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < alphabet.size(); ++i) {
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<uint8_t>(i);
  }
  t[' '] = t['\t'] = t['\n'] = t['\r'] = kSpace;
  t['='] = kPad;
  return t;
}
constexpr std::array<uint8_t, 256> kBase64Table = makeBase64Table();

// Minimal streaming base64 decoder (standard alphabet, '=' padding, whitespace skipped, unused
// bits must be zero). Private until fhir/types/base64.h offers a streaming one.
class Base64Stream {
 public:
  // Decodes [p, p+n) into `out`. Returns n, or the index of the first byte it refuses.
  size_t feed(const char* p, size_t n, std::string& out) {
    for (size_t i = 0; i < n; ++i) {
      const uint8_t v = kBase64Table[static_cast<unsigned char>(p[i])];
      if (v < 64) {
        if (padding_ != Padding::kNone) return i;
        bits_ = (bits_ << 6) | v;
        if (++count_ == 4) {
          const char bytes[3] = {static_cast<char>(bits_ >> 16), static_cast<char>(bits_ >> 8),
                                 static_cast<char>(bits_)};
          out.append(bytes, 3);
          bits_ = 0;
          count_ = 0;
        }
      } else if (v == kSpace) {
        continue;
      } else if (v == kPad) {
        if (padding_ == Padding::kOneMore) {
          padding_ = Padding::kDone;
        } else if (padding_ == Padding::kDone) {
          return i;
        } else if (count_ == 2) {
          if ((bits_ & 0xF) != 0) return i;
          out.push_back(static_cast<char>(bits_ >> 4));
          padding_ = Padding::kOneMore;
          bits_ = 0;
          count_ = 0;
        } else if (count_ == 3) {
          if ((bits_ & 0x3) != 0) return i;
          const char bytes[2] = {static_cast<char>(bits_ >> 10), static_cast<char>(bits_ >> 2)};
          out.append(bytes, 2);
          padding_ = Padding::kDone;
          bits_ = 0;
          count_ = 0;
        } else {
          return i;
        }
      } else {
        return i;
      }
    }
    return n;
  }
  // True when the text so far is complete: whole groups of four, padding finished.
  bool complete() const { return count_ == 0 && padding_ != Padding::kOneMore; }
  void reset() { *this = Base64Stream(); }

 private:

  enum class Padding : uint8_t { kNone, kOneMore, kDone };
  uint32_t bits_ = 0;
  int count_ = 0;
  Padding padding_ = Padding::kNone;
};

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error invalid(std::string code, const std::string& message, uint64_t offset) {
  return Error::make(ErrorKind::kInvalid, std::move(code),
                     message + " (at byte " + std::to_string(offset) + ")");
}

}  // namespace

class AttachmentSpool::Impl {
 public:
  Impl(SpoolSink& sink, SpoolOptions options) : sink_(sink), options_(std::move(options)) {}

  Status feed(std::string_view chunk) {
    if (failure_) return *failure_;
    if (finished_) return fail(Error::internal("AttachmentSpool::feed after finish"));
    const char* p = chunk.data();
    const char* const end = p + chunk.size();
    while (p < end) {
      const uint64_t at = fed_ + static_cast<uint64_t>(p - chunk.data());
      Result<size_t> used =
          inString_ ? stringBytes(p, static_cast<size_t>(end - p), at) : outsideBytes(p, end, at);
      if (!used) {
        failure_ = used.takeError();
        return *failure_;
      }
      p += *used;
    }
    fed_ += chunk.size();
    return Status::ok();
  }

  Status finish() {
    if (failure_) return *failure_;
    if (finished_) return Status::ok();
    if (inString_) {
      return fail(invalid("json-malformed", "The body ends inside a string.", fed_));
    }
    finished_ = true;
    return Status::ok();
  }

  std::string output_;
  std::vector<SpooledValue> spooled_;
  uint64_t fed_ = 0;

 private:
  enum class Mode : uint8_t {
    kInline,     // a key or a value that may not be spooled: straight to the output
    kCandidate,  // a value that may be spooled: buffered in pending_ until it closes or grows
    kSpool,      // a long value: unescaped, decoded, written to the sink
  };
  enum class Escape : uint8_t { kNone, kBackslash, kHex };

  Status fail(Error e) {
    failure_ = std::move(e);
    return *failure_;
  }

  Status emit(std::string_view text, uint64_t at) {
    if (output_.size() + text.size() > options_.maxOutputBytes) {
      Error e = Error::make(ErrorKind::kTooLarge, "body-too-large",
                            "The body without its attachment is larger than " +
                                std::to_string(options_.maxOutputBytes) + " bytes.");
      e.detail = "at byte " + std::to_string(at);
      return e;
    }
    output_.append(text);
    return Status::ok();
  }

  // Outside strings: copies through, tracking containers and whether a string is a key.
  Result<size_t> outsideBytes(const char* p, const char* end, uint64_t at) {
    const char c = *p;
    switch (c) {
      case '"':
        MES_RETURN_IF_ERROR(startString(at));
        break;
      case '{':
      case '[':
        if (containers_.size() >= options_.maxDepth) {
          return invalid("json-too-deep",
                         "The body nests deeper than " + std::to_string(options_.maxDepth) +
                             " levels.",
                         at);
        }
        containers_.push_back(c == '{');
        expectKey_ = c == '{';
        memberMatches_ = false;
        break;
      case '}':
      case ']':
        if (!containers_.empty()) containers_.pop_back();
        expectKey_ = false;
        memberMatches_ = false;
        break;
      case ',':
        expectKey_ = inObject();
        memberMatches_ = false;
        break;
      case ':':
        expectKey_ = false;
        memberMatches_ = inObject() && lastKeyMatched_;
        break;
      default: {
        // Whitespace, numbers, literals (and whatever the parser will refuse later): a run.
        const char* q = p + 1;
        while (q < end && !isStructural(*q)) ++q;
        MES_RETURN_IF_ERROR(emit(std::string_view(p, static_cast<size_t>(q - p)), at));
        return static_cast<size_t>(q - p);
      }
    }
    if (c != '"') MES_RETURN_IF_ERROR(emit(std::string_view(p, 1), at));
    return size_t{1};
  }

  static bool isStructural(char c) {
    return c == '"' || c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':';
  }
  bool inObject() const { return !containers_.empty() && containers_.back(); }

  Status startString(uint64_t at) {
    MES_RETURN_IF_ERROR(emit("\"", at));
    inString_ = true;
    escape_ = Escape::kNone;
    isKey_ = expectKey_ && inObject();
    if (isKey_) {
      mode_ = Mode::kInline;
      keyLength_ = 0;
      keyMatches_ = true;
    } else if (options_.member.empty() || memberMatches_) {
      mode_ = Mode::kCandidate;
      pending_.clear();
      stringStart_ = at;
    } else {
      mode_ = Mode::kInline;
    }
    expectKey_ = false;
    memberMatches_ = false;
    return Status::ok();
  }

  // Inside a string: consumes bytes from p (at most n), returns how many.
  Result<size_t> stringBytes(const char* p, size_t n, uint64_t at) {
    if (escape_ == Escape::kNone) {
      const char c = *p;
      if (c == '"') {
        MES_RETURN_IF_ERROR(endString(at));
        return size_t{1};
      }
      if (c != '\\') {
        if (static_cast<unsigned char>(c) < 0x20) {
          return invalid("json-malformed", "A string holds a raw control character.", at);
        }
        // A run of plain characters.
        size_t run = 1;
        while (run < n && isPlain(p[run])) ++run;
        if (mode_ == Mode::kCandidate) {
          run = std::min(run, options_.threshold + 1 - pending_.size());
        } else if (mode_ == Mode::kSpool) {
          run = std::min(run, kSinkChunk);
        }
        MES_RETURN_IF_ERROR(plain(std::string_view(p, run), at));
        return run;
      }
    }
    // One byte of an escape sequence.
    MES_RETURN_IF_ERROR(escapeByte(*p, at));
    return size_t{1};
  }

  static bool isPlain(char c) {
    return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
  }

  // Plain characters of the current string (no quote, backslash or control character).
  Status plain(std::string_view text, uint64_t at) {
    switch (mode_) {
      case Mode::kInline:
        if (isKey_) trackKey(text);
        return emit(text, at);
      case Mode::kCandidate:
        pending_.append(text);
        return checkThreshold(at);
      case Mode::kSpool:
        encoded_ += text.size();
        return decode(text, at);
    }
    return Status::ok();
  }

  Status escapeByte(char c, uint64_t at) {
    std::optional<char> unescaped;  // the character an escape stands for, once complete
    switch (escape_) {
      case Escape::kNone:  // the backslash
        escape_ = Escape::kBackslash;
        break;
      case Escape::kBackslash:
        switch (c) {
          case '"': case '\\': case '/': unescaped = c; break;
          case 'b': unescaped = '\b'; break;
          case 'f': unescaped = '\f'; break;
          case 'n': unescaped = '\n'; break;
          case 'r': unescaped = '\r'; break;
          case 't': unescaped = '\t'; break;
          case 'u':
            escape_ = Escape::kHex;
            hexDigits_ = 0;
            hexValue_ = 0;
            break;
          default:
            return invalid("json-malformed", "A string holds an invalid escape sequence.", at);
        }
        if (unescaped) escape_ = Escape::kNone;
        break;
      case Escape::kHex: {
        const int v = hexValue(c);
        if (v < 0) return invalid("json-malformed", "A \\u escape needs four hex digits.", at);
        hexValue_ = hexValue_ * 16 + static_cast<uint32_t>(v);
        if (++hexDigits_ == 4) {
          if (hexValue_ == 0) {
            return invalid("json-reserved-character",
                           "Strings may not contain the character U+0000.", at);
          }
          escape_ = Escape::kNone;
          // Base64 is ASCII: anything else stands for a byte the decoder refuses.
          unescaped = hexValue_ < 0x80 ? static_cast<char>(hexValue_) : '\x80';
        }
        break;
      }
    }
    switch (mode_) {
      case Mode::kInline:
        if (isKey_) trackKey(std::string_view(&c, 1));
        return emit(std::string_view(&c, 1), at);
      case Mode::kCandidate:
        pending_.push_back(c);
        return checkThreshold(at);
      case Mode::kSpool:
        ++encoded_;
        if (unescaped) return decode(std::string_view(&*unescaped, 1), at);
        return Status::ok();
    }
    return Status::ok();
  }

  void trackKey(std::string_view raw) {
    const std::string& member = options_.member;
    if (keyMatches_) {
      keyMatches_ = keyLength_ + raw.size() <= member.size() &&
                    member.compare(keyLength_, raw.size(), raw) == 0;
    }
    keyLength_ += raw.size();
  }

  // A candidate that grew past the threshold becomes a spooled value: its buffered prefix goes
  // through the decoder as if it had streamed from the start.
  Status checkThreshold(uint64_t at) {
    if (pending_.size() <= options_.threshold) return Status::ok();
    if (spooled_.size() >= options_.maxSpooledValues) {
      Error e = Error::make(
          ErrorKind::kTooLarge, "too-many-large-values",
          "The body holds more than " + std::to_string(options_.maxSpooledValues) +
              " large value(s); a document goes in content.attachment.data, one per request.");
      e.detail = "at byte " + std::to_string(at);
      return e;
    }
    const size_t index = spooled_.size();
    spooled_.push_back(SpooledValue{.index = index});
    MES_RETURN_IF_ERROR(sink_.startValue(index));
    mode_ = Mode::kSpool;
    escape_ = Escape::kNone;
    encoded_ = 0;
    decoder_.reset();
    decoded_.clear();
    const std::string prefix = std::move(pending_);
    pending_.clear();
    const uint64_t base = stringStart_ + 1;
    for (size_t i = 0; i < prefix.size();) {
      auto used = stringBytes(prefix.data() + i, prefix.size() - i, base + i);
      if (!used) return used.takeError();
      i += *used;
    }
    return Status::ok();
  }

  Status decode(std::string_view text, uint64_t at) {
    const size_t used = decoder_.feed(text.data(), text.size(), decoded_);
    if (used < text.size()) {
      return invalid("base64-invalid",
                     "The attachment data is not valid base64 (standard alphabet, padded).",
                     at + used);
    }
    if (decoded_.size() >= kSinkChunk) return flush();
    return Status::ok();
  }

  Status flush() {
    if (decoded_.empty()) return Status::ok();
    spooled_.back().decodedBytes += decoded_.size();
    Status s = sink_.write(decoded_);
    decoded_.clear();
    return s;
  }

  Status endString(uint64_t at) {
    inString_ = false;
    switch (mode_) {
      case Mode::kInline:
        if (isKey_) lastKeyMatched_ = keyMatches_ && keyLength_ == options_.member.size();
        return emit("\"", at);
      case Mode::kCandidate: {
        MES_RETURN_IF_ERROR(emit(pending_, at));
        pending_.clear();
        return emit("\"", at);
      }
      case Mode::kSpool: {
        if (!decoder_.complete()) {
          return invalid("base64-invalid",
                         "The attachment data is not valid base64: it ends inside a group of "
                         "four characters.",
                         at);
        }
        MES_RETURN_IF_ERROR(flush());
        SpooledValue& value = spooled_.back();
        value.encodedBytes = encoded_;
        // The opening quote is already out.
        MES_RETURN_IF_ERROR(
            emit("\\u0000" + std::string(kPlaceholderPrefix) + std::to_string(value.index) + "\"",
                 at));
        return sink_.endValue(value);
      }
    }
    return Status::ok();
  }

  SpoolSink& sink_;
  const SpoolOptions options_;
  std::optional<Error> failure_;
  bool finished_ = false;

  // Outside strings.
  std::vector<bool> containers_;  // true: object
  bool expectKey_ = false;        // the next string, in an object, is a key
  bool memberMatches_ = false;    // the next value belongs to a member named options_.member
  bool lastKeyMatched_ = false;

  // Inside a string.
  bool inString_ = false;
  bool isKey_ = false;
  Mode mode_ = Mode::kInline;
  Escape escape_ = Escape::kNone;
  int hexDigits_ = 0;
  uint32_t hexValue_ = 0;
  size_t keyLength_ = 0;
  bool keyMatches_ = false;
  std::string pending_;       // a candidate's raw text so far, at most threshold + 1 bytes
  uint64_t stringStart_ = 0;  // offset of the candidate's opening quote
  uint64_t encoded_ = 0;
  Base64Stream decoder_;
  std::string decoded_;
};

AttachmentSpool::AttachmentSpool(SpoolSink& sink, SpoolOptions options)
    : impl_(std::make_unique<Impl>(sink, std::move(options))) {}
AttachmentSpool::~AttachmentSpool() = default;

Status AttachmentSpool::feed(std::string_view chunk) { return impl_->feed(chunk); }
Status AttachmentSpool::finish() { return impl_->finish(); }
const std::string& AttachmentSpool::output() const { return impl_->output_; }
std::string AttachmentSpool::takeOutput() { return std::move(impl_->output_); }
const std::vector<SpooledValue>& AttachmentSpool::spooled() const { return impl_->spooled_; }
uint64_t AttachmentSpool::bytesFed() const { return impl_->fed_; }

std::string spoolPlaceholder(size_t index) {
  return std::string(1, '\0') + std::string(kPlaceholderPrefix) + std::to_string(index);
}

std::optional<size_t> spooledIndex(std::string_view value) {
  if (value.size() < 1 + kPlaceholderPrefix.size() + 1 || value[0] != '\0' ||
      value.substr(1, kPlaceholderPrefix.size()) != kPlaceholderPrefix) {
    return std::nullopt;
  }
  const std::string_view digits = value.substr(1 + kPlaceholderPrefix.size());
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  size_t index = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return index;
}

}  // namespace mes::fhir
