#include "fhir/types/datatypes.h"

#include <algorithm>
#include <limits>

namespace mes::fhir {
namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string quoted(std::string_view text) {
  std::string out = "'";
  out += text;
  out += '\'';
  return out;
}

void emptyString(const Path& at, Issues& issues) {
  issues.structural("empty-element", at.str() + " must not be an empty string.", at);
}

// A JSON string that is not empty; reports and returns nullptr otherwise.
const std::string* nonEmptyString(const Value& value, const Path& at, Issues& issues) {
  if (!value.isString()) {
    issues.wrongType(at, "a string", value);
    return nullptr;
  }
  if (value.text().empty()) {
    emptyString(at, issues);
    return nullptr;
  }
  return &value.text();
}

bool isCodeText(std::string_view s) {
  // FHIR code: [^\s]+( [^\s]+)*
  if (s.empty() || isSpace(s.front()) || isSpace(s.back())) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (isSpace(s[i]) && (s[i] != ' ' || isSpace(s[i + 1]))) return false;
  }
  return true;
}

bool isTimeText(std::string_view s) {
  // hh:mm:ss(.s+)?
  auto digit = [&](size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
  if (s.size() < 8 || !digit(0) || !digit(1) || s[2] != ':' || !digit(3) || !digit(4) ||
      s[5] != ':' || !digit(6) || !digit(7)) {
    return false;
  }
  const int hh = (s[0] - '0') * 10 + (s[1] - '0');
  const int mm = (s[3] - '0') * 10 + (s[4] - '0');
  const int ss = (s[6] - '0') * 10 + (s[7] - '0');
  if (hh > 23 || mm > 59 || ss > 60) return false;
  if (s.size() == 8) return true;
  if (s[8] != '.' || s.size() == 9) return false;
  for (size_t i = 9; i < s.size(); ++i) {
    if (!digit(i)) return false;
  }
  return true;
}

constexpr std::string_view kCodingElements[] = {"id",   "extension", "system",      "version",
                                                "code", "display",   "userSelected"};
constexpr std::string_view kCodeableConceptElements[] = {"id", "extension", "coding", "text"};
constexpr std::string_view kQuantityElements[] = {"id",   "extension", "value", "comparator",
                                                  "unit", "system",    "code"};
constexpr std::string_view kSimpleQuantityElements[] = {"id",   "extension", "value",
                                                        "unit", "system",    "code"};
constexpr std::string_view kPeriodElements[] = {"id", "extension", "start", "end"};
constexpr std::string_view kIdentifierElements[] = {"id",     "extension", "use",    "type",
                                                    "system", "value",     "period", "assigner"};
constexpr std::string_view kReferenceElements[] = {"id",   "extension",  "reference",
                                                   "type", "identifier", "display"};
constexpr std::string_view kMetaElements[] = {"id",     "extension", "versionId", "lastUpdated",
                                              "source", "profile",   "security",  "tag"};
constexpr std::string_view kNarrativeElements[] = {"id", "extension", "status", "div"};
constexpr std::string_view kAnnotationElements[] = {"id",           "extension", "authorReference",
                                                    "authorString", "time",      "text"};
constexpr std::string_view kRangeElements[] = {"id", "extension", "low", "high"};
constexpr std::string_view kContactPointElements[] = {"id",  "extension", "system", "value",
                                                      "use", "rank",      "period"};

constexpr std::string_view kComparators[] = {"<", "<=", ">=", ">"};
constexpr std::string_view kIdentifierUses[] = {"usual", "official", "temp", "secondary", "old"};
constexpr std::string_view kNarrativeStatuses[] = {"generated", "extensions", "additional",
                                                   "empty"};
constexpr std::string_view kContactPointSystems[] = {"phone", "fax", "email", "pager",
                                                     "url",   "sms", "other"};
constexpr std::string_view kContactPointUses[] = {"home", "work", "temp", "old", "mobile"};

// How the value[x] of an Extension is read, by the type suffix of its element name.
enum class ValueRead {
  kString,
  kCode,
  kUri,
  kId,
  kInteger,
  kPositiveInt,
  kUnsignedInt,
  kDecimal,
  kBoolean,
  kDate,
  kDateTime,
  kInstant,
  kTime,
  kBase64,
  kQuantity,
  kCoding,
  kCodeableConcept,
  kReference,
  kPeriod,
  kIdentifier,
  kRange,
  kAnnotation,
  kContactPoint,
  kComplex,
};

struct ValueType {
  std::string_view suffix;
  ValueRead read;
};

// Every R4 type allowed for Extension.value[x].
constexpr ValueType kExtensionValueTypes[] = {
    {"Base64Binary", ValueRead::kBase64},
    {"Boolean", ValueRead::kBoolean},
    {"Canonical", ValueRead::kUri},
    {"Code", ValueRead::kCode},
    {"Date", ValueRead::kDate},
    {"DateTime", ValueRead::kDateTime},
    {"Decimal", ValueRead::kDecimal},
    {"Id", ValueRead::kId},
    {"Instant", ValueRead::kInstant},
    {"Integer", ValueRead::kInteger},
    {"Markdown", ValueRead::kString},
    {"Oid", ValueRead::kUri},
    {"PositiveInt", ValueRead::kPositiveInt},
    {"String", ValueRead::kString},
    {"Time", ValueRead::kTime},
    {"UnsignedInt", ValueRead::kUnsignedInt},
    {"Uri", ValueRead::kUri},
    {"Url", ValueRead::kUri},
    {"Uuid", ValueRead::kUri},
    {"Address", ValueRead::kComplex},
    {"Age", ValueRead::kQuantity},
    {"Annotation", ValueRead::kAnnotation},
    {"Attachment", ValueRead::kComplex},
    {"CodeableConcept", ValueRead::kCodeableConcept},
    {"Coding", ValueRead::kCoding},
    {"ContactPoint", ValueRead::kContactPoint},
    {"Count", ValueRead::kQuantity},
    {"Distance", ValueRead::kQuantity},
    {"Duration", ValueRead::kQuantity},
    {"HumanName", ValueRead::kComplex},
    {"Identifier", ValueRead::kIdentifier},
    {"Money", ValueRead::kComplex},
    {"Period", ValueRead::kPeriod},
    {"Quantity", ValueRead::kQuantity},
    {"Range", ValueRead::kRange},
    {"Ratio", ValueRead::kComplex},
    {"Reference", ValueRead::kReference},
    {"SampledData", ValueRead::kComplex},
    {"Signature", ValueRead::kComplex},
    {"Timing", ValueRead::kComplex},
    {"ContactDetail", ValueRead::kComplex},
    {"Contributor", ValueRead::kComplex},
    {"DataRequirement", ValueRead::kComplex},
    {"Expression", ValueRead::kComplex},
    {"ParameterDefinition", ValueRead::kComplex},
    {"RelatedArtifact", ValueRead::kComplex},
    {"TriggerDefinition", ValueRead::kComplex},
    {"UsageContext", ValueRead::kComplex},
    {"Dosage", ValueRead::kComplex},
    {"Meta", ValueRead::kComplex},
};

const ValueType* extensionValueType(std::string_view elementName) {
  if (elementName.size() <= 5 || elementName.substr(0, 5) != "value") return nullptr;
  const std::string_view suffix = elementName.substr(5);
  for (const ValueType& t : kExtensionValueTypes) {
    if (t.suffix == suffix) return &t;
  }
  return nullptr;
}

std::optional<int64_t> readBoundedInteger(const Value& value, const Path& at, Issues& issues,
                                          int64_t min, std::string_view typeName) {
  std::optional<int64_t> n = readInteger(value, at, issues);
  if (n && *n < min) {
    issues.structural("invalid-primitive",
                      at.str() + " must be a " + std::string(typeName) + " (at least " +
                          std::to_string(min) + "); got " + value.text() + ".",
                      at);
    return std::nullopt;
  }
  return n;
}

void readExtensionValue(const Value& value, const Path& at, const ValueType& type, Extension& out,
                        Issues& issues) {
  switch (type.read) {
    case ValueRead::kString:
      out.valueText = readString(value, at, issues);
      break;
    case ValueRead::kCode:
      out.valueText = readCode(value, at, issues);
      break;
    case ValueRead::kUri:
      out.valueText = readUri(value, at, issues);
      break;
    case ValueRead::kId:
      out.valueText = readId(value, at, issues);
      break;
    case ValueRead::kBase64:
      out.valueText = readString(value, at, issues);
      break;
    case ValueRead::kInteger:
      out.valueInteger = readInteger(value, at, issues);
      break;
    case ValueRead::kPositiveInt:
      out.valueInteger = readBoundedInteger(value, at, issues, 1, "positiveInt");
      break;
    case ValueRead::kUnsignedInt:
      out.valueInteger = readBoundedInteger(value, at, issues, 0, "unsignedInt");
      break;
    case ValueRead::kDecimal:
      out.valueDecimal = readDecimal(value, at, issues);
      break;
    case ValueRead::kBoolean:
      out.valueBoolean = readBoolean(value, at, issues);
      break;
    case ValueRead::kDate:
    case ValueRead::kDateTime:
    case ValueRead::kInstant: {
      const DateTimeForm form = type.read == ValueRead::kDate      ? DateTimeForm::kDate
                                : type.read == ValueRead::kInstant ? DateTimeForm::kInstant
                                                                   : DateTimeForm::kDateTime;
      if (readDateTime(value, at, issues, form)) out.valueText = value.text();
      break;
    }
    case ValueRead::kTime:
      if (const std::string* s = nonEmptyString(value, at, issues)) {
        if (isTimeText(*s)) {
          out.valueText = *s;
        } else {
          issues.structural("invalid-primitive",
                            at.str() + " must be a time hh:mm:ss; got " + quoted(*s) + ".", at);
        }
      }
      break;
    case ValueRead::kQuantity:
      out.valueQuantity = readQuantity(value, at, issues);
      break;
    case ValueRead::kCoding:
      out.valueCoding = readCoding(value, at, issues);
      break;
    case ValueRead::kCodeableConcept:
      out.valueCodeableConcept = readCodeableConcept(value, at, issues);
      break;
    case ValueRead::kReference:
      out.valueReference = readReference(value, at, issues);
      break;
    case ValueRead::kPeriod:
      out.valuePeriod = readPeriod(value, at, issues);
      break;
    case ValueRead::kIdentifier:
      out.valueIdentifier = readIdentifier(value, at, issues);
      break;
    case ValueRead::kRange:
      checkRange(value, at, issues);
      break;
    case ValueRead::kAnnotation:
      checkAnnotation(value, at, issues);
      break;
    case ValueRead::kContactPoint:
      checkContactPoint(value, at, issues);
      break;
    case ValueRead::kComplex:
      // A type no profile of this gateway reads: only its JSON shape is checked.
      if (!value.isObject()) {
        issues.wrongType(at, "an object", value);
      } else if (value.members().empty()) {
        issues.structural("empty-element", at.str() + " must not be an empty object.", at);
      }
      break;
  }
}

}  // namespace

