// libFuzzer target for the model bundle reader (bundle.cpp): parse_manifest and
// decode_bundle with every section reader behind it (items JSON, int8/float16/float32
// matrices and scales, gram, factor map, popularity, both HNSW indexes, tokenizer).
// Whatever the bytes, reading may only throw reco::DataError or reco::ParamError;
// anything else (another exception, a crash, a sanitizer report, a hang, a huge
// allocation from a lying header) is a bug. A bundle that loads must also serve
// requests: reco::rank runs on it with a small history, with a query, and with MMR.
//
// Input: byte 0 selects a mode (taken modulo 4), the rest is its payload. Its bit 2 (4)
// decodes the way the browser does: without the HNSW indexes and the encoder bytes
// (DecodeOptions), ranking then if the catalog is scored exactly, then restore_indexes
// and ranking again.
//   0  the payload is manifest.json, given to parse_manifest alone.
//   1  the payload is an archive of files served to decode_bundle by name: records of
//        [u16 LE name length][name][u32 LE size][size bytes]
//      until the payload ends (a record cut short takes what is left; the first record
//      of a name wins). A name not in the archive throws reco::DataError, as a missing
//      file does. The manifest is the file named "manifest.json".
//   2  as 1, but before decoding the harness rewrites manifest.json's sections.*.sha256
//      to the checksums of the archive's files, so that mutated sections get past the
//      checksum to their parsers. (A manifest that is not a JSON object is left alone.)
//   3  as 2, and sections.*.bytes is rewritten to the files' sizes as well.
//
// Seeds: with RECO_BUNDLE_FUZZ_SEEDS=DIR in the environment the binary writes seeds into
// DIR and exits instead of fuzzing: real bundles of a small hand-made model at each
// matrix dtype in modes 1 and 3 (and 1 decoded as the browser does), their manifests in
// mode 0, one with EASE columns as int32 instead of uint16, and two regression inputs
// (finite values whose products overflow) in mode 2.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/bundle.h"
#include "reco/error.h"
#include "reco/hybrid_model.h"
#include "reco/ranker.h"
#include "reco/sha256.h"

namespace {

using Bytes = std::vector<std::uint8_t>;
using Archive = std::vector<std::pair<std::string, Bytes>>;

Archive unpack(const std::uint8_t* p, std::size_t n) {
  Archive files;
  std::size_t at = 0;
  while (at + 2 <= n) {
    const std::size_t name_len = std::min<std::size_t>(p[at] | (std::size_t(p[at + 1]) << 8), n - at - 2);
    at += 2;
    std::string name(reinterpret_cast<const char*>(p + at), name_len);
    at += name_len;
    std::size_t size = 0;
    if (at + 4 <= n) {
      size = std::size_t(p[at]) | (std::size_t(p[at + 1]) << 8) | (std::size_t(p[at + 2]) << 16) | (std::size_t(p[at + 3]) << 24);
      at += 4;
    } else {
      at = n;
    }
    size = std::min(size, n - at);
    files.emplace_back(std::move(name), Bytes(p + at, p + at + size));
    at += size;
  }
  return files;
}

const Bytes* lookup(const Archive& files, const std::string& name) {
  for (const auto& [file, bytes] : files)
    if (file == name) return &bytes;
  return nullptr;
}

// Modes 2 and 3: make the manifest's checksums (and sizes) agree with the archive.
void fix_up_manifest(Archive& files, bool sizes) {
  Bytes* manifest = nullptr;
  for (auto& [file, bytes] : files)
    if (file == "manifest.json") {
      manifest = &bytes;
      break;
    }
  if (manifest == nullptr) return;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(manifest->begin(), manifest->end());
  } catch (const nlohmann::json::exception&) {
    return;
  }
  if (!j.is_object() || !j.contains("sections") || !j["sections"].is_object()) return;
  for (auto& [key, section] : j["sections"].items()) {
    if (!section.is_object() || !section.contains("file") || !section["file"].is_string()) continue;
    const Bytes* b = lookup(files, section["file"].get<std::string>());
    if (b == nullptr) continue;
    section["sha256"] = reco::sha256_hex(b->data(), b->size());
    if (sizes) section["bytes"] = b->size();
  }
  const std::string text = j.dump();
  *manifest = Bytes(text.begin(), text.end());
}

void check(bool ok) {
  if (!ok) std::abort();
}

