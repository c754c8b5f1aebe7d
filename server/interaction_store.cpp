#include "interaction_store.h"

#include <sqlite3.h>

#include <stdexcept>

#include "reco/error.h"

namespace reco::serve {
namespace {

// A prepared statement, finalised on scope exit.
struct Statement {
  sqlite3_stmt* s = nullptr;
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(s); }
};

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    throw std::runtime_error(msg);
  }
}

}  // namespace

InteractionStore::InteractionStore(const std::string& path, const std::string& param) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw ParamError(param, "cannot open '" + path + "': " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, 5000);
    // WAL: readers (an export) never block the server's writes. synchronous=FULL: a
    // commit returns after the WAL is synced, so an acknowledged event is durable.
    exec(db_, "PRAGMA journal_mode=WAL");
    exec(db_, "PRAGMA synchronous=FULL");
    exec(db_,
         "CREATE TABLE IF NOT EXISTS interactions ("
         " id INTEGER PRIMARY KEY, user TEXT NOT NULL, item TEXT NOT NULL,"
         " value REAL NOT NULL, timestamp INTEGER NOT NULL)");
  } catch (const std::exception& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw ParamError(param, "'" + path + "' is not a usable interaction store: " + e.what());
  }
}

InteractionStore::~InteractionStore() { sqlite3_close(db_); }

void InteractionStore::append(const std::vector<StoredEvent>& events) {
  std::lock_guard<std::mutex> lock(mutex_);
  exec(db_, "BEGIN IMMEDIATE");
  try {
    Statement ins(db_, "INSERT INTO interactions (user, item, value, timestamp) VALUES (?, ?, ?, ?)");
    for (const StoredEvent& e : events) {
      sqlite3_bind_text(ins.s, 1, e.user.data(), static_cast<int>(e.user.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(ins.s, 2, e.item.data(), static_cast<int>(e.item.size()), SQLITE_TRANSIENT);
      sqlite3_bind_double(ins.s, 3, e.value);
      sqlite3_bind_int64(ins.s, 4, e.timestamp);
      if (sqlite3_step(ins.s) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
      sqlite3_reset(ins.s);
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
  if (sqlite3_step(q.s) != SQLITE_ROW) throw std::runtime_error(sqlite3_errmsg(db_));
  return sqlite3_column_int64(q.s, 0);
}

std::vector<StoredEvent> InteractionStore::all() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement q(db_, "SELECT user, item, value, timestamp FROM interactions ORDER BY id");
  std::vector<StoredEvent> out;
  int rc = 0;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
    StoredEvent e;
    const auto text = [&](int col) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(q.s, col));
      return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(q.s, col))) : std::string();
    };
    e.user = text(0);
    e.item = text(1);
    e.value = static_cast<float>(sqlite3_column_double(q.s, 2));
    e.timestamp = sqlite3_column_int64(q.s, 3);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
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