// ---- Primitives -------------------------------------------------------------------------

bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

std::optional<std::string> readString(const Value& value, const Path& at, Issues& issues) {
  const std::string* s = nonEmptyString(value, at, issues);
  if (s == nullptr) return std::nullopt;
  return *s;
}

std::optional<std::string> readCode(const Value& value, const Path& at, Issues& issues) {
  const std::string* s = nonEmptyString(value, at, issues);
  if (s == nullptr) return std::nullopt;
  if (!isCodeText(*s)) {
    issues.structural("invalid-primitive",
                      at.str() +
                          " must be a code without leading, trailing or repeated "
                          "whitespace; got " +
                          quoted(*s) + ".",
                      at);
    return std::nullopt;
  }
  return *s;
}

std::optional<std::string> readCodeFrom(const Value& value, const Path& at, Issues& issues,
                                        std::span<const std::string_view> allowed) {
  std::optional<std::string> code = readCode(value, at, issues);
  if (!code) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *code) == allowed.end()) {
    std::string list;
    for (std::string_view a : allowed) {
      if (!list.empty()) list += ", ";
      list += a;
    }
    issues.error("code-invalid",
                 at.str() + " must be one of " + list + "; got " + quoted(*code) + ".", at,
                 IssueType::kCodeInvalid);
    return std::nullopt;
  }
  return code;
}