// A loaded model must be consistent and its matrices finite (the reader checks every
// value it reads), and rank must answer within the catalog.
void exercise(const reco::HybridModel& m) {
  const std::int32_t n = m.n_items();
  check(n >= 1 && m.factors.allFinite() && m.embeddings.allFinite() && m.gram.allFinite() && m.factor_map.allFinite());
  for (float p : m.popularity) check(std::isfinite(p) && p >= 0.0f);
  check(!m.popular_order.empty());
  const auto verify = [&](const reco::RankRequest& r) {
    try {
      const reco::RankResult res = reco::rank(m, r);
      check(res.items.size() <= static_cast<std::size_t>(r.k));
      std::vector<std::int32_t> seen;
      for (const reco::Recommendation& rec : res.items) {
        check(rec.item >= 0 && rec.item < n);
        check(std::find(seen.begin(), seen.end(), rec.item) == seen.end());
        seen.push_back(rec.item);
        for (const reco::Contribution& c : rec.because) check(c.item >= 0 && c.item < n);
      }
    } catch (const reco::ParamError&) {  // e.g. a folded-in factor too large for the index
    }
  };
  reco::RankRequest r;
  r.history = {{0, 1.0f, 1000}, {n / 2, 2.0f, 900000}, {n - 1, 1.0f, 0}};
  r.k = 5;
  verify(r);  // hybrid
  r.mmr_lambda = 0.5f;
  r.tags = {"drama", "b"};
  verify(r);  // filtered, diversified
  reco::RankRequest q;
  q.query.assign(static_cast<std::size_t>(m.content_dim()), 0.0f);
  for (std::size_t i = 0; i < q.query.size(); ++i) q.query[i] = static_cast<float>(i % 3) - 0.5f;
  q.history = {{n - 1, 1.0f, 0}};
  q.mmr_lambda = 0.3f;
  verify(q);  // query
  verify(reco::RankRequest{});  // popular
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 4;
  try {
    if (mode == 0) {
      reco::parse_manifest(Bytes(data + 1, data + size));
      return 0;
    }
    Archive files = unpack(data + 1, size - 1);
    if (mode >= 2) fix_up_manifest(files, mode == 3);
    const reco::BundleSource source = [&files](const std::string& name) {
      const Bytes* b = lookup(files, name);
      if (b == nullptr) throw reco::DataError(name, 0, "", "cannot open the bundle file");
      return *b;
    };
    if ((data[0] & 4) == 0) {
      const reco::LoadedBundle loaded = reco::decode_bundle(source);
      exercise(loaded.model);
    } else {
      reco::DecodeOptions lazy;
      lazy.restore_indexes = false;
      lazy.read_encoder = false;
      reco::LoadedBundle loaded = reco::decode_bundle(source, {}, lazy);
      check(!loaded.model.factor_index && !loaded.model.content_index && loaded.encoder_onnx.empty());
      if (!reco::ranking_needs_indexes(loaded.model)) exercise(loaded.model);
      reco::restore_indexes(loaded.model, loaded.manifest, source);
      check(loaded.model.factor_index && loaded.model.content_index);
      exercise(loaded.model);
    }
  } catch (const reco::DataError&) {
  } catch (const reco::ParamError&) {
  }
  return 0;
}

namespace {

// Deterministic values in [-1, 1) from an integer (no library distributions, so the
// seeds are the same on every platform).
float value(std::uint32_t i) {
  i ^= i >> 16;
  i *= 0x7feb352dU;
  i ^= i >> 15;
  i *= 0x846ca68bU;
  i ^= i >> 16;
  return static_cast<float>(i % 2001) / 1000.0f - 1.0f;
}

reco::HybridModel tiny_model(bool with_map) {
  const int n = 30, f = 4, d = 8;
  const char* genres[] = {"Drama", "Comedy", "Action", "Animation"};
  reco::HybridModel m;
  for (int i = 0; i < n; ++i) {
    m.item_ids.push_back("item" + std::to_string(i));
    reco::ItemInfo info;
    info.title = "Title " + std::to_string(i);
    info.genres = {genres[i % 4]};
    if (i % 3 == 0) info.tags = {"a", i % 2 ? "b" : "c"};
    m.items.push_back(info);
  }
  m.factors.resize(n, f);
  m.embeddings.resize(n, d);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < f; ++k) m.factors(i, k) = value(static_cast<std::uint32_t>(i * 64 + k));
    for (int k = 0; k < d; ++k) m.embeddings(i, k) = value(static_cast<std::uint32_t>(10000 + i * 64 + k));
    m.embeddings.row(i).normalize();
    m.popularity.push_back(static_cast<float>((i * 7) % 11));
  }
  if (with_map) {
    m.factor_map.resize(d + 1, f);
    for (int r = 0; r <= d; ++r)
      for (int k = 0; k < f; ++k) m.factor_map(r, k) = value(static_cast<std::uint32_t>(20000 + r * 64 + k));
  }
  m.reg = 0.1f;
  m.alpha = 2.0f;
  m.params.cf_candidates = 10;
  m.params.content_candidates = 10;
  m.params.popular_candidates = 5;
  m.params.recency_half_life_days = 30.0f;
  m.params.hnsw.M = 2;  // upper levels even at 30 items
  m.params.hnsw.ef_construction = 8;
  m.params.hnsw.ef_search = 4;
  if (with_map) {
    // EASE rows and learned fusion weights, so their sections and manifest fields are fuzzed.
    Eigen::MatrixXf b(n, n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) b(i, j) = i == j ? 0.0f : value(static_cast<std::uint32_t>(30000 + i * 64 + j));
    m.ease = reco::sparsify_rows(b, 4);
    m.params.fusion.edges = {3};
    m.params.fusion.warm = {{1.0f, 0.5f, 0.25f, -0.1f, 0.1f}, {1.0f, 1.0f, 0.0f, 0.0f, -0.5f}};
    m.params.fusion.cold = {{0.5f, 0.0f, 1.0f, 1.0f, 0.0f}, {0.5f, 0.0f, 1.0f, 1.0f, 0.0f}};
  }
  m.rebuild_derived();
  return m;
}

