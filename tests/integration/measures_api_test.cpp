// The Measures API over HTTP, against the real binary (SPEC §2).
#include <boost/test/unit_test.hpp>

#include "integration/measures_fixture.h"

using namespace mes::itest;
using mes::fhir::Value;

BOOST_AUTO_TEST_SUITE(measures_api)

BOOST_AUTO_TEST_CASE(metadata_lists_what_is_implemented) {
  auto r = appClient().get("/fhir/metadata");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.header("Content-Type").find("application/fhir+json") != std::string::npos);
  Value cs = json(r);
  BOOST_TEST(*cs.findString("resourceType") == "CapabilityStatement");
  BOOST_TEST(*cs.findString("fhirVersion") == "4.0.1");
  const Value& resources = *cs.find("rest")->items()[0].find("resource");
  bool sawObservation = false;
  for (const auto& res : resources.items()) {
    if (*res.findString("type") != "Observation") continue;
    sawObservation = true;
    BOOST_TEST(res.find("supportedProfile")->items().size() == 11u);
    std::vector<std::string> interactions;
    for (const auto& i : res.find("interaction")->items()) interactions.push_back(*i.findString("code"));
    BOOST_TEST(interactions.size() == 7u);
    BOOST_TEST(res.find("searchInclude")->items()[0].text() == "Observation:device");
  }
  BOOST_TEST(sawObservation);
}

BOOST_AUTO_TEST_CASE(healthz_and_patient_read) {
  auto& gw = sharedGateway();
  BOOST_TEST(gw.client().get("/healthz").status == 200);
  BOOST_TEST(gw.client().get("/readyz").status == 200);
  // No MES API family grants patient/Patient.r: the app learns who the patient is from the
  // token response (patient) and the ID token, not by reading the Patient resource. The scope
  // is checked before existence, so an unknown id tells nothing either.
  auto p = appClient().get("/fhir/Patient/demo");
  BOOST_TEST(p.status == 403);
  BOOST_TEST(outcomeCode(p) == "consent-missing");
  auto missing = appClient().get("/fhir/Patient/nobody");
  BOOST_TEST(missing.status == 403);
  BOOST_TEST(outcomeCode(missing) == "consent-missing");
}

BOOST_AUTO_TEST_CASE(create_read_update_delete_with_versions) {
  auto c = appClient();
  auto created = c.post("/fhir/Observation", weight("70.50"));
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  const std::string id = idOf(created);
  BOOST_TEST(created.header("ETag") == "W/\"1\"");
  BOOST_TEST(!created.header("Last-Modified").empty());
  BOOST_TEST(created.header("Location") ==
             sharedGateway().baseUrl() + "/fhir/Observation/" + id + "/_history/1");
  // Decimal precision is kept to the byte.
  BOOST_TEST(created.body.find("\"value\":70.50") != std::string::npos);
  Value body = json(created);
  BOOST_TEST(*body.find("meta")->findString("versionId") == "1");
  BOOST_TEST(body.find("meta")->find("profile") != nullptr);

  auto read = c.get("/fhir/Observation/" + id);
  BOOST_TEST(read.status == 200);
  BOOST_TEST(read.body == created.body);
  BOOST_TEST(read.header("ETag") == "W/\"1\"");

  // Update with the right version, then with a stale one.
  std::string changed = weight("71.25");
  changed.insert(1, "\"id\":\"" + id + "\",");
  auto updated = c.put("/fhir/Observation/" + id, changed, "application/fhir+json",
                       {{"If-Match", "W/\"1\""}});
  BOOST_REQUIRE_MESSAGE(updated.status == 200, updated.body);
  BOOST_TEST(updated.header("ETag") == "W/\"2\"");
  BOOST_TEST(updated.body.find("\"value\":71.25") != std::string::npos);
  auto stale = c.put("/fhir/Observation/" + id, changed, "application/fhir+json",
                     {{"If-Match", "W/\"1\""}});
  BOOST_TEST(stale.status == 412);
  BOOST_TEST(outcomeCode(stale) == "version-conflict");
  BOOST_TEST(c.get("/fhir/Observation/" + id).header("ETag") == "W/\"2\"");
  auto badIfMatch = c.put("/fhir/Observation/" + id, changed, "application/fhir+json",
                          {{"If-Match", "yesterday"}});
  BOOST_TEST(badIfMatch.status == 400);
  BOOST_TEST(outcomeCode(badIfMatch) == "invalid-if-match");

  // vread keeps each version.
  auto v1 = c.get("/fhir/Observation/" + id + "/_history/1");
  BOOST_TEST(v1.status == 200);
  BOOST_TEST(v1.body == created.body);
  BOOST_TEST(c.get("/fhir/Observation/" + id + "/_history/9").status == 404);

  // Delete: 204, then 410 on read, history keeps all three versions.
  auto staleDelete = c.del("/fhir/Observation/" + id, {{"If-Match", "W/\"1\""}});
  BOOST_TEST(staleDelete.status == 412);
  auto deleted = c.del("/fhir/Observation/" + id, {{"If-Match", "W/\"2\""}});
  BOOST_TEST(deleted.status == 204);
  auto gone = c.get("/fhir/Observation/" + id);
  BOOST_TEST(gone.status == 410);
  BOOST_TEST(outcomeCode(gone) == "deleted");
  auto history = c.get("/fhir/Observation/" + id + "/_history");
  BOOST_TEST(history.status == 200);
  Value h = json(history);
  BOOST_TEST(*h.findString("type") == "history");
  BOOST_TEST(h.find("entry")->items().size() == 3u);
  BOOST_TEST(c.get("/fhir/Observation/" + id + "/_history/2").status == 200);
  BOOST_TEST(c.get("/fhir/Observation/unknown-id").status == 404);
}