std::optional<std::string> readUri(const Value& value, const Path& at, Issues& issues) {
  const std::string* s = nonEmptyString(value, at, issues);
  if (s == nullptr) return std::nullopt;
  if (std::any_of(s->begin(), s->end(), isSpace)) {
    issues.structural("invalid-primitive",
                      at.str() + " must be a URI without whitespace; got " + quoted(*s) + ".", at);
    return std::nullopt;
  }
  return *s;
}

std::optional<std::string> readId(const Value& value, const Path& at, Issues& issues) {
  const std::string* s = nonEmptyString(value, at, issues);
  if (s == nullptr) return std::nullopt;
  if (!isValidId(*s)) {
    issues.structural("invalid-primitive",
                      at.str() + " must be a FHIR id (1 to 64 letters, digits, '-' or '.'); got " +
                          quoted(*s) + ".",
                      at);
    return std::nullopt;
  }
  return *s;
}

std::optional<bool> readBoolean(const Value& value, const Path& at, Issues& issues) {
  if (!value.isBool()) {
    issues.wrongType(at, "a boolean (true or false)", value);
    return std::nullopt;
  }
  return value.asBool();
}

std::optional<int64_t> readInteger(const Value& value, const Path& at, Issues& issues) {
  if (!value.isNumber()) {
    issues.wrongType(at, "a number", value);
    return std::nullopt;
  }
  std::optional<int64_t> n = value.asInt();
  if (!n || *n < std::numeric_limits<int32_t>::min() || *n > std::numeric_limits<int32_t>::max()) {
    issues.structural("invalid-primitive",
                      at.str() +
                          " must be a whole number between -2147483648 and 2147483647 "
                          "written without fraction or exponent; got " +
                          value.text() + ".",
                      at);
    return std::nullopt;
  }
  return n;
}

