// Item-based k-nearest-neighbours: items are similar when the same users interacted with
// both. A user's score for an item sums the similarities of that item to the user's
// history, so the model also serves users it never saw (score_history).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reco/recommender.h"
#include "reco/top_k.h"

namespace reco {

// Defaults: the best of `reco tune --model knn --budget 20` on validation data carved
// from ML-100K's u1..u5 training files (models/params/ml100k-knn.json, README).
struct ItemKnnParams {
  int neighbours = 400;     // similar items kept per item (the top-N cut); >= 1
  float shrinkage = 1.0f;   // added to the cosine's denominator, damps pairs seen by few users; >= 0
};

class ItemKnn : public Recommender {
 public:
  // Throws ParamError naming the first field out of range.
  explicit ItemKnn(const ItemKnnParams& params = {});

  std::string name() const override { return "knn"; }

  // Computes, for every item pair sharing at least one user,
  //   sim(i, j) = dot(i, j) / (|i| |j| + shrinkage)
  // over the item columns of user_items with their stored values (binary or weighted, as
  // the matrix was built), and keeps each item's `neighbours` most similar other items.
  // Cost: about sum over users of row_size^2 multiply-adds; memory: the kept lists plus
  // one dense scratch vector of n_items doubles (no n_items^2 matrix).
  void fit(const Interactions& train, const ProgressFn& progress = {}) override;

  // score_history with the user's training row (items and values).
  void score_user(std::int32_t user, std::vector<float>& scores) const override;

  // scores[i] = sum over h of strengths[h] * sim(items[h], i), taken from the neighbour
  // lists of the history items (so sim is 0 outside them). `strengths` parallels
  // `items`, or is empty to weigh every item 1. Items need not be sorted; a repeated
  // item counts each time. Throws std::out_of_range for an item outside the training
  // catalog and std::invalid_argument when the two vectors differ in length.
  void score_history(const std::vector<std::int32_t>& items, const std::vector<float>& strengths,
                     std::vector<float>& scores) const;

  const ItemKnnParams& params() const { return params_; }

  // neighbours()[i]: item i's kept neighbours (never i itself), most similar first, ties
  // by the smaller item index; `score` is the similarity. Pairs with similarity 0 are
  // not stored. Empty before fit().
  const std::vector<std::vector<ScoredItem>>& neighbours() const { return neighbours_; }

 private:
  // score_history on raw arrays; `strengths` may be null (every item weighs 1).
  void accumulate(const std::int32_t* items, const float* strengths, std::size_t count,
                  std::vector<float>& scores) const;

  ItemKnnParams params_;
  std::int32_t n_users_ = 0;
  std::int32_t n_items_ = 0;
  CsrMatrix user_items_;  // copy of the training rows: score_user reads the history here
  std::vector<std::vector<ScoredItem>> neighbours_;
};

}  // namespace reco
