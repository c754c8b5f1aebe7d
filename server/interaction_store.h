// The opt-in interaction store of `reco serve --store FILE`: events a site chooses to
// send (POST /api/v1/interactions) kept in SQLite, in WAL mode with synchronous=FULL, so
// an event is acknowledged only once its transaction is on disk and survives a crash or
// SIGKILL of the server. `reco export --store FILE` trains on these events together with
// the data set's files.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "reco/dataset.h"
#include "reco/interaction_json.h"

struct sqlite3;

namespace reco::serve {

using StoredEvent = InteractionEvent;

class InteractionStore {
 public:
  // Opens (creating if needed) the database; ParamError naming `param` when it cannot.
  InteractionStore(const std::string& path, const std::string& param = "store");
  ~InteractionStore();
  InteractionStore(const InteractionStore&) = delete;
  InteractionStore& operator=(const InteractionStore&) = delete;

  // Appends the events in one transaction; returns once it is committed. Throws
  // std::runtime_error with SQLite's message when it fails (nothing is then stored).
  void append(const std::vector<StoredEvent>& events);
  std::int64_t count();
  // Every stored event, in insertion order.
  std::vector<StoredEvent> all();

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  std::mutex mutex_;
};

// Adds the store's events to `ds` (new users are added; an item the catalog does not
// know is a DataError naming the store file and the row). Returns how many were added.
std::size_t add_stored_events(Dataset& ds, const std::string& store_path);

}  // namespace reco::serve