std::optional<Decimal> readDecimal(const Value& value, const Path& at, Issues& issues) {
  if (!value.isNumber()) {
    issues.wrongType(at, "a number", value);
    return std::nullopt;
  }
  std::optional<double> d = value.asDouble();
  if (!d) {
    issues.structural("invalid-primitive",
                      at.str() + " must be a finite decimal number; got " + value.text() + ".", at);
    return std::nullopt;
  }
  return Decimal{value.text(), *d};
}

std::optional<DateTime> readDateTime(const Value& value, const Path& at, Issues& issues,
                                     DateTimeForm form) {
  const std::string* s = nonEmptyString(value, at, issues);
  if (s == nullptr) return std::nullopt;
  Result<DateTime> parsed = parseDateTime(*s, form);
  if (!parsed.isOk()) {
    issues.structural("invalid-datetime", at.str() + ": " + parsed.error().problems.front().message,
                      at);
    return std::nullopt;
  }
  return *parsed;
}

// ---- Shape helpers ----------------------------------------------------------------------

bool checkObject(const Value& value, const Path& at, std::string_view what,
                 std::span<const std::string_view> known, Issues& issues) {
  if (!value.isObject()) {
    issues.wrongType(at, what, value);
    return false;
  }
  if (value.members().empty()) {
    issues.structural("empty-element",
                      at.str() + " must not be an empty object; leave the element out instead.",
                      at);
    return true;
  }
  issues.checkElements(value, at, known);
  // Extensions carried by primitives ("_name": {"extension": [...]}).
  for (const auto& [name, member] : value.members()) {
    if (name.size() < 2 || name.front() != '_') continue;
    if (std::find(known.begin(), known.end(), std::string_view(name).substr(1)) == known.end()) {
      continue;  // already reported as unknown
    }
    const Path where = at.member(name);
    auto readNested = [&](const Value& element, const Path& elementPath) {
      if (!element.isObject()) return;
      if (const Value* ext = element.find("extension")) {
        readExtensions(*ext, elementPath.member("extension"), issues);
      }
    };
    if (member.isArray()) {
      for (size_t i = 0; i < member.items().size(); ++i) {
        readNested(member.items()[i], where.index(i));
      }
    } else {
      readNested(member, where);
    }
  }
  return true;
}

