#include "connectors/blob/blob_store.h"

namespace mes::blob {

bool isBlobName(std::string_view name) {
  if (name.size() != 64) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace mes::blob
