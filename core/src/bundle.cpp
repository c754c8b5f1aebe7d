#include "reco/bundle.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>

#include "reco/error.h"
#include "reco/model_config.h"
#include "reco/quantize.h"
#include "reco/sha256.h"

namespace reco {
namespace {

using nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

// Section names in the order they are written. Optional ones may be absent.
constexpr const char* kItems = "items";
constexpr const char* kFactors = "factors";
constexpr const char* kFactorScales = "factor_scales";
constexpr const char* kEmbeddings = "embeddings";
constexpr const char* kEmbeddingScales = "embedding_scales";
constexpr const char* kGram = "gram";
constexpr const char* kFactorMap = "factor_map";
constexpr const char* kPopularity = "popularity";
constexpr const char* kHnswFactors = "hnsw_factors";
constexpr const char* kHnswContent = "hnsw_content";
constexpr const char* kEaseOffsets = "ease_offsets";
constexpr const char* kEaseColumns = "ease_columns";
constexpr const char* kEaseValues = "ease_values";
constexpr const char* kEaseScales = "ease_scales";
constexpr const char* kEncoder = "encoder";
constexpr const char* kTokenizer = "tokenizer";

// Catalogs above this are refused before any allocation: 2^26 items is far beyond what
// a browser can hold, and it keeps every size product below 2^63.
constexpr std::int64_t kMaxItems = 1 << 26;
constexpr std::int64_t kMaxDim = 4096;
// EASE column indices are stored as uint16 when every item index fits in one.
constexpr const char* kNarrowColumns = "uint16";
constexpr std::int64_t kMaxNarrowItems = 65536;

Bytes float_bytes(const float* v, std::size_t n) {
  Bytes b(n * 4);
  if (n) std::memcpy(b.data(), v, n * 4);  // little-endian on every supported platform
  return b;
}

Bytes json_bytes(const json& j) {
  const std::string s = j.dump();
  return Bytes(s.begin(), s.end());
}

// A per-item matrix at `dtype`: the main section's bytes, and for int8 the scales.
struct EncodedMatrix {
  Bytes values, scales;
};

EncodedMatrix encode_matrix(const FactorMatrix& m, MatrixDtype dtype) {
  EncodedMatrix out;
  const std::size_t n = static_cast<std::size_t>(m.size());
  if (dtype == MatrixDtype::Float32) {
    out.values = float_bytes(m.data(), n);
  } else if (dtype == MatrixDtype::Float16) {
    std::vector<std::uint16_t> h(n);
    floats_to_half(m.data(), n, h.data());
    out.values.resize(n * 2);
    if (n) std::memcpy(out.values.data(), h.data(), n * 2);
  } else {
    const Int8Rows q = quantize_rows_int8(m.data(), static_cast<std::int32_t>(m.rows()), static_cast<std::int32_t>(m.cols()));
    out.values.resize(n);
    if (n) std::memcpy(out.values.data(), q.values.data(), n);
    out.scales = float_bytes(q.scales.data(), q.scales.size());
  }
  return out;
}

FactorMatrix round_trip(const FactorMatrix& m, MatrixDtype dtype) {
  FactorMatrix out(m.rows(), m.cols());
  const std::size_t n = static_cast<std::size_t>(m.size());
  if (dtype == MatrixDtype::Float32) return m;
  if (dtype == MatrixDtype::Float16) {
    std::vector<std::uint16_t> h(n);
    floats_to_half(m.data(), n, h.data());
    half_to_floats(h.data(), n, out.data());
  } else {
    dequantize_rows(quantize_rows_int8(m.data(), static_cast<std::int32_t>(m.rows()), static_cast<std::int32_t>(m.cols())), out.data());
  }
  return out;
}

json items_json(const HybridModel& m) {
  json items = json::array();
  for (std::int32_t i = 0; i < m.n_items(); ++i) {
    const ItemInfo& info = m.items[static_cast<std::size_t>(i)];
    items.push_back({{"id", m.item_ids[static_cast<std::size_t>(i)]}, {"title", info.title}, {"genres", info.genres}, {"tags", info.tags}});
  }
  return items;
}

// ---- reading ----

[[noreturn]] void fail(const std::string& where, const std::string& field, const std::string& msg) {
  throw DataError(where, 0, field, msg);
}

const json& member(const json& j, const char* key, const std::string& where, json::value_t type, const char* type_name) {
  const auto it = j.find(key);
  if (it == j.end()) fail(where, key, "missing");
  const bool ok = it->type() == type || (type == json::value_t::number_integer && it->is_number_unsigned()) ||
                  (type == json::value_t::number_float && it->is_number());
  // An array or object is named by its type: dumping one nested deeply enough (a crafted
  // manifest) would recurse until the stack overflows.
  if (!ok)
    fail(where, key, std::string("expected ") + type_name + ", found " +
                         (it->is_structured() ? std::string("an ") + it->type_name() : it->dump()));
  return *it;
}

std::int64_t int_member(const json& j, const char* key, const std::string& where, std::int64_t lo, std::int64_t hi) {
  const json& v = member(j, key, where, json::value_t::number_integer, "an integer");
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) fail(where, key, "out of range");
  const std::int64_t x = v.get<std::int64_t>();
  if (x < lo || x > hi) fail(where, key, std::to_string(x) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

float float_member(const json& j, const char* key, const std::string& where) {
  const double v = member(j, key, where, json::value_t::number_float, "a number").get<double>();
  if (!std::isfinite(v) || std::abs(v) > 1e30) fail(where, key, "not a finite number in range");
  return static_cast<float>(v);
}

struct SectionEntry {
  std::string name, file, dtype, sha256;
  std::int64_t bytes = 0;
  std::vector<std::int64_t> shape;
};

std::vector<SectionEntry> section_table(const json& manifest) {
  const std::string where = "manifest.json";
  const json& sections = member(manifest, "sections", where, json::value_t::object, "an object");
  std::vector<SectionEntry> out;
  for (auto it = sections.begin(); it != sections.end(); ++it) {
    const std::string w = "manifest.json section '" + it.key() + "'";
    if (!it->is_object()) fail(where, "sections." + it.key(), "expected an object");
    SectionEntry e;
    e.name = it.key();
    e.file = member(*it, "file", w, json::value_t::string, "a string").get<std::string>();
    // Plain file names only: a manifest must not point outside its bundle.
    if (e.file.empty() || e.file.find('/') != std::string::npos || e.file.find('\\') != std::string::npos || e.file[0] == '.')
      fail(w, "file", "'" + e.file + "' is not a plain file name");
    e.bytes = int_member(*it, "bytes", w, 0, std::int64_t(1) << 40);
    e.dtype = member(*it, "dtype", w, json::value_t::string, "a string").get<std::string>();
    e.sha256 = member(*it, "sha256", w, json::value_t::string, "a string").get<std::string>();
    if (e.sha256.size() != 64 || e.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
      fail(w, "sha256", "expected 64 lowercase hex digits");
    const json& shape = member(*it, "shape", w, json::value_t::array, "an array");
    if (shape.size() > 4) fail(w, "shape", "more than 4 dimensions");
    for (const json& d : shape) {
      if (!d.is_number_integer() || d.get<std::int64_t>() < 0 || d.get<std::int64_t>() > kMaxItems)
        fail(w, "shape", "dimensions must be integers in [0, " + std::to_string(kMaxItems) + "]");
      e.shape.push_back(d.get<std::int64_t>());
    }
    out.push_back(std::move(e));
  }
  return out;
}

class SectionReader {
 public:
  SectionReader(const json& manifest, const BundleSource& source, bool verify)
      : source_(source), table_(section_table(manifest)), verify_(verify) {}

  bool has(const std::string& name) const { return find(name) != nullptr; }

  // The manifest's dtype of a section that may be stored in more than one, after
  // checking it is one of `allowed`.
  std::string dtype_of(const std::string& name, std::initializer_list<const char*> allowed) const {
    const SectionEntry* e = find(name);
    const std::string w = "bundle section '" + name + "'";
    if (!e) fail(w, "sections." + name, "missing from the manifest");
    std::string expected;
    for (const char* a : allowed) {
      if (e->dtype == a) return e->dtype;
      expected += (expected.empty() ? "" : " or ") + std::string(a);
    }
    fail(w + " (" + e->file + ")", "dtype", "expected " + expected + ", the manifest says " + e->dtype);
  }

  // The section's verified bytes, after checking dtype and shape against expectations.
  Bytes read(const std::string& name, const std::string& dtype, const std::vector<std::int64_t>& shape) const {
    const SectionEntry* e = find(name);
    const std::string w = "bundle section '" + name + "'";
    if (!e) fail(w, "sections." + name, "missing from the manifest");
    const std::string wf = w + " (" + e->file + ")";
    if (e->dtype != dtype) fail(wf, "dtype", "expected " + dtype + ", the manifest says " + e->dtype);
    if (!shape.empty() && e->shape != shape) {
      std::string want, got;
      for (auto d : shape) want += (want.empty() ? "" : ",") + std::to_string(d);
      for (auto d : e->shape) got += (got.empty() ? "" : ",") + std::to_string(d);
      fail(wf, "shape", "expected [" + want + "], the manifest says [" + got + "]");
    }
    const std::int64_t element = dtype == "float32" || dtype == "int32" ? 4
                                 : dtype == "int64"                      ? 8
                                 : dtype == "float16" || dtype == "uint16" ? 2
                                 : dtype == "int8"                       ? 1
                                                                         : 0;
    if (element > 0) {
      std::int64_t count = 1;
      for (auto d : e->shape) {
        count *= d;  // d <= 2^26 and count stays <= 2^40 below, so this cannot overflow
        if (count > (std::int64_t(1) << 40)) fail(wf, "shape", "too large");
      }
      if (count * element != e->bytes)
        fail(wf, "bytes", "the manifest says " + std::to_string(e->bytes) + " bytes but the shape needs " + std::to_string(count * element));
    }
    Bytes b = source_(e->file);
    if (static_cast<std::int64_t>(b.size()) != e->bytes)
      fail(wf, "bytes", "file has " + std::to_string(b.size()) + " bytes, the manifest says " + std::to_string(e->bytes) +
                            (static_cast<std::int64_t>(b.size()) < e->bytes ? " (truncated)" : ""));
    if (verify_ && sha256_hex(b.data(), b.size()) != e->sha256)
      fail(wf, "sha256", "checksum mismatch: the file is corrupted or from another bundle");
    return b;
  }

 private:
  const SectionEntry* find(const std::string& name) const {
    for (const SectionEntry& e : table_)
      if (e.name == name) return &e;
    return nullptr;
  }
  const BundleSource& source_;
  std::vector<SectionEntry> table_;
  bool verify_ = true;
};

std::vector<float> floats_of(const Bytes& b, const std::string& section) {
  std::vector<float> v(b.size() / 4);
  if (!v.empty()) std::memcpy(v.data(), b.data(), v.size() * 4);
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) fail("bundle section '" + section + "'", "values", "value " + std::to_string(i) + " is not finite");
  return v;
}

FactorMatrix read_matrix(const SectionReader& r, const char* name, const char* scales_name, MatrixDtype dtype,
                         std::int64_t rows, std::int64_t cols) {
  const std::string dt = matrix_dtype_name(dtype);
  // Read (and so size-check) the bytes before allocating what the manifest's shape asks for.
  const Bytes b = r.read(name, dt, {rows, cols});
  FactorMatrix m(rows, cols);
  const std::size_t n = static_cast<std::size_t>(rows * cols);
  if (dtype == MatrixDtype::Float32) {
    const std::vector<float> v = floats_of(b, name);
    if (n) std::memcpy(m.data(), v.data(), n * 4);
  } else if (dtype == MatrixDtype::Float16) {
    std::vector<std::uint16_t> h(n);
    if (n) std::memcpy(h.data(), b.data(), n * 2);
    half_to_floats(h.data(), n, m.data());
    if (!m.allFinite()) fail(std::string("bundle section '") + name + "'", "values", "holds a non-finite half");
  } else {
    Int8Rows q;
    q.rows = static_cast<std::int32_t>(rows);
    q.cols = static_cast<std::int32_t>(cols);
    q.values.resize(n);
    if (n) std::memcpy(q.values.data(), b.data(), n);
    q.scales = floats_of(r.read(scales_name, "float32", {rows}), scales_name);
    for (float s : q.scales)
      if (s < 0.0f) fail(std::string("bundle section '") + scales_name + "'", "values", "a scale is negative");
    dequantize_rows(q, m.data());
  }
  // The bound the indexes put on coordinates, which keeps every dot product finite (a
  // huge but finite int8 scale or float32 value would otherwise overflow in the ranker).
  for (Eigen::Index i = 0; i < m.size(); ++i)
    if (!(std::abs(m.data()[i]) <= kHnswMaxAbsCoordinate))
      fail(std::string("bundle section '") + name + "'", "values",
           "value " + std::to_string(i) + " is not finite or exceeds 1e15 in magnitude");
  return m;
}

json parse_json_section(const Bytes& b, const std::string& name) {
  try {
    return json::parse(b.begin(), b.end());
  } catch (const json::exception& e) {
    fail("bundle section '" + name + "'", "", std::string("not valid JSON: ") + e.what());
  }
}

// The items section, read as it is parsed (SAX) rather than through a JSON document:
// the same checks and messages, at a fraction of the time and memory (it is the largest
// JSON a bundle has, and the browser parses it on every start). Unknown keys are
// skipped whatever their value; a repeated key's last value counts, as in a document.
class ItemsReader : public json::json_sax_t {
 public:
  ItemsReader(std::int64_t n, HybridModel& m) : n_(n), m_(m) {}

  // Each item takes at least 10 bytes ({"id":"x"}), so the section's size bounds the
  // reservation however large the manifest's n.
  void reserve(std::size_t bytes) {
    const auto cap = static_cast<std::size_t>(std::min<std::int64_t>(n_, static_cast<std::int64_t>(bytes / 10 + 1)));
    m_.item_ids.reserve(cap);
    m_.items.reserve(cap);
  }
  void finish() const {
    if (!done_ || count_ != n_) fail(where_, "", "expected an array of " + std::to_string(n_) + " items");
  }

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool string(string_t& v) override {
    if (skip_ > 0) return true;
    if (depth_ == 3) {
      list().push_back(std::move(v));
      return true;
    }
    if (depth_ != 2) return value();
    if (field_ == Field::Id) {
      id_ = std::move(v);
      has_id_ = true;
    } else if (field_ == Field::Title) {
      info_.title = std::move(v);
    } else if (field_ == Field::Genres || field_ == Field::Tags) {
      fail(where_, at() + "." + key_, "expected an array of strings");
    }
    return true;
  }
  bool start_object(std::size_t) override {
    if (skip_ > 0 || (depth_ == 2 && field_ == Field::Other)) return nest();
    if (depth_ == 0) fail(where_, "", "expected an array of " + std::to_string(n_) + " items");
    if (depth_ == 1) {
      if (count_ >= n_) fail(where_, "", "expected an array of " + std::to_string(n_) + " items");
      depth_ = 2;
      info_ = ItemInfo{};
      id_.clear();
      has_id_ = false;
      field_ = Field::Other;
      return true;
    }
    return value();
  }
  bool key(string_t& k) override {
    if (skip_ > 0) return true;
    field_ = k == "id" ? Field::Id : k == "title" ? Field::Title : k == "genres" ? Field::Genres : k == "tags" ? Field::Tags : Field::Other;
    key_ = std::move(k);
    return true;
  }
  bool end_object() override {
    if (skip_ > 0) return unnest();
    if (!has_id_ || id_.empty()) fail(where_, at() + ".id", "missing or not a non-empty string");
    m_.item_ids.push_back(std::move(id_));
    m_.items.push_back(std::move(info_));
    ++count_;
    depth_ = 1;
    return true;
  }
  bool start_array(std::size_t) override {
    if (skip_ > 0 || (depth_ == 2 && field_ == Field::Other)) return nest();
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ == 2 && (field_ == Field::Genres || field_ == Field::Tags)) {
      list().clear();
      depth_ = 3;
      return true;
    }
    return value();
  }
  bool end_array() override {
    if (skip_ > 0) return unnest();
    if (depth_ == 3) {
      depth_ = 2;
    } else {
      depth_ = 0;
      done_ = true;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    fail(where_, "", std::string("not valid JSON: ") + e.what());
  }

 private:
  enum class Field { Id, Title, Genres, Tags, Other };

  std::string at() const { return "[" + std::to_string(count_) + "]"; }
  std::vector<std::string>& list() { return field_ == Field::Genres ? info_.genres : info_.tags; }
  bool nest() {
    ++skip_;
    return true;
  }
  bool unnest() {
    --skip_;
    return true;
  }
  // A scalar (or a structure where one was expected) at the current place.
  bool value() {
    if (skip_ > 0 || (depth_ == 2 && field_ == Field::Other)) return true;
    if (depth_ == 0) fail(where_, "", "expected an array of " + std::to_string(n_) + " items");
    if (depth_ == 1) fail(where_, at(), "expected an object");
    if (depth_ == 3) fail(where_, at() + "." + key_, "expected an array of strings");
    if (field_ == Field::Id) fail(where_, at() + ".id", "missing or not a non-empty string");
    if (field_ == Field::Title) fail(where_, at() + ".title", "expected a string");
    fail(where_, at() + "." + key_, "expected an array of strings");
  }

  const std::string where_ = std::string("bundle section '") + kItems + "'";
  std::int64_t n_;
  HybridModel& m_;
  int depth_ = 0;  // 0 outside, 1 in the array, 2 in an item, 3 in its genres or tags
  int skip_ = 0;   // nesting inside a value of an unknown key
  bool done_ = false;
  std::int64_t count_ = 0;
  Field field_ = Field::Other;
  std::string key_, id_;
  bool has_id_ = false;
  ItemInfo info_;
};

void read_items(const Bytes& b, std::int64_t n, HybridModel& m) {
  ItemsReader reader(n, m);
  reader.reserve(b.size());
  json::sax_parse(b.begin(), b.end(), &reader);
  reader.finish();
}

// The four EASE sections: row offsets, then columns, int8 values and row scales, each
// checked before the next is sized from it; HybridModel::validate checks the rest.
void read_ease(const SectionReader& r, std::int64_t n, HybridModel& m) {
  const Bytes offsets = r.read(kEaseOffsets, "int64", {n + 1});
  SparseItemMatrix& e = m.ease;
  e.rows = static_cast<std::int32_t>(n);
  e.indptr.resize(static_cast<std::size_t>(n) + 1);
  std::memcpy(e.indptr.data(), offsets.data(), offsets.size());
  const std::int64_t nnz = e.indptr.back();
  const std::string w = std::string("bundle section '") + kEaseOffsets + "'";
  if (e.indptr.front() != 0 || nnz < 0 || nnz > n * n) fail(w, "values", "offsets must start at 0 and end at the entry count");
  for (std::size_t i = 0; i + 1 < e.indptr.size(); ++i)
    if (e.indptr[i + 1] < e.indptr[i]) fail(w, "values", "offsets decrease at row " + std::to_string(i));
  // Columns are uint16 for catalogs a uint16 can index (what encode_bundle writes there),
  // else int32; either way each must be an item of this catalog.
  const std::string wc = std::string("bundle section '") + kEaseColumns + "'";
  const std::string column_dtype = r.dtype_of(kEaseColumns, {kNarrowColumns, "int32"});
  if (column_dtype == kNarrowColumns && n > kMaxNarrowItems)
    fail(wc, "dtype", "uint16 columns cannot index a catalog of " + std::to_string(n) + " items (at most " +
                          std::to_string(kMaxNarrowItems) + ")");
  const Bytes columns = r.read(kEaseColumns, column_dtype, {nnz});
  e.indices.resize(static_cast<std::size_t>(nnz));
  if (column_dtype == kNarrowColumns) {
    const std::uint8_t* p = columns.data();
    for (std::size_t k = 0; k < e.indices.size(); ++k, p += 2) e.indices[k] = static_cast<std::int32_t>(p[0] | (p[1] << 8));
  } else if (nnz) {
    std::memcpy(e.indices.data(), columns.data(), columns.size());
  }
  for (std::int32_t c : e.indices)
    if (c < 0 || c >= n) fail(wc, "values", "column " + std::to_string(c) + " is outside the catalog");
  const Bytes values = r.read(kEaseValues, "int8", {nnz});
  e.values.assign(values.begin(), values.end());
  e.scales = floats_of(r.read(kEaseScales, "float32", {n}), kEaseScales);
  for (float sc : e.scales)
    if (sc < 0.0f || sc > 1e15f) fail(std::string("bundle section '") + kEaseScales + "'", "values", "a scale is negative or above 1e15");
}

// Both HNSW indexes, each checked against its section's manifest entry and structure.
void read_indexes(const SectionReader& r, std::int64_t n, HybridModel& m) {
  for (const auto& [name, index] : {std::pair<const char*, std::optional<HnswIndex>*>{kHnswFactors, &m.factor_index},
                                    std::pair<const char*, std::optional<HnswIndex>*>{kHnswContent, &m.content_index}}) {
    const Bytes b = r.read(name, "hnsw", {n});
    *index = HnswIndex::deserialize(b.data(), b.size(), std::string("bundle section '") + name + "'");
  }
}

HybridParams read_ranker_params(const json& manifest) {
  const std::string w = "manifest.json ranker";
  const json& r = member(manifest, "ranker", "manifest.json", json::value_t::object, "an object");
  HybridParams h;
  h.fusion_t = float_member(r, "fusion_t", w);
  h.cf_candidates = static_cast<int>(int_member(r, "cf_candidates", w, 0, 100000));
  h.content_candidates = static_cast<int>(int_member(r, "content_candidates", w, 0, 100000));
  h.popular_candidates = static_cast<int>(int_member(r, "popular_candidates", w, 0, 100000));
  h.exact_below = static_cast<int>(int_member(r, "exact_below", w, 0, std::numeric_limits<std::int32_t>::max()));
  h.recency_half_life_days = float_member(r, "recency_half_life_days", w);
  h.query_cf_weight = float_member(r, "query_cf_weight", w);
  const json& hn = member(r, "hnsw", w, json::value_t::object, "an object");
  h.hnsw.M = static_cast<int>(int_member(hn, "M", w + ".hnsw", 2, 1024));
  h.hnsw.ef_construction = static_cast<int>(int_member(hn, "ef_construction", w + ".hnsw", 1, 100000));
  h.hnsw.ef_search = static_cast<int>(int_member(hn, "ef_search", w + ".hnsw", 1, 100000));
  h.hnsw.seed = static_cast<std::uint64_t>(int_member(hn, "seed", w + ".hnsw", 0, std::numeric_limits<std::int64_t>::max()));
  if (r.contains("fusion")) h.fusion = fusion_from_json(r["fusion"], "manifest.json", "ranker.fusion");
  try {
    h.validate();
  } catch (const ParamError& e) {
    fail(w, e.param(), e.what());
  }
  return h;
}

}  // namespace

MatrixDtype parse_matrix_dtype(const std::string& name) {
  if (name == "int8") return MatrixDtype::Int8;
  if (name == "float16") return MatrixDtype::Float16;
  if (name == "float32") return MatrixDtype::Float32;
  throw ParamError("dtype", "unknown '" + name + "'; expected int8, float16 or float32");
}

std::string matrix_dtype_name(MatrixDtype d) {
  return d == MatrixDtype::Int8 ? "int8" : d == MatrixDtype::Float16 ? "float16" : "float32";
}

HybridModel quantized_model(const HybridModel& model, MatrixDtype dtype) {
  HybridModel q = model;
  q.factors = round_trip(model.factors, dtype);
  q.embeddings = round_trip(model.embeddings, dtype);
  q.rebuild_derived();
  return q;
}

std::vector<BundleFile> encode_bundle(const HybridModel& m, MatrixDtype dtype, const Bytes& encoder_onnx, const BundleInfo& info) {
  m.validate("model");
  const std::int64_t n = m.n_items(), f = m.factor_dim(), d = m.content_dim();
  std::vector<BundleFile> files;
  json sections = json::object();
  const auto add = [&](const char* name, const char* ext, const std::string& dt, const json& shape, Bytes bytes) {
    const std::string hash = sha256_hex(bytes.data(), bytes.size());
    const std::string file = std::string(name) + "." + hash.substr(0, 16) + "." + ext;
    sections[name] = {{"file", file}, {"bytes", bytes.size()}, {"dtype", dt}, {"shape", shape}, {"sha256", hash}};
    files.push_back({file, std::move(bytes)});
  };
  add(kItems, "json", "json", {n}, json_bytes(items_json(m)));
  const std::string dt = matrix_dtype_name(dtype);
  EncodedMatrix fm = encode_matrix(m.factors, dtype);
  add(kFactors, "bin", dt, {n, f}, std::move(fm.values));
  if (dtype == MatrixDtype::Int8) add(kFactorScales, "bin", "float32", {n}, std::move(fm.scales));
  EncodedMatrix em = encode_matrix(m.embeddings, dtype);
  add(kEmbeddings, "bin", dt, {n, d}, std::move(em.values));
  if (dtype == MatrixDtype::Int8) add(kEmbeddingScales, "bin", "float32", {n}, std::move(em.scales));
  add(kGram, "bin", "float32", {f, f}, float_bytes(m.gram.data(), static_cast<std::size_t>(m.gram.size())));
  if (m.factor_map.size()) {
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> map = m.factor_map;
    add(kFactorMap, "bin", "float32", {d + 1, f}, float_bytes(map.data(), static_cast<std::size_t>(map.size())));
  }
  add(kPopularity, "bin", "float32", {n}, float_bytes(m.popularity.data(), m.popularity.size()));
  if (m.has_ease()) {
    const SparseItemMatrix& e = m.ease;
    const auto nnz = static_cast<std::int64_t>(e.indices.size());
    const bool narrow = n <= kMaxNarrowItems;
    Bytes offsets(e.indptr.size() * 8), columns(e.indices.size() * (narrow ? 2 : 4));
    if (!offsets.empty()) std::memcpy(offsets.data(), e.indptr.data(), offsets.size());
    if (narrow) {
      for (std::size_t k = 0; k < e.indices.size(); ++k) {
        columns[2 * k] = static_cast<std::uint8_t>(e.indices[k]);
        columns[2 * k + 1] = static_cast<std::uint8_t>(e.indices[k] >> 8);
      }
    } else if (!columns.empty()) {
      std::memcpy(columns.data(), e.indices.data(), columns.size());
    }
    add(kEaseOffsets, "bin", "int64", {n + 1}, std::move(offsets));
    add(kEaseColumns, "bin", narrow ? kNarrowColumns : "int32", {nnz}, std::move(columns));
    add(kEaseValues, "bin", "int8", {nnz}, Bytes(e.values.begin(), e.values.end()));
    add(kEaseScales, "bin", "float32", {n}, float_bytes(e.scales.data(), e.scales.size()));
  }
  add(kHnswFactors, "bin", "hnsw", {n}, m.factor_index->serialize());
  add(kHnswContent, "bin", "hnsw", {n}, m.content_index->serialize());
  if (m.encoder && !encoder_onnx.empty()) {
    add(kEncoder, "onnx", "onnx", json::array(), encoder_onnx);
    add(kTokenizer, "json", "json", json::array(), json_bytes(m.encoder->tokenizer.to_json()));
  }
  std::string version = info.model_version;
  if (version.empty()) {
    std::string all;
    for (auto it = sections.begin(); it != sections.end(); ++it) all += it.key() + (*it)["sha256"].get<std::string>();
    version = sha256_hex(all.data(), all.size()).substr(0, 12);
  }
  json manifest = {{"format", kBundleFormat},
                   {"format_version", kBundleFormatVersion},
                   {"model_version", version},
                   {"dataset", info.dataset},
                   {"params", info.params},
                   {"metrics", info.metrics},
                   {"items", n},
                   {"factor_dim", f},
                   {"content_dim", d},
                   {"matrix_dtype", dt},
                   {"fold_in", {{"reg", m.reg}, {"alpha", m.alpha}}},
                   {"ranker", to_json(m.params)},
                   {"sections", sections}};
  if (!info.created.empty()) manifest["created"] = info.created;
  if (sections.contains(kEncoder)) {
    // What a runtime that runs the ONNX graph itself (the browser) needs to prepare its
    // inputs: the tokenizer section plus the input length bound.
    const EncoderShape& e = m.encoder->weights.shape;
    manifest["encoder"] = {{"max_features", e.max_features}, {"dim", e.dim}, {"hidden", e.hidden}, {"buckets", e.buckets}};
  }
  const std::string text = manifest.dump(2) + "\n";
  files.insert(files.begin(), BundleFile{"manifest.json", Bytes(text.begin(), text.end())});
  return files;
}

json parse_manifest(const Bytes& bytes) {
  const std::string where = "manifest.json";
  json j;
  try {
    j = json::parse(bytes.begin(), bytes.end());
  } catch (const json::exception& e) {
    fail(where, "", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) fail(where, "", "expected a JSON object");
  const std::string format = member(j, "format", where, json::value_t::string, "a string").get<std::string>();
  if (format != kBundleFormat) fail(where, "format", "'" + format + "' is not a reco bundle (expected '" + kBundleFormat + "')");
  const std::int64_t version = int_member(j, "format_version", where, 0, 1 << 30);
  if (version != kBundleFormatVersion)
    fail(where, "format_version", "version " + std::to_string(version) + " is not supported (this build reads version " +
                                      std::to_string(kBundleFormatVersion) + ")");
  member(j, "model_version", where, json::value_t::string, "a string");
  int_member(j, "items", where, 1, kMaxItems);
  int_member(j, "factor_dim", where, 1, kMaxDim);
  int_member(j, "content_dim", where, 1, kMaxDim);
  const std::string dt = member(j, "matrix_dtype", where, json::value_t::string, "a string").get<std::string>();
  try {
    parse_matrix_dtype(dt);
  } catch (const ParamError& e) {
    fail(where, "matrix_dtype", e.what());
  }
  const json& fold = member(j, "fold_in", where, json::value_t::object, "an object");
  if (float_member(fold, "reg", where + " fold_in") < 0.0f) fail(where, "fold_in.reg", "must be >= 0");
  if (float_member(fold, "alpha", where + " fold_in") < 0.0f) fail(where, "fold_in.alpha", "must be >= 0");
  read_ranker_params(j);
  const std::vector<SectionEntry> sections = section_table(j);
  if (std::any_of(sections.begin(), sections.end(), [](const SectionEntry& e) { return e.name == kEncoder; })) {
    const std::string w = where + " encoder";
    const json& e = member(j, "encoder", where, json::value_t::object, "an object");
    EncoderShape shape;
    shape.max_features = static_cast<int>(int_member(e, "max_features", w, 1, 65536));
    shape.dim = static_cast<int>(int_member(e, "dim", w, 1, kMaxDim));
    shape.hidden = static_cast<int>(int_member(e, "hidden", w, 1, 1024));
    shape.buckets = static_cast<std::uint32_t>(int_member(e, "buckets", w, 1, 1 << 24));
    if (shape.dim != j["content_dim"].get<std::int64_t>()) fail(w, "dim", "differs from content_dim");
  }
  return j;
}

LoadedBundle decode_bundle(const BundleSource& source, const EncoderDecoder& decode_encoder, const DecodeOptions& options) {
  LoadedBundle out;
  out.manifest = parse_manifest(source("manifest.json"));
  const json& j = out.manifest;
  const std::int64_t n = j["items"].get<std::int64_t>();
  const std::int64_t f = j["factor_dim"].get<std::int64_t>();
  const std::int64_t d = j["content_dim"].get<std::int64_t>();
  out.dtype = parse_matrix_dtype(j["matrix_dtype"].get<std::string>());
  const SectionReader r(j, source, options.verify_checksums);
  HybridModel& m = out.model;
  m.params = read_ranker_params(j);
  m.reg = j["fold_in"]["reg"].get<float>();
  m.alpha = j["fold_in"]["alpha"].get<float>();
  read_items(r.read(kItems, "json", {n}), n, m);
  m.factors = read_matrix(r, kFactors, kFactorScales, out.dtype, n, f);
  m.embeddings = read_matrix(r, kEmbeddings, kEmbeddingScales, out.dtype, n, d);
  const std::vector<float> gram = floats_of(r.read(kGram, "float32", {f, f}), kGram);
  m.gram = Eigen::Map<const Eigen::MatrixXf>(gram.data(), f, f);
  if (r.has(kFactorMap)) {
    const std::vector<float> map = floats_of(r.read(kFactorMap, "float32", {d + 1, f}), kFactorMap);
    m.factor_map = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(map.data(), d + 1, f);
  }
  m.popularity = floats_of(r.read(kPopularity, "float32", {n}), kPopularity);
  for (float p : m.popularity)
    if (p < 0.0f) fail(std::string("bundle section '") + kPopularity + "'", "values", "a popularity is negative");
  if (r.has(kEaseOffsets)) read_ease(r, n, m);
  if (options.restore_indexes) read_indexes(r, n, m);
  if (r.has(kEncoder)) {
    if (options.read_encoder || decode_encoder) out.encoder_onnx = r.read(kEncoder, "onnx", {});
    const json tj = parse_json_section(r.read(kTokenizer, "json", {}), kTokenizer);
    Tokenizer tokenizer = Tokenizer::from_json(tj, std::string("bundle section '") + kTokenizer + "'");
    const json& e = j["encoder"];
    out.encoder_shape.max_features = e["max_features"].get<int>();
    out.encoder_shape.dim = e["dim"].get<int>();
    out.encoder_shape.hidden = e["hidden"].get<int>();
    out.encoder_shape.buckets = e["buckets"].get<std::uint32_t>();
    out.tokenizer = tokenizer;
    if (decode_encoder) {
      QuantizedEncoder w = decode_encoder(out.encoder_onnx, std::string("bundle section '") + kEncoder + "'");
      m.encoder = TextEncoder{std::move(tokenizer), std::move(w)};
    }
  }
  m.refresh_lookups();
  if (static_cast<std::int64_t>(m.item_index.size()) != n) fail(std::string("bundle section '") + kItems + "'", "id", "item ids are not unique");
  if (m.encoder && m.encoder->dim() != d) fail(std::string("bundle section '") + kEncoder + "'", "dim", "differs from content_dim");
  // Without the indexes the model is checked in full once restore_indexes adds them;
  // everything else validate() checks the readers above have already checked.
  if (options.restore_indexes) m.validate("bundle");
  return out;
}

bool ranking_needs_indexes(const HybridModel& model) { return model.n_items() > model.params.exact_below; }

void restore_indexes(HybridModel& model, const nlohmann::json& manifest, const BundleSource& source, const DecodeOptions& options) {
  const std::int64_t n = manifest.at("items").get<std::int64_t>();
  if (model.n_items() != n)
    throw ParamError("model", "has " + std::to_string(model.n_items()) + " items but its bundle's indexes hold " + std::to_string(n) +
                                  " (indexes must be restored before items are added)");
  const SectionReader r(manifest, source, options.verify_checksums);
  HybridModel& m = model;
  std::optional<HnswIndex> factor_index, content_index;
  std::swap(factor_index, m.factor_index);
  std::swap(content_index, m.content_index);
  try {
    read_indexes(r, n, m);
    m.validate("bundle");
  } catch (...) {
    // Left as it was: a failed restore can be retried (e.g. after a fresh download).
    std::swap(factor_index, m.factor_index);
    std::swap(content_index, m.content_index);
    throw;
  }
}

void write_bundle_files(const std::string& dir, const std::vector<BundleFile>& files) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw ParamError("out", "cannot create '" + dir + "': " + ec.message());
  for (const BundleFile& f : files) {
    const std::string path = (std::filesystem::path(dir) / f.name).string();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(f.bytes.data()), static_cast<std::streamsize>(f.bytes.size()));
    if (!out) throw ParamError("out", "cannot write '" + path + "'");
  }
}

BundleSource directory_source(const std::string& dir) {
  return [dir](const std::string& name) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(path, 0, "", "cannot open the bundle file");
    Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return b;
  };
}

}  // namespace reco