// ---- Complex types ----------------------------------------------------------------------

const Coding* CodeableConcept::find(std::string_view system, std::string_view code) const {
  for (const Coding& c : coding) {
    if (c.system && c.code && *c.system == system && *c.code == code) return &c;
  }
  return nullptr;
}

namespace {
void readCommon(const Value& object, const Path& at, Issues& issues) {
  if (const Value* v = object.find("id")) readString(*v, at.member("id"), issues);
  if (const Value* v = object.find("extension")) {
    readExtensions(*v, at.member("extension"), issues);
  }
}
}  // namespace

std::optional<Coding> readCoding(const Value& value, const Path& at, Issues& issues) {
  if (!checkObject(value, at, "a Coding object", kCodingElements, issues)) return std::nullopt;
  readCommon(value, at, issues);
  Coding out;
  if (const Value* v = value.find("system")) out.system = readUri(*v, at.member("system"), issues);
  if (const Value* v = value.find("version")) {
    out.version = readString(*v, at.member("version"), issues);
  }
  if (const Value* v = value.find("code")) out.code = readCode(*v, at.member("code"), issues);
  if (const Value* v = value.find("display")) {
    out.display = readString(*v, at.member("display"), issues);
  }
  if (const Value* v = value.find("userSelected")) {
    out.userSelected = readBoolean(*v, at.member("userSelected"), issues);
  }
  return out;
}

std::optional<CodeableConcept> readCodeableConcept(const Value& value, const Path& at,
                                                   Issues& issues) {
  if (!checkObject(value, at, "a CodeableConcept object", kCodeableConceptElements, issues)) {
    return std::nullopt;
  }
  readCommon(value, at, issues);
  CodeableConcept out;
  if (const Value* v = value.find("coding")) {
    forEachItem(*v, at.member("coding"), issues, [&](const Value& item, const Path& p) {
      if (std::optional<Coding> c = readCoding(item, p, issues)) out.coding.push_back(*c);
    });
  }
  if (const Value* v = value.find("text")) out.text = readString(*v, at.member("text"), issues);
  return out;
}

std::optional<Quantity> readQuantity(const Value& value, const Path& at, Issues& issues,
                                     bool simple) {
  const bool isObject =
      simple ? checkObject(value, at, "a Quantity object", kSimpleQuantityElements, issues)
             : checkObject(value, at, "a Quantity object", kQuantityElements, issues);
  if (!isObject) return std::nullopt;
  readCommon(value, at, issues);
  Quantity out;
  if (const Value* v = value.find("value")) out.value = readDecimal(*v, at.member("value"), issues);
  if (!simple) {
    if (const Value* v = value.find("comparator")) {
      out.comparator = readCodeFrom(*v, at.member("comparator"), issues, kComparators);
    }
  }
  if (const Value* v = value.find("unit")) out.unit = readString(*v, at.member("unit"), issues);
  if (const Value* v = value.find("system")) out.system = readUri(*v, at.member("system"), issues);
  if (const Value* v = value.find("code")) out.code = readCode(*v, at.member("code"), issues);
  return out;
}