BOOST_AUTO_TEST_CASE(meta_source_is_not_the_clients_to_set) {
  auto c = appClient();
  std::string body = weight("72");
  body.replace(body.find("\"meta\":{"), 8, "\"meta\":{\"source\":\"urn:oid:1.2.3.999\",");
  auto created = c.post("/fhir/Observation", body);
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  // The gateway writes the service's identity: its editor OID, then #client_id.
  const mes::fhir::Value stored = json(created);
  const std::string* source = stored.find("meta")->findString("source");
  BOOST_REQUIRE(source != nullptr);
  BOOST_TEST(*source == "urn:oid:1.2.250.1.999.1#demo-app");
}

BOOST_AUTO_TEST_CASE(update_rules) {
  auto c = appClient();
  auto created = c.post("/fhir/Observation", weight("80"));
  const std::string id = idOf(created);
  // The id in the body must match the URL.
  auto noId = c.put("/fhir/Observation/" + id, weight("81"));
  BOOST_TEST(noId.status == 400);
  BOOST_TEST(outcomeCode(noId) == "id-mismatch");
  // A measure cannot change its code.
  std::string pulse = quantityMeasure("mes-observation-heartrate", "8867-4", "60", "/min");
  pulse.insert(1, "\"id\":\"" + id + "\",");
  auto codeChange = c.put("/fhir/Observation/" + id, pulse);
  BOOST_TEST(codeChange.status == 422);
  BOOST_TEST(outcomeCode(codeChange) == "code-change");
  // No update-as-create: ids belong to the server.
  std::string other = weight("81");
  other.insert(1, "\"id\":\"not-there\",");
  auto absent = c.put("/fhir/Observation/not-there", other);
  BOOST_TEST(absent.status == 404);
}

BOOST_AUTO_TEST_CASE(if_none_exist_makes_uploads_idempotent) {
  auto c = appClient();
  const std::string extra =
      R"("identifier":[{"system":"urn:oid:1.2.3.4","value":"upload-42"}],)";
  const std::string body = weight("64.2", "2024-06-01T07:00:00Z", extra);
  auto first = c.post("/fhir/Observation", body, "application/fhir+json",
                      {{"If-None-Exist", "identifier=urn:oid:1.2.3.4|upload-42"}});
  BOOST_REQUIRE_MESSAGE(first.status == 201, first.body);
  auto again = c.post("/fhir/Observation", body, "application/fhir+json",
                      {{"If-None-Exist", "identifier=urn:oid:1.2.3.4|upload-42"}});
  BOOST_TEST(again.status == 200);
  BOOST_TEST(idOf(again) == idOf(first));
  auto bad = c.post("/fhir/Observation", body, "application/fhir+json",
                    {{"If-None-Exist", "colour=blue"}});
  BOOST_TEST(bad.status == 400);
  // No criterion at all would match every measure; another patient's data is never searched.
  auto noCriterion = c.post("/fhir/Observation", body, "application/fhir+json",
                            {{"If-None-Exist", "_sort=date"}});
  BOOST_TEST(noCriterion.status == 400);
  BOOST_TEST(outcomeCode(noCriterion) == "invalid-if-none-exist");
  auto otherPatient = c.post("/fhir/Observation", body, "application/fhir+json",
                             {{"If-None-Exist", "patient=someone-else&identifier=urn:oid:1.2.3.4|upload-42"}});
  BOOST_TEST(otherPatient.status == 400);
  BOOST_TEST(outcomeCode(otherPatient) == "invalid-if-none-exist");
}

