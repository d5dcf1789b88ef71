#include "oauth/api_access.h"

#include <cstddef>

namespace mes::oauth {

namespace {

const ScopeSet& launchPatientOnly() {
  static const ScopeSet kSet = ScopeSet::parse("launch/patient").value();
  return kSet;
}

// The parsed scopes of each family of mesApiAccesses(), same order. A family whose scope string
// did not parse grants nothing (the tests make sure none is in that case).
const std::vector<ScopeSet>& parsedFamilyScopes() {
  static const std::vector<ScopeSet> kParsed = [] {
    std::vector<ScopeSet> parsed;
    for (const ApiAccess& access : mesApiAccesses()) {
      auto scopes = ScopeSet::parse(access.scopes);
      parsed.push_back(scopes.isOk() ? std::move(scopes).value() : ScopeSet());
    }
    return parsed;
  }();
  return kParsed;
}

ScopeSet scopesOfFamily(const ApiAccess& access) {
  const std::vector<ApiAccess>& table = mesApiAccesses();
  for (size_t i = 0; i < table.size(); ++i) {
    if (&table[i] == &access) return parsedFamilyScopes()[i];
  }
  auto scopes = ScopeSet::parse(access.scopes);
  return scopes.isOk() ? std::move(scopes).value() : ScopeSet();
}

}  // namespace

const std::vector<ApiAccess>& mesApiAccesses() {
  static const std::vector<ApiAccess> kAccesses = {
      {
          "mesures.read",
          "Lire vos mesures",
          "Read your measurements",
          "Lire vos mesures de santé (poids, tension, glycémie…) et les appareils qui les ont "
          "prises.",
          "Read your health measurements (weight, blood pressure, blood glucose…) and the "
          "devices that took them.",
          "patient/Observation.rs patient/Device.rs",
      },
      {
          "mesures.write",
          "Enregistrer des mesures",
          "Record measurements",
          "Ajouter des mesures de santé dans votre espace, et corriger ou supprimer celles que "
          "ce service a ajoutées.",
          "Add health measurements to your space, and correct or delete the ones this service "
          "added.",
          "patient/Observation.cud patient/Device.c",
      },
      {
          "documents.read",
          "Lire vos documents",
          "Read your documents",
          "Consulter les documents de santé de votre espace (comptes rendus, ordonnances, "
          "imagerie…).",
          "View the health documents in your space (reports, prescriptions, imaging…).",
          "patient/DocumentReference.rs patient/Binary.r",
      },
      {
          "documents.deposit",
          "Déposer des documents",
          "Add documents",
          "Déposer des documents dans votre espace, et retirer ceux que ce service a déposés.",
          "Add documents to your space, and withdraw the ones this service added.",
          "patient/DocumentReference.c patient/Binary.c patient/DocumentReference.d",
      },
      {
          "agenda.write",
          "Gérer vos rendez-vous",
          "Manage your appointments",
          "Ajouter des rendez-vous à votre agenda, modifier ceux que ce service a ajoutés et "
          "consulter vos rendez-vous.",
          "Add appointments to your calendar, change the ones this service added and view your "
          "appointments.",
          "patient/Appointment.cu patient/Appointment.rs",
      },
      {
          "identity",
          "Connaître votre identité",
          "Know who you are",
          "Connaître votre identité (nom, prénom et INS, votre identifiant national de santé).",
          "Know who you are (name and INS, your national health identifier).",
          "openid fhirUser launch/patient",
      },
      {
          "offline",
          "Rester connecté",
          "Stay connected",
          "Rester connecté sans vous redemander votre accord à chaque utilisation (accès hors "
          "ligne, révocable à tout moment).",
          "Stay connected without asking you again at each use (offline access, revocable at "
          "any time).",
          "offline_access",
      },
  };
  return kAccesses;
}

const ApiAccess* findApiAccess(std::string_view id) {
  for (const ApiAccess& access : mesApiAccesses()) {
    if (access.id == id) return &access;
  }
  return nullptr;
}

std::vector<const ApiAccess*> accessesRequestedBy(const ScopeSet& requested) {
  std::vector<const ApiAccess*> rows;
  const std::vector<ApiAccess>& table = mesApiAccesses();
  for (size_t i = 0; i < table.size(); ++i) {
    const ScopeSet common = requested.intersect(parsedFamilyScopes()[i]);
    if (common.empty() || common == launchPatientOnly()) continue;
    rows.push_back(&table[i]);
  }
  return rows;
}

ScopeSet scopesOf(const std::vector<const ApiAccess*>& ticked) {
  ScopeSet scopes;
  for (const ApiAccess* access : ticked) {
    if (access != nullptr) scopes = scopes.unionWith(scopesOfFamily(*access));
  }
  return scopes;
}

ScopeSet grantedScope(const ScopeSet& requested, const ScopeSet& allowedByRegistry,
                      const ScopeSet& tickedByPatient) {
  ScopeSet granted = requested.intersect(allowedByRegistry).intersect(tickedByPatient);
  if (granted.hasResourceScopes() && requested.has("launch/patient") &&
      allowedByRegistry.has("launch/patient")) {
    granted = granted.unionWith(launchPatientOnly());
  }
  return granted;
}

}  // namespace mes::oauth