std::optional<Period> readPeriod(const Value& value, const Path& at, Issues& issues) {
  if (!checkObject(value, at, "a Period object", kPeriodElements, issues)) return std::nullopt;
  readCommon(value, at, issues);
  Period out;
  if (const Value* v = value.find("start"))
    out.start = readDateTime(*v, at.member("start"), issues);
  if (const Value* v = value.find("end")) out.end = readDateTime(*v, at.member("end"), issues);
  // per-1: start <= end, comparing the earliest possible start with the latest possible end.
  if (out.start && out.end && out.start->lowMs > out.end->highMs) {
    issues.error("period-reversed", at.str() + ".start must not be after " + at.str() + ".end.", at,
                 IssueType::kInvariant);
  }
  return out;
}

std::optional<Identifier> readIdentifier(const Value& value, const Path& at, Issues& issues) {
  if (!checkObject(value, at, "an Identifier object", kIdentifierElements, issues)) {
    return std::nullopt;
  }
  readCommon(value, at, issues);
  Identifier out;
  if (const Value* v = value.find("use")) {
    out.use = readCodeFrom(*v, at.member("use"), issues, kIdentifierUses);
  }
  if (const Value* v = value.find("type")) {
    out.type = readCodeableConcept(*v, at.member("type"), issues);
  }
  if (const Value* v = value.find("system")) out.system = readUri(*v, at.member("system"), issues);
  if (const Value* v = value.find("value")) out.value = readString(*v, at.member("value"), issues);
  if (const Value* v = value.find("period")) {
    out.period = readPeriod(*v, at.member("period"), issues);
  }
  if (const Value* v = value.find("assigner")) {
    if (std::optional<Reference> r = readReference(*v, at.member("assigner"), issues)) {
      out.assigner = std::make_shared<const Reference>(std::move(*r));
    }
  }
  return out;
}

std::optional<Reference> readReference(const Value& value, const Path& at, Issues& issues) {
  if (!checkObject(value, at, "a Reference object", kReferenceElements, issues)) {
    return std::nullopt;
  }
  readCommon(value, at, issues);
  Reference out;
  if (const Value* v = value.find("reference")) {
    out.reference = readString(*v, at.member("reference"), issues);
  }
  if (const Value* v = value.find("type")) out.type = readUri(*v, at.member("type"), issues);
  if (const Value* v = value.find("identifier")) {
    out.identifier = readIdentifier(*v, at.member("identifier"), issues);
  }
  if (const Value* v = value.find("display")) {
    out.display = readString(*v, at.member("display"), issues);
  }
  return out;
}

std::optional<Meta> readMeta(const Value& value, const Path& at, Issues& issues) {
  if (!checkObject(value, at, "a Meta object", kMetaElements, issues)) return std::nullopt;
  readCommon(value, at, issues);
  Meta out;
  if (const Value* v = value.find("versionId")) {
    out.versionId = readId(*v, at.member("versionId"), issues);
  }
  if (const Value* v = value.find("lastUpdated")) {
    out.lastUpdated = readDateTime(*v, at.member("lastUpdated"), issues, DateTimeForm::kInstant);
  }
  if (const Value* v = value.find("source")) out.source = readUri(*v, at.member("source"), issues);
  if (const Value* v = value.find("profile")) {
    forEachItem(*v, at.member("profile"), issues, [&](const Value& item, const Path& p) {
      if (std::optional<std::string> s = readUri(item, p, issues)) out.profile.push_back(*s);
    });
  }
  auto readCodings = [&](std::string_view name, std::vector<Coding>& target) {
    if (const Value* v = value.find(name)) {
      forEachItem(*v, at.member(name), issues, [&](const Value& item, const Path& p) {
        if (std::optional<Coding> c = readCoding(item, p, issues)) target.push_back(*c);
      });
    }
  };
  readCodings("security", out.security);
  readCodings("tag", out.tag);
  return out;
}

