// Learned fusion of the ranker's signals.
//
// For one request every candidate item has one raw score per signal:
//   cf              x_u . y_i, the ALS fold-in score
//   ease            sum over the history of B[h, i] * strength (EASE, sparse int8 rows)
//   content         cosine between the content profile and the item's embedding
//   content_factor  x_u . map(e_i), the user's factor against the factor the item's text
//                   predicts (so items with few interactions get a collaborative score)
//   popularity      log(1 + training users of the item)
// Each signal is z-scored over the candidates, and the fused score is
//   s_i = sum_s w[b(|history|)][g(i)][s] * z_s(i)
// with b the history-size bucket and g(i) the item's group: warm (it had training
// interactions) or cold (none: held-out items, items added at run time).
//
// The weights are found on validation data only (reco tune --model hybrid): coordinate
// ascent on mean NDCG@10, first over every validation user, then per bucket starting from
// those weights; a bucket with fewer than `min_users` validation users keeps the global
// weights. Cold rows are shaped on item cold-start validation (only cold items are
// candidates, so only their direction matters); a validation split of the ordinary kind
// then also chooses one positive factor for all cold rows, which calibrates cold items
// against warm ones in mixed lists. The search visits a fixed grid in a fixed order, so
// it is deterministic.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace reco {

enum Signal : int { kSignalCf = 0, kSignalEase, kSignalContent, kSignalContentFactor, kSignalPopularity, kSignalCount };

const char* signal_name(int signal);  // "cf", "ease", "content", "content_factor", "popularity"
// The signal with this name; throws ParamError(field) for an unknown one.
int parse_signal(const std::string& name, const std::string& field);

using SignalWeights = std::array<float, kSignalCount>;

struct FusionWeights {
  // Upper bounds (exclusive) of the history-size buckets, increasing: bucket b holds
  // histories with edges[b-1] <= |history| < edges[b]; the last bucket is unbounded.
  std::vector<int> edges;
  std::vector<SignalWeights> warm;  // edges.size() + 1 rows, items with training interactions
  std::vector<SignalWeights> cold;  // edges.size() + 1 rows, items without

  bool empty() const { return warm.empty(); }
  int buckets() const { return static_cast<int>(edges.size()) + 1; }
  int bucket(std::size_t history_size) const;
  void validate() const;  // ParamError naming the field
};

// The default bucket edges: 1-4, 5-9, 10-19, 20-49, 50-99, 100-199, 200+ history items.
std::vector<int> default_fusion_edges();

// The bucket's label for reports: "1-4", "200+".
std::string bucket_label(const FusionWeights& w, int bucket);

// One validation (or test) user, as the learner sees it: per candidate the z-scored
// signals, whether the item is warm, and whether it is relevant (a held-out item).
struct FusionSample {
  std::int32_t history = 0;  // history size (for the bucket)
  std::int32_t relevant_total = 0;  // held-out items of the user, inside or outside the candidates
  std::vector<SignalWeights> z;
  std::vector<char> warm;
  std::vector<char> relevant;
};

// NDCG@k of the sample under `weights` (binary relevance, ideal DCG over
// min(relevant_total, k), ties by candidate order, which is ascending item index).
double sample_ndcg(const FusionSample& sample, const FusionWeights& weights, int k);

struct FusionLearnOptions {
  int k = 10;
  int min_users = 50;        // a bucket with fewer validation users keeps the global weights
  int passes = 4;            // coordinate-ascent sweeps at most
  bool learn_warm = true;    // fit the warm rows (ordinary validation splits)
  bool learn_cold = false;   // fit the cold rows (item cold-start validation splits)
  // Signals held at weight 0 (ablation); the rest are searched.
  std::array<bool, kSignalCount> disabled{};
};

struct FusionFit {
  FusionWeights weights;
  std::vector<int> users;      // validation users per bucket
  std::vector<double> ndcg;    // validation NDCG@k per bucket under `weights`
  double mean_ndcg = 0.0;      // over every sample
};

// Fits the rows the options ask for; rows not fitted are taken from `start` (or, when
// start is empty, set to the CF-only weights). Throws ParamError when there are no samples.
FusionFit learn_fusion(const std::vector<FusionSample>& samples, const FusionWeights& start, const FusionLearnOptions& options);

// Each signal removed in turn: for the test samples, NDCG@k per history bucket under the
// shipped weights, under weights re-learned on `validation` with every signal, and under
// weights re-learned with one signal disabled (one variant per signal).
struct FusionAblation {
  struct Variant {
    std::string name;  // "shipped", "all signals", "without ease", ...
    FusionWeights weights;
    std::vector<double> ndcg;  // per bucket of `shipped` (0 where a bucket has no users)
    double mean = 0.0;         // over every test sample
  };
  std::vector<std::string> buckets;  // labels
  std::vector<int> users;            // test samples per bucket
  std::vector<Variant> variants;
};
FusionAblation ablate_fusion(const std::vector<FusionSample>& validation, const std::vector<FusionSample>& test,
                             const FusionWeights& shipped, const FusionLearnOptions& options);

// The CF-only weights over the default edges (the search's starting point).
FusionWeights cf_only_fusion();

}  // namespace reco