bool write_file(const std::string& path, const Bytes& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
    std::perror(path.c_str());
    return false;
  }
  return true;
}

Bytes pack(std::uint8_t mode, const std::vector<reco::BundleFile>& files) {
  Bytes out{mode};
  for (const reco::BundleFile& file : files) {
    const std::size_t n = file.name.size(), s = file.bytes.size();
    out.push_back(static_cast<std::uint8_t>(n));
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.insert(out.end(), file.name.begin(), file.name.end());
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<std::uint8_t>(s >> (8 * b)));
    out.insert(out.end(), file.bytes.begin(), file.bytes.end());
  }
  return out;
}

int write_seeds(const std::string& dir) {
  const std::pair<reco::MatrixDtype, bool> kinds[] = {
      {reco::MatrixDtype::Int8, true}, {reco::MatrixDtype::Float16, false}, {reco::MatrixDtype::Float32, true}};
  for (const auto& [dtype, with_map] : kinds) {
    const reco::HybridModel q = reco::quantized_model(tiny_model(with_map), dtype);
    reco::BundleInfo info;
    info.created = "2024-01-01T00:00:00Z";
    info.dataset = {{"name", "seed"}};
    const std::vector<reco::BundleFile> files = reco::encode_bundle(q, dtype, {}, info);
    const std::string name = dir + "/" + reco::matrix_dtype_name(dtype);
    // The seed must load, or the fuzzer starts from nothing.
    Bytes archive = pack(1, files);
    try {
      Archive unpacked = unpack(archive.data() + 1, archive.size() - 1);
      const reco::LoadedBundle loaded = reco::decode_bundle([&](const std::string& n) {
        const Bytes* b = lookup(unpacked, n);
        if (b == nullptr) throw reco::DataError(n, 0, "", "missing");
        return *b;
      });
      exercise(loaded.model);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: the seed bundle does not load: %s\n", name.c_str(), e.what());
      return 1;
    }
    if (!write_file(name + ".mode1", archive)) return 1;
    archive[0] = 3;
    if (!write_file(name + ".mode3", archive)) return 1;
    archive[0] = 1 | 4;  // decoded as the browser does
    if (!write_file(name + ".lazy.mode1", archive)) return 1;
    if (with_map) {
      // EASE columns in both stored forms: uint16 (what encode_bundle writes for a catalog
      // this small, in the seeds above) and int32, as bundles before uint16 have them.
      std::vector<reco::BundleFile> wide = files;
      nlohmann::json manifest = nlohmann::json::parse(wide.front().bytes);
      auto& entry = manifest["sections"]["ease_columns"];
      for (reco::BundleFile& file : wide)
        if (file.name == entry["file"].get<std::string>()) {
          Bytes columns;
          for (std::size_t k = 0; k + 2 <= file.bytes.size(); k += 2) {
            for (std::uint8_t byte : {file.bytes[k], file.bytes[k + 1], std::uint8_t{0}, std::uint8_t{0}}) columns.push_back(byte);
          }
          file.bytes = columns;
          entry["dtype"] = "int32";
          entry["bytes"] = columns.size();
          entry["sha256"] = reco::sha256_hex(columns.data(), columns.size());
        }
      const std::string text = manifest.dump(2);
      wide.front().bytes = Bytes(text.begin(), text.end());
      if (!write_file(name + ".int32-columns.mode1", pack(1, wide))) return 1;
    }
    Bytes manifest{0};
    manifest.insert(manifest.end(), files.front().bytes.begin(), files.front().bytes.end());
    if (!write_file(name + ".manifest", manifest)) return 1;
    // Regressions, in mode 2 (checksums fixed up): finite values whose products
    // overflow, an int8 scale of 3e38 / float32 embeddings of +-3e38 (the bundle reader
    // now refuses values beyond the indexes' 1e15; MMR ran past its pool on them).
    if (dtype != reco::MatrixDtype::Float16) {
      std::vector<reco::BundleFile> huge = files;
      const std::string target = dtype == reco::MatrixDtype::Int8 ? "factor_scales." : "embeddings.";
      for (reco::BundleFile& file : huge)
        if (file.name.compare(0, target.size(), target) == 0)
          for (std::size_t i = 0; i + 4 <= file.bytes.size(); i += 4) {
            const bool negative = dtype == reco::MatrixDtype::Float32 && (i / 4) % 2 == 0;  // scales stay >= 0
            const std::uint32_t big = negative ? 0xff61b1e6u : 0x7f61b1e6u;                 // -+3e38
            for (int b = 0; b < 4; ++b) file.bytes[i + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(big >> (8 * b));
          }
      if (!write_file(name + ".huge.mode2", pack(2, huge))) return 1;
    }
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("RECO_BUNDLE_FUZZ_SEEDS"); dir != nullptr && *dir != '\0') std::exit(write_seeds(dir));
  return 0;
}
