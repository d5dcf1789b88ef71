// SQLite implementation of the registry store.
//
// Schema (migration 8 in sqlite_database.cpp) and why:
//
//   registry_organisations(organisation_id PK, legal_name, siret UNIQUE, editor_oid UNIQUE,
//                          contact, created_ms)
//     One editor company per SIRET and per OID: two organisations claiming one legal identity,
//     or one OID in meta.source, would make authorship ambiguous.
//   registry_members(account_id PK, organisation_id)   index by organisation
//     An account belongs to at most one organisation (the key). No foreign key to accounts:
//     membership is written before the account (registry_store.h addMember).
//   registry_services(client_id PK -> services, organisation_id -> organisations, editor_siret,
//                     contact, description, category, website, requested_accesses,
//                     granted_accesses, decision, evaluation_round)
//     What the registry adds to a service's OAuth record, one row per service. Access lists are
//     space-separated family ids (ids never hold spaces: checkRegistryDetails), as
//     allowed_scopes is a space-separated scope list.
//   registry_reservations(client_id, position, text)  PK (client_id, position)
//     The commission's reservations, in order: free text, so a child table rather than an
//     encoding.
//   registry_history(seq PK, client_id, recorded_ms, action, from_status, to_status, actor...,
//                    reason, detail)   index (client_id, seq); append-only (triggers)
//     Who did what, when and why, for every registry action: the commission reads a service's
//     whole history from here.
//   registry_marks(client_id, round, criterion_id, verdict, note, actor..., marked_ms)
//     PK (client_id, round, criterion_id): the current mark of each criterion per evaluation
//     round; every mark is also a history event, so a replaced mark is not lost.
//   registry_evidence(evidence_id PK, client_id, kind, content, sha256, uploaded_by...,
//                     uploaded_ms)   UNIQUE (client_id, sha256); append-only (triggers)
//     What the commission saw stays as it was uploaded; the same report twice is refused.
//
// Every write is one transaction (SqliteDatabase::write); reads of several tables run in one
// read transaction, hence one snapshot.
#include "connectors/sqlite/sqlite_registry_store.h"

#include "connectors/sql/registry_store_sql_impl.h"
#include "connectors/sqlite/sqlite_db.h"

namespace mes::store::sql {
template class RegistryStoreOver<SqliteDatabase, SqliteDialect>;
}  // namespace mes::store::sql
