// The little of SQLite that the interaction store and the model registry share: opening a
// database in WAL mode with synchronous=FULL (a commit returns once it is on disk), and
// prepared statements that finalise themselves.
#pragma once

#include <cstdint>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace reco::serve {

// Opens (creating if needed) `path` and runs `schema` (CREATE TABLE IF NOT EXISTS ...).
// ParamError naming `param` when the file cannot be opened or is not such a database.
sqlite3* open_database(const std::string& path, const std::string& param, const char* schema);

// Runs SQL without results; std::runtime_error with SQLite's message on failure.
void exec(sqlite3* db, const char* sql);

struct Statement {
  sqlite3* db;
  sqlite3_stmt* s = nullptr;
  Statement(sqlite3* db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& text(int i, const std::string& v);
  Statement& integer(int i, std::int64_t v);
  Statement& real(int i, double v);
  void run();    // one step that returns no row
  bool row();    // the next row, false at the end
  void reset();  // for running it again with new bindings
  std::string col(int i);
  std::int64_t col_int(int i);
  double col_real(int i);
};

}  // namespace reco::serve
