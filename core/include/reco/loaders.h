// Loading data sets from files: the MovieLens layouts (ML-100K, ml-latest(-small), ML-1M)
// and a generic CSV. Each file is read whole into memory and parsed in one pass.
//
// Rules shared by every format:
// - Any problem in the input throws DataError naming the file, the 1-based line (0 for
//   the whole file: missing, empty, unsupported encoding) and the field, saying what was
//   expected and what was found. No row is skipped silently; only blank lines are.
// - Lines end with "\n" or "\r\n"; the last line may lack one. A UTF-8 byte-order mark is
//   stripped (and makes the file UTF-8 whatever encoding was asked for); a UTF-16 or
//   UTF-32 mark, or a NUL byte, is an error.
// - Text is stored as UTF-8: UTF-8 files are checked, Latin-1 files converted.
// - Numbers are strict and locale-independent: ratings/weights are finite decimals
//   ("4", "3.5", "1e-3"), timestamps are integers (seconds since the epoch).
// - Ids are opaque strings mapped to dense indices in first-seen order. The item catalog
//   file is read first, so `items` lists catalog items in file order (including items no
//   event mentions), then items that only events mention, with empty ItemInfo.
//   An item listed twice in one catalog file is an error.
// - Genres and tags are lists without case-insensitive duplicates (ASCII case only), in
//   order of first appearance with the first spelling kept; surrounding spaces trimmed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reco/dataset.h"
#include "reco/text_encoding.h"

namespace reco {

// Format::Ml100k   folder with u.item (catalog) and u.data (events); Latin-1, no header.
//                  u.data: user \t item \t rating \t timestamp.
//                  u.item: id|title|release date|video date|URL|19 genre flags (0/1), the
//                  genres of u.genre. The flag "unknown" means "no genre information" and
//                  gives no genre, like ml-latest's "(no genres listed)".
// Format::MlLatest folder with movies.csv (movieId,title,genres), ratings.csv
//                  (userId,movieId,rating,timestamp) and optionally tags.csv
//                  (userId,movieId,tag,timestamp); UTF-8 quoted CSV with a header.
//                  genres are '|'-separated; tags go to ItemInfo::tags (tag users are
//                  not added to `users`: a tag describes the item, it is not an event).
// Format::Ml1m     folder with movies.dat (MovieID::Title::Genres) and ratings.dat
//                  (UserID::MovieID::Rating::Timestamp); Latin-1, "::"-separated.
// Format::Csv      a .csv file of interactions, or a folder holding interactions.csv and
//                  optionally items.csv. Quoted CSV with a header; columns in any order,
//                  names matched ignoring ASCII case and surrounding spaces.
//                  interactions.csv: user, item (required), weight (default 1),
//                  timestamp (default 0).
//                  items.csv: item, title (required), genres, tags ('|'-separated), text.
//                  `text` is checked but not stored (ItemInfo has no field for it yet).
//                  A column whose name starts with '_' is ignored (annotations); any
//                  other unknown column is an error naming it.
enum class Format { Ml100k, MlLatest, Ml1m, Csv };

// "ml100k" | "mllatest" | "ml1m" | "csv"; anything else throws ParamError("format", ...).
Format parse_format(const std::string& name);
std::string format_name(Format format);

struct LoadOptions {
  // Encoding of Format::Csv files: "utf-8" or "latin-1" (see parse_encoding). It is
  // validated for every format but MovieLens files always use their own documented
  // encoding (ML-100K and ML-1M Latin-1, ml-latest UTF-8).
  std::string encoding = "utf-8";
};

// Loads a whole data set; `path` is described with Format above.
Dataset load_dataset(const std::string& path, Format format);
Dataset load_dataset(const std::string& path, Format format, const LoadOptions& options);

// Reads an ML-100K ratings file (u.data, u1.base, u1.test, ...) into events, mapping ids
// through ds.users / ds.items. Unknown ids are added (items with empty ItemInfo).
std::vector<Event> load_ml100k_events(const std::string& file, Dataset& ds);

// Reads external item ids, one per line, as indices into `items`. Blank lines and lines
// starting with '#' are ignored, spaces around an id trimmed. An unknown id, or a file
// listing no id, is a DataError.
std::vector<std::int32_t> load_item_id_list(const std::string& file, const IdMap& items);

// The parsers behind the loaders, over text already in memory; `name` is the file name
// errors report. They throw only DataError (or ParamError for a bad format/kind pair).

// Which file of a format the text is.
// Events: u.data, ratings.csv, ratings.dat, interactions.csv (appended to ds.events).
// Items:  u.item, movies.csv, movies.dat, items.csv.
// Tags:   tags.csv of Format::MlLatest only.
enum class FileKind { Events, Items, Tags };

// Parses one file into `ds`. `csv_encoding` applies to Format::Csv only.
void parse_file(std::string_view text, const std::string& name, Format format, FileKind kind, Dataset& ds,
                Encoding csv_encoding = Encoding::Utf8);

// parse form of load_item_id_list (UTF-8 text).
std::vector<std::int32_t> parse_item_id_list(std::string_view text, const std::string& name, const IdMap& items);

}  // namespace reco