std::optional<Extension> readExtension(const Value& value, const Path& at, Issues& issues) {
  if (!value.isObject()) {
    issues.wrongType(at, "an Extension object", value);
    return std::nullopt;
  }
  if (value.members().empty()) {
    issues.structural("empty-element",
                      at.str() + " must not be an empty object; leave the element out instead.",
                      at);
    return std::nullopt;
  }
  Extension out;
  bool shapeOk = true;
  for (const auto& [name, member] : value.members()) {
    const Path where = at.member(name);
    if (name == "id" || name == "url") continue;
    if (name == "extension") continue;
    if (name == "_url" || name == "_id") continue;  // checked as primitive extensions below
    const ValueType* type = extensionValueType(name);
    if (type == nullptr) {
      // "_valueCode"-style siblings are handled with the primitive extensions.
      if (name.size() > 1 && name.front() == '_' && extensionValueType(name.substr(1)) != nullptr) {
        continue;
      }
      issues.unknownElement(where);
      shapeOk = false;
      continue;
    }
    if (!out.valueElement.empty()) {
      issues.structural("invalid-choice",
                        at.str() + " may carry only one value[x]; found " + out.valueElement +
                            " and " + name + ".",
                        where);
      shapeOk = false;
      continue;
    }
    out.valueElement = name;
    if (member.isNull()) {
      issues.structural("invalid-type", where.str() + " must not be null.", where);
      shapeOk = false;
      continue;
    }
    readExtensionValue(member, where, *type, out, issues);
  }
  // Primitive extensions of url/id/value[x], and the element names all checked alike.
  for (const auto& [name, member] : value.members()) {
    if (name != "_url" && name != "_id" &&
        (name.size() < 2 || name.front() != '_' || extensionValueType(name.substr(1)) == nullptr)) {
      continue;
    }
    const Path where = at.member(name);
    if (!member.isObject()) {
      issues.wrongType(where, "an object", member);
      continue;
    }
    static constexpr std::string_view kElementMembers[] = {"id", "extension"};
    issues.checkElements(member, where, kElementMembers);
    if (const Value* ext = member.find("extension")) {
      readExtensions(*ext, where.member("extension"), issues);
    }
  }
  if (const Value* v = value.find("id")) readString(*v, at.member("id"), issues);
  if (const Value* v = value.find("url")) {
    out.url = readUri(*v, at.member("url"), issues);
  } else {
    issues.missing(at.member("url"), "on every extension");
  }
  if (const Value* v = value.find("extension")) {
    out.extension = readExtensions(*v, at.member("extension"), issues);
  }
  // ext-1: either nested extensions or a value[x], not both, not neither.
  const bool hasNested = value.find("extension") != nullptr;
  const bool hasValue = !out.valueElement.empty();
  if (shapeOk && hasNested == hasValue) {
    issues.error("extension-invalid",
                 at.str() + (hasValue ? " must not have both a value[x] and nested extensions."
                                      : " must have a value[x] or nested extensions."),
                 at, IssueType::kInvariant);
  }
  return out;
}

std::vector<Extension> readExtensions(const Value& value, const Path& at, Issues& issues) {
  std::vector<Extension> out;
  forEachItem(value, at, issues, [&](const Value& item, const Path& p) {
    if (std::optional<Extension> e = readExtension(item, p, issues)) out.push_back(std::move(*e));
  });
  return out;
}

void checkNarrative(const Value& value, const Path& at, Issues& issues) {
  if (!checkObject(value, at, "a Narrative object", kNarrativeElements, issues)) return;
  readCommon(value, at, issues);
  if (const Value* v = value.find("status")) {
    readCodeFrom(*v, at.member("status"), issues, kNarrativeStatuses);
  } else {
    issues.missing(at.member("status"), "in a Narrative");
  }
  if (const Value* v = value.find("div")) {
    if (std::optional<std::string> div = readString(*v, at.member("div"), issues)) {
      if (div->rfind("<div", 0) != 0) {
        issues.structural("invalid-primitive", at.str() + ".div must be an XHTML <div> element.",
                          at.member("div"));
      }
    }
  } else {
    issues.missing(at.member("div"), "in a Narrative");
  }
}