BOOST_AUTO_TEST_CASE(search_last_measure_paging_and_dates) {
  // A patient of its own, so that other tests' measures do not count.
  auto& gw = sharedGateway();
  auto c = appClient();
  const std::string code = "8867-4";
  const char* days[] = {"2023-01-10", "2023-02-10", "2023-03-10", "2023-04-10", "2023-05-10"};
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = c.post("/fhir/Observation",
                    quantityMeasure("mes-observation-heartrate", code, std::to_string(60 + i), "/min",
                                    std::string(days[i]) + "T09:00:00Z"));
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    ids.push_back(idOf(r));
  }
  // "Last measure".
  auto last = c.get("/fhir/Observation?patient=demo&code=http://loinc.org%7C8867-4&_sort=-date&_count=1");
  BOOST_REQUIRE(last.status == 200);
  Value b = json(last);
  BOOST_TEST(*b.findString("type") == "searchset");
  BOOST_TEST(*b.find("total")->asInt() == 5);
  BOOST_REQUIRE_EQUAL(b.find("entry")->items().size(), 1u);
  BOOST_TEST(*b.find("entry")->items()[0].find("resource")->findString("id") == ids[4]);
  auto links = b.find("link")->items();
  std::map<std::string, std::string> rel;
  for (const auto& l : links) rel[*l.findString("relation")] = *l.findString("url");
  BOOST_TEST(rel.count("self") == 1u);
  BOOST_TEST(rel.count("next") == 1u);
  BOOST_TEST(rel.count("previous") == 0u);
  BOOST_TEST(rel["next"].find("_offset=1") != std::string::npos);

  // Follow next (same server): page 2 holds the 4th measure, with a previous link.
  const std::string next = rel["next"].substr(gw.baseUrl().size());
  auto page2 = c.get(next);
  BOOST_REQUIRE(page2.status == 200);
  Value p2 = json(page2);
  BOOST_TEST(*p2.find("entry")->items()[0].find("resource")->findString("id") == ids[3]);
  bool hasPrevious = false;
  for (const auto& l : p2.find("link")->items()) hasPrevious |= *l.findString("relation") == "previous";
  BOOST_TEST(hasPrevious);

  // Date range: Feb to Apr 2023, oldest first.
  auto range = c.get("/fhir/Observation?patient=Patient/demo&code=8867-4&date=ge2023-02-01&date=lt2023-04-11&_sort=date");
  BOOST_REQUIRE(range.status == 200);
  Value rb = json(range);
  BOOST_TEST(*rb.find("total")->asInt() == 3);
  BOOST_TEST(*rb.find("entry")->items()[0].find("resource")->findString("id") == ids[1]);
  BOOST_TEST(*rb.find("entry")->items()[2].find("resource")->findString("id") == ids[3]);

  // eq on a day, and subject.identifier with the INS.
  auto day = c.get("/fhir/Observation?subject.identifier=urn:oid:1.2.250.1.213.1.4.8%7C248092A01234567&code=8867-4&date=2023-03-10");
  BOOST_REQUIRE(day.status == 200);
  BOOST_TEST(*json(day).find("total")->asInt() == 1);
  auto nobody = c.get("/fhir/Observation?subject.identifier=urn:oid:1.2.250.1.213.1.4.8%7C000&code=8867-4");
  BOOST_TEST(*json(nobody).find("total")->asInt() == 0);
}

BOOST_AUTO_TEST_CASE(search_refusals_name_the_problem) {
  auto c = appClient();
  auto big = c.get("/fhir/Observation?patient=demo&_count=101");
  BOOST_TEST(big.status == 400);
  BOOST_TEST(outcomeText(big).find("Maximum page size allowed is 100") != std::string::npos);
  auto unknown = c.get("/fhir/Observation?patient=demo&colour=blue");
  BOOST_TEST(unknown.status == 400);
  BOOST_TEST(outcomeCode(unknown) == "unknown-search-parameter");
  BOOST_TEST(outcomeText(unknown).find("colour") != std::string::npos);
  auto prefix = c.get("/fhir/Observation?patient=demo&date=xx2024-01-01");
  BOOST_TEST(prefix.status == 400);
  BOOST_TEST(outcomeCode(prefix) == "invalid-search-date");
  BOOST_TEST(outcomeText(prefix).find("date") != std::string::npos);
  auto include = c.get("/fhir/Observation?_include=Observation:subject");
  BOOST_TEST(include.status == 400);
}

