#include "interaction_store.h"

#include <sqlite3.h>

#include "reco/error.h"
#include "sqlite_db.h"

namespace reco::serve {

InteractionStore::InteractionStore(const std::string& path, const std::string& param)
    : db_(open_database(path, param,
                        "CREATE TABLE IF NOT EXISTS interactions ("
                        " id INTEGER PRIMARY KEY, user TEXT NOT NULL, item TEXT NOT NULL,"
                        " value REAL NOT NULL, timestamp INTEGER NOT NULL)")),
      path_(path) {}

InteractionStore::~InteractionStore() { sqlite3_close(db_); }

void InteractionStore::append(const std::vector<StoredEvent>& events) {
  std::lock_guard<std::mutex> lock(mutex_);
  exec(db_, "BEGIN IMMEDIATE");
  try {
    Statement ins(db_, "INSERT INTO interactions (user, item, value, timestamp) VALUES (?, ?, ?, ?)");
    for (const StoredEvent& e : events) {
      ins.text(1, e.user).text(2, e.item).real(3, e.value).integer(4, e.timestamp).run();
      ins.reset();
    }
    exec(db_, "COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::int64_t InteractionStore::count() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement q(db_, "SELECT COUNT(*) FROM interactions");
  if (!q.row()) throw std::runtime_error(sqlite3_errmsg(db_));
  return q.col_int(0);
}

std::vector<StoredEvent> InteractionStore::all() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement q(db_, "SELECT user, item, value, timestamp FROM interactions ORDER BY id");
  std::vector<StoredEvent> out;
  while (q.row()) out.push_back({q.col(0), q.col(1), static_cast<float>(q.col_real(2)), q.col_int(3)});
  return out;
}

std::size_t add_stored_events(Dataset& ds, const std::string& store_path) {
  InteractionStore store(store_path, "store");
  const std::vector<StoredEvent> events = store.all();
  for (std::size_t r = 0; r < events.size(); ++r) {
    const StoredEvent& e = events[r];
    const std::int32_t item = ds.items.find(e.item);
    if (item < 0)
      throw DataError(store_path, static_cast<std::int64_t>(r + 1), "item", "item '" + e.item + "' is not in the catalog");
    ds.events.push_back({ds.users.add(e.user), item, e.value, e.timestamp});
  }
  return events.size();
}

}  // namespace reco::serve
