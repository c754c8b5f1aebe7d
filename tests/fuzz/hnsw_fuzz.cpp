// libFuzzer target for HnswIndex::deserialize (the "RHNS" format, hnsw_index.cpp).
// Whatever the bytes, deserialize must either throw reco::DataError or return an index
// that serialises back to the very same bytes (the format is canonical), answers a
// query with min(k, size) distinct items in order, and accepts one more vector.
// Anything else (another exception, a crash, a sanitizer report, a hang) is a bug.
//
// Built with -DRECO_HNSW_FUZZ_SEEDS (and without -fsanitize=fuzzer) this file is instead
// a program that writes seed indexes: `hnsw_fuzz_seeds DIR`.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "reco/error.h"
#include "reco/hnsw_index.h"

#ifndef RECO_HNSW_FUZZ_SEEDS

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  try {
    reco::HnswIndex index = reco::HnswIndex::deserialize(bytes.data(), bytes.size(), "fuzz.bin");
    if (index.serialize() != bytes) std::abort();
    std::vector<float> query(static_cast<std::size_t>(index.dim()));
    for (std::size_t i = 0; i < query.size(); ++i) query[i] = static_cast<float>(i % 7) - 2.5f;
    for (int round = 0; round < 2; ++round) {
      const int k = 5;
      const std::vector<reco::Neighbour> found = index.search(query.data(), k);
      if (found.size() != static_cast<std::size_t>(std::min(k, index.size()))) std::abort();
      std::vector<char> seen(static_cast<std::size_t>(index.size()), 0);
      for (std::size_t i = 0; i < found.size(); ++i) {
        const reco::Neighbour& x = found[i];
        if (x.item < 0 || x.item >= index.size() || seen[static_cast<std::size_t>(x.item)]) std::abort();
        seen[static_cast<std::size_t>(x.item)] = 1;
        if (i > 0 && (found[i - 1].score < x.score || (found[i - 1].score == x.score && found[i - 1].item > x.item)))
          std::abort();
      }
      if (round == 0 && index.add(query.data()) != index.size() - 1) std::abort();
    }
  } catch (const reco::DataError&) {
  }
  return 0;
}

#else

// Seeds: small indexes of both metrics, with upper levels (M = 2), an empty one, and one
// a few items large with the default parameters.
int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  struct Seed {
    const char* name;
    std::int32_t n;
    int dim;
    reco::HnswMetric metric;
    reco::HnswParams params;
  };
  const Seed seeds[] = {
      {"empty", 0, 3, reco::HnswMetric::Cosine, {}},
      {"one", 1, 2, reco::HnswMetric::InnerProduct, {}},
      {"ip-m2", 24, 3, reco::HnswMetric::InnerProduct, {2, 8, 4, 1}},
      {"cos-m2", 24, 2, reco::HnswMetric::Cosine, {2, 8, 4, 2}},
      {"cos-m3", 40, 4, reco::HnswMetric::Cosine, {3, 16, 8, 3}},
      {"default", 12, 8, reco::HnswMetric::InnerProduct, {}},
  };
  for (const Seed& s : seeds) {
    std::vector<float> rows(static_cast<std::size_t>(s.n) * static_cast<std::size_t>(s.dim));
    for (std::size_t i = 0; i < rows.size(); ++i)  // a few duplicate rows and zeros too
      rows[i] = static_cast<float>(static_cast<int>((i * 2654435761u) % 17) - 8) * (i % 11 == 3 ? 0.0f : 0.25f);
    const auto bytes = reco::HnswIndex::build(rows.data(), s.n, s.dim, s.metric, s.params).serialize();
    const std::string path = std::string(argv[1]) + "/" + s.name + ".rhns";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
      std::perror(path.c_str());
      return 1;
    }
  }
  return 0;
}

#endif
