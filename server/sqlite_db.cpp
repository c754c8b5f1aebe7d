#include "sqlite_db.h"

#include <sqlite3.h>

#include <stdexcept>

#include "reco/error.h"

namespace reco::serve {

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    throw std::runtime_error(msg);
  }
}

sqlite3* open_database(const std::string& path, const std::string& param, const char* schema) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw ParamError(param, "cannot open '" + path + "': " + msg);
  }
  try {
    sqlite3_busy_timeout(db, 5000);
    // WAL: readers (an export reading the store) never block the server's writes.
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "PRAGMA synchronous=FULL");
    exec(db, schema);
  } catch (const std::exception& e) {
    sqlite3_close(db);
    throw ParamError(param, "'" + path + "' is not a usable database: " + e.what());
  }
  return db;
}

Statement::Statement(sqlite3* d, const char* sql) : db(d) {
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
}
Statement::~Statement() { sqlite3_finalize(s); }

Statement& Statement::text(int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::integer(int i, std::int64_t v) {
  sqlite3_bind_int64(s, i, v);
  return *this;
}
Statement& Statement::real(int i, double v) {
  sqlite3_bind_double(s, i, v);
  return *this;
}
void Statement::run() {
  if (sqlite3_step(s) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
}
bool Statement::row() {
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
  return false;
}
void Statement::reset() {
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
}
std::string Statement::col(int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string();
}
std::int64_t Statement::col_int(int i) { return sqlite3_column_int64(s, i); }
double Statement::col_real(int i) { return sqlite3_column_double(s, i); }

}  // namespace reco::serve
