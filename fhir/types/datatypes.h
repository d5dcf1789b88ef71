// FHIR R4 datatypes read from the JSON model, with every shape problem reported into Issues.
//
// Each read* function takes the JSON value of one element, the FHIRPath location of that
// element and the Issues collector. It checks the JSON type, the element names of complex
// types (unknown names, null or empty members: structural), the lexical form of primitives
// (structural, "invalid-primitive" or "invalid-datetime"), and the codes of R4 required
// bindings it owns (rule, "code-invalid"). It returns what could be read: std::nullopt only
// when the value is not even of the right JSON type; a complex value with a bad member comes
// back with that member left empty, so callers can keep checking the rest in the same pass.
// Required-element rules of a profile are the caller's business; R4 invariants of the type
// itself (e.g. Period start <= end, Extension has a value or nested extensions) are checked.
//
// The returned structs copy what they read; they do not point into the JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json/value.h"
#include "fhir/types/datetime.h"
#include "fhir/validation/issues.h"

namespace mes::fhir {

// ---- Primitives -------------------------------------------------------------------------

// FHIR id: [A-Za-z0-9\-.]{1,64}.
bool isValidId(std::string_view id);

// A FHIR decimal, as written (JSON number literal) and as a double.
struct Decimal {
  std::string text;  // e.g. "70.50": precision kept
  double value = 0;
};

// string / markdown: a non-empty JSON string.
std::optional<std::string> readString(const Value& value, const Path& at, Issues& issues);
// code: a JSON string without leading/trailing whitespace nor runs of whitespace.
std::optional<std::string> readCode(const Value& value, const Path& at, Issues& issues);
// code from a required binding: also "code-invalid" (rule) when not one of `allowed`.
std::optional<std::string> readCodeFrom(const Value& value, const Path& at, Issues& issues,
                                        std::span<const std::string_view> allowed);
// uri / url / canonical / oid / uuid: a JSON string without whitespace.
std::optional<std::string> readUri(const Value& value, const Path& at, Issues& issues);
// id: a JSON string matching isValidId.
std::optional<std::string> readId(const Value& value, const Path& at, Issues& issues);
std::optional<bool> readBoolean(const Value& value, const Path& at, Issues& issues);
// integer: a JSON number without fraction or exponent, within the 32-bit signed range.
std::optional<int64_t> readInteger(const Value& value, const Path& at, Issues& issues);
// decimal: a JSON number (never a string) with a finite value.
std::optional<Decimal> readDecimal(const Value& value, const Path& at, Issues& issues);
// date / dateTime / instant (pick with `form`), parsed by parseDateTime; malformed text is
// structural "invalid-datetime".
std::optional<DateTime> readDateTime(const Value& value, const Path& at, Issues& issues,
                                     DateTimeForm form = DateTimeForm::kDateTime);

// ---- Shape helpers shared by the datatypes and the profiles -----------------------------

// Checks that `value` is a JSON object with only the element names `known` (plus "_name"
// siblings of known primitives, whose nested extensions are read as Extensions). `what`
// names the type in the message, e.g. "a Coding object". Returns false when `value` is not
// an object (reported as "invalid-type").
bool checkObject(const Value& value, const Path& at, std::string_view what,
                 std::span<const std::string_view> known, Issues& issues);
// For a repeating element (0..*): reports "invalid-type" unless `value` is a JSON array and
// "empty-element" when it is empty, then calls `item(itemValue, at.index(i))` for each item.
// Returns false when not an array.
template <typename Fn>
bool forEachItem(const Value& value, const Path& at, Issues& issues, Fn&& item) {
  if (!value.isArray()) {
    issues.wrongType(at, "an array", value);
    return false;
  }
  if (value.items().empty()) {
    issues.structural("empty-element",
                      at.str() + " must not be an empty array; leave the element out instead.", at);
  }
  for (size_t i = 0; i < value.items().size(); ++i) item(value.items()[i], at.index(i));
  return true;
}

// ---- Complex types ----------------------------------------------------------------------

struct Extension;
struct Reference;

struct Coding {
  std::optional<std::string> system;
  std::optional<std::string> version;
  std::optional<std::string> code;
  std::optional<std::string> display;
  std::optional<bool> userSelected;
};

struct CodeableConcept {
  std::vector<Coding> coding;
  std::optional<std::string> text;