BOOST_AUTO_TEST_CASE(bmi_is_derived_by_the_gateway_and_refused_from_apps) {
  auto c = appClient();
  // A patient-independent check: count BMIs before and after.
  auto count = [&] {
    auto r = c.get("/fhir/Observation?patient=demo&code=39156-5&_count=0");
    return *json(r).find("total")->asInt();
  };
  auto height = c.post("/fhir/Observation",
                       quantityMeasure("mes-observation-bodyheight", "8302-2", "175", "cm",
                                       "2030-01-01T08:00:00Z"));
  // 2030 is in the future: refused.
  BOOST_TEST(height.status == 422);
  BOOST_TEST(outcomeCode(height) == "effective-in-future");
  height = c.post("/fhir/Observation", quantityMeasure("mes-observation-bodyheight", "8302-2",
                                                       "175", "cm", "2025-01-01T08:00:00Z"));
  BOOST_REQUIRE_MESSAGE(height.status == 201, height.body);
  // (The height may already have produced a BMI with an earlier weight of the demo patient.)
  const int64_t before = count();
  auto w = c.post("/fhir/Observation", weight("70", "2025-01-02T08:00:00Z"));
  BOOST_REQUIRE(w.status == 201);
  BOOST_TEST(count() == before + 1);
  auto last = c.get("/fhir/Observation?patient=demo&code=39156-5&_sort=-_lastUpdated&_count=1");
  Value bmi = *json(last).find("entry")->items().at(0).find("resource");
  BOOST_TEST(bmi.find("valueQuantity")->find("value")->text() == "22.9");
  BOOST_TEST(*bmi.find("valueQuantity")->findString("code") == "kg/m2");
  const auto& derived = bmi.find("derivedFrom")->items();
  BOOST_REQUIRE_EQUAL(derived.size(), 2u);
  BOOST_TEST(*derived[0].findString("reference") == "Observation/" + idOf(w));
  BOOST_TEST(*derived[1].findString("reference") == "Observation/" + idOf(height));
  const std::string bmiId = *bmi.findString("id");

  // Correcting the weight gives the BMI a new version.
  std::string corrected = weight("77", "2025-01-02T08:00:00Z");
  corrected.insert(1, "\"id\":\"" + idOf(w) + "\",");
  BOOST_REQUIRE(c.put("/fhir/Observation/" + idOf(w), corrected).status == 200);
  auto bmi2 = c.get("/fhir/Observation/" + bmiId);
  BOOST_TEST(bmi2.header("ETag") == "W/\"2\"");
  BOOST_TEST(json(bmi2).find("valueQuantity")->find("value")->text() == "25.1");

  // Apps may not write or delete a BMI.
  auto posted = c.post("/fhir/Observation",
                       quantityMeasure("mes-observation-bmi", "39156-5", "22.9", "kg/m2"));
  BOOST_TEST(posted.status == 422);
  BOOST_TEST(outcomeCode(posted) == "bmi-computed-by-gateway");
  BOOST_TEST(c.del("/fhir/Observation/" + bmiId).status == 422);

  // An implausible ratio of two plausible inputs (a 3 kg weight with the 175 cm height) gives
  // no BMI rather than a wrong one.
  const int64_t beforeInfant = count();
  auto infant = c.post("/fhir/Observation", weight("3", "2025-01-03T08:00:00Z"));
  BOOST_TEST(infant.status == 201);
  BOOST_TEST(count() == beforeInfant);

  // Deleting the weight deletes its BMI.
  BOOST_TEST(c.del("/fhir/Observation/" + idOf(w)).status == 204);
  BOOST_TEST(c.get("/fhir/Observation/" + bmiId).status == 410);
}

BOOST_AUTO_TEST_CASE(profile_errors_are_422_with_locations) {
  auto c = appClient();
  auto pounds = c.post("/fhir/Observation",
                       quantityMeasure("mes-observation-bodyweight", "29463-7", "154", "[lb_av]"));
  BOOST_TEST(pounds.status == 422);
  BOOST_TEST(outcomeCode(pounds) == "unit-mismatch");
  BOOST_TEST(outcomeText(pounds).find("Observation.valueQuantity.code") != std::string::npos);
  auto bp = c.post("/fhir/Observation",
                   std::string(R"({"resourceType":"Observation","meta":{"profile":[")") + kProfileBase +
                       R"(mes-observation-bp"]},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/demo"},"effectiveDateTime":"2024-05-03T08:00:00Z","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":80,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":120,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]})");
  BOOST_TEST(bp.status == 422);  // systolic below diastolic
  auto unknownPatient = c.post("/fhir/Observation",
                               quantityMeasure("mes-observation-heartrate", "8867-4", "60", "/min",
                                               "2024-05-03T08:00:00Z", "nobody"));
  // Another subject than the paired patient is refused before anything else (SPEC §1).
  BOOST_TEST(unknownPatient.status == 403);
  BOOST_TEST(outcomeCode(unknownPatient) == "patient-mismatch");
  BOOST_TEST(outcomeText(unknownPatient).find("Observation.subject") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