void checkAnnotation(const Value& value, const Path& at, Issues& issues) {
  if (!checkObject(value, at, "an Annotation object", kAnnotationElements, issues)) return;
  readCommon(value, at, issues);
  const Value* byReference = value.find("authorReference");
  const Value* byString = value.find("authorString");
  if (byReference != nullptr && byString != nullptr) {
    issues.structural("invalid-choice",
                      at.str() +
                          " may carry only one author[x]; found authorReference and "
                          "authorString.",
                      at.member("authorString"));
  }
  if (byReference != nullptr) readReference(*byReference, at.member("authorReference"), issues);
  if (byString != nullptr) readString(*byString, at.member("authorString"), issues);
  if (const Value* v = value.find("time")) readDateTime(*v, at.member("time"), issues);
  if (const Value* v = value.find("text")) {
    readString(*v, at.member("text"), issues);
  } else {
    issues.missing(at.member("text"), "in an Annotation");
  }
}

void checkRange(const Value& value, const Path& at, Issues& issues) {
  if (!checkObject(value, at, "a Range object", kRangeElements, issues)) return;
  readCommon(value, at, issues);
  std::optional<Quantity> low;
  std::optional<Quantity> high;
  if (const Value* v = value.find("low")) low = readQuantity(*v, at.member("low"), issues, true);
  if (const Value* v = value.find("high")) high = readQuantity(*v, at.member("high"), issues, true);
  // rng-2: low <= high when both are present.
  if (low && high && low->value && high->value && low->value->value > high->value->value) {
    issues.error("range-reversed",
                 at.str() + ".low must not be greater than " + at.str() + ".high.", at,
                 IssueType::kInvariant);
  }
}

void checkContactPoint(const Value& value, const Path& at, Issues& issues) {
  if (!checkObject(value, at, "a ContactPoint object", kContactPointElements, issues)) return;
  readCommon(value, at, issues);
  if (const Value* v = value.find("system")) {
    readCodeFrom(*v, at.member("system"), issues, kContactPointSystems);
  }
  if (const Value* v = value.find("value")) readString(*v, at.member("value"), issues);
  if (const Value* v = value.find("use"))
    readCodeFrom(*v, at.member("use"), issues, kContactPointUses);
  if (const Value* v = value.find("rank"))
    readBoundedInteger(*v, at.member("rank"), issues, 1, "positiveInt");
  if (const Value* v = value.find("period")) readPeriod(*v, at.member("period"), issues);
  // cpt-2: a value needs its system.
  if (value.find("value") != nullptr && value.find("system") == nullptr) {
    issues.missing(at.member("system"), "when a ContactPoint has a value");
  }
}

bool parseRelativeReference(std::string_view reference, RelativeReference& out) {
  const size_t slash = reference.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  const std::string_view type = reference.substr(0, slash);
  // A resource type name: an upper-case letter then letters.
  if (type.front() < 'A' || type.front() > 'Z' ||
      !std::all_of(type.begin(), type.end(),
                   [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); })) {
    return false;
  }
  std::string_view rest = reference.substr(slash + 1);
  std::string_view version;
  constexpr std::string_view kHistory = "/_history/";
  if (const size_t h = rest.find(kHistory); h != std::string_view::npos) {
    version = rest.substr(h + kHistory.size());
    rest = rest.substr(0, h);
    if (!isValidId(version)) return false;
  }
  if (!isValidId(rest)) return false;
  out.type = std::string(type);
  out.id = std::string(rest);
  out.versionId = std::string(version);
  return true;
}

}  // namespace mes::fhir