  // The first coding with exactly this system and code, or nullptr.
  const Coding* find(std::string_view system, std::string_view code) const;
};

// Quantity (also SimpleQuantity, Age, Duration, Distance, Count: same JSON shape).
struct Quantity {
  std::optional<Decimal> value;
  std::optional<std::string> comparator;  // < | <= | >= | >
  std::optional<std::string> unit;        // human text
  std::optional<std::string> system;
  std::optional<std::string> code;  // coded unit, authoritative
};

struct Period {
  std::optional<DateTime> start;
  std::optional<DateTime> end;
};

struct Identifier {
  std::optional<std::string> use;  // usual | official | temp | secondary | old
  std::optional<CodeableConcept> type;
  std::optional<std::string> system;
  std::optional<std::string> value;
  std::optional<Period> period;
  std::shared_ptr<const Reference> assigner;  // null when absent
};

struct Reference {
  std::optional<std::string> reference;  // literal: "Patient/123", absolute URL, "urn:uuid:..."
  std::optional<std::string> type;
  std::optional<Identifier> identifier;
  std::optional<std::string> display;
};

struct Meta {
  std::optional<std::string> versionId;
  std::optional<DateTime> lastUpdated;
  std::optional<std::string> source;
  std::vector<std::string> profile;  // canonicals, possibly "url|version"
  std::vector<Coding> security;
  std::vector<Coding> tag;
};

// Extension: url plus either one value[x] or nested extensions. The profiles use the typed
// fields below; a value[x] of another R4 type is checked for its JSON shape only and its
// element name is kept in valueElement.
struct Extension {
  std::optional<std::string> url;
  std::string valueElement;              // "valueCode", "valueInteger"... ; empty when no value[x]
  std::optional<std::string> valueText;  // valueCode, valueString, valueUri, valueUrl,
                                         // valueCanonical, valueId, valueMarkdown, valueOid,
                                         // valueUuid, and date/time kinds as written
  std::optional<int64_t> valueInteger;   // valueInteger, valuePositiveInt, valueUnsignedInt
  std::optional<Decimal> valueDecimal;
  std::optional<bool> valueBoolean;
  std::optional<Quantity> valueQuantity;  // valueQuantity, valueAge, valueDuration,
                                          // valueDistance, valueCount
  std::optional<Coding> valueCoding;
  std::optional<CodeableConcept> valueCodeableConcept;
  std::optional<Reference> valueReference;
  std::optional<Period> valuePeriod;
  std::optional<Identifier> valueIdentifier;
  std::vector<Extension> extension;  // nested (complex extension)
};

std::optional<Coding> readCoding(const Value& value, const Path& at, Issues& issues);
std::optional<CodeableConcept> readCodeableConcept(const Value& value, const Path& at,
                                                   Issues& issues);
// Quantity; comparator checked against its R4 binding. `simple` = SimpleQuantity (the
// comparator element is then unknown).
std::optional<Quantity> readQuantity(const Value& value, const Path& at, Issues& issues,
                                     bool simple = false);
// Period; "period-reversed" (rule) when start is after end.
std::optional<Period> readPeriod(const Value& value, const Path& at, Issues& issues);
std::optional<Identifier> readIdentifier(const Value& value, const Path& at, Issues& issues);
std::optional<Reference> readReference(const Value& value, const Path& at, Issues& issues);
std::optional<Meta> readMeta(const Value& value, const Path& at, Issues& issues);
// One Extension; "extension-invalid" (rule) when it has both or neither of value[x] and
// nested extensions; url required.
std::optional<Extension> readExtension(const Value& value, const Path& at, Issues& issues);
// An `extension` / `modifierExtension` array.
std::vector<Extension> readExtensions(const Value& value, const Path& at, Issues& issues);

// Shape-only checks of the other R4 types an Observation or a Device may carry.
void checkNarrative(const Value& value, const Path& at, Issues& issues);     // Narrative
void checkAnnotation(const Value& value, const Path& at, Issues& issues);    // Annotation
void checkRange(const Value& value, const Path& at, Issues& issues);         // Range
void checkContactPoint(const Value& value, const Path& at, Issues& issues);  // ContactPoint

// Splits a literal relative reference "Type/id" (optionally "Type/id/_history/vid").
// Returns false unless `reference` has that form with a valid id.
struct RelativeReference {
  std::string type;
  std::string id;
  std::string versionId;  // empty when the reference is not versioned
};
bool parseRelativeReference(std::string_view reference, RelativeReference& out);

}  // namespace mes::fhir
