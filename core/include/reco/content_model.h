// Recommenders built on the trained content encoder. Both rank items by their text, so
// they score items nobody has interacted with (item cold start):
//   "content"         cosine between the user's content profile (the value-weighted mean
//                     of the history items' embeddings) and each item's embedding;
//   "content-factor"  the content-to-factor map: a ridge regression from an item's
//                     embedding to its ALS factor, fitted on the items that have
//                     interactions; a user's score for any item is the dot product of the
//                     user's ALS factor with the item's mapped factor.
// Fitting trains the encoder on the training interactions only (positives are each
// item's item-kNN neighbours), so a cold item's own interactions are never seen.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "reco/als.h"
#include "reco/content_encoder.h"
#include "reco/encoder_training.h"
#include "reco/recommender.h"

namespace reco {

struct ContentParams {
  EncoderShape shape;
  EncoderTraining training;
  int min_n = 3;           // tokenizer character n-grams [min_n, max_n]; max_n 0 disables them
  int max_n = 5;
  bool bigrams = true;     // tokenizer word pairs
  int neighbours = 20;     // collaborative neighbours per item used as positive pairs
  float shrinkage = 10.0f; // item-kNN shrinkage for those neighbours
  float map_reg = 1.0f;    // ridge weight of the content-to-factor map
  AlsParams als;           // the factors the map targets ("content-factor" only)

  TokenizerParams tokenizer() const;
  void validate() const;  // ParamError naming the field
};

enum class ContentScoring { Profile, Factor };

class ContentModel : public Recommender {
 public:
  ContentModel(std::vector<std::string> item_texts, ContentParams params, ContentScoring scoring);

  std::string name() const override { return scoring_ == ContentScoring::Profile ? "content" : "content-factor"; }
  void fit(const Interactions& train, const ProgressFn& progress = {}) override;
  void score_user(std::int32_t user, std::vector<float>& scores) const override;
  std::int64_t model_bytes() const override;

  // Scores every item for a history (item indices with values).
  void score_history(const std::vector<std::int32_t>& items, const std::vector<float>& values,
                     std::vector<float>& scores) const;

  const TextEncoder& encoder() const { return encoder_; }
  // n_items x dim unit embeddings of the catalog's texts (from the quantized encoder).
  const Eigen::MatrixXf& item_embeddings() const { return embeddings_; }
  // (dim + 1) x factors: [embedding, 1] -> ALS factor. Empty for "content".
  const Eigen::MatrixXf& factor_map() const { return map_; }
  // The ALS model the map targets ("content-factor" only; unfitted otherwise).
  const Als& als() const { return als_; }
  // Mean training loss after each epoch.
  const std::vector<double>& loss_history() const { return losses_; }

 private:
  std::vector<std::string> texts_;
  ContentParams params_;
  ContentScoring scoring_;
  TextEncoder encoder_;
  Eigen::MatrixXf embeddings_;
  Eigen::MatrixXf map_;
  Eigen::MatrixXf mapped_;        // n_items x factors ("content-factor")
  Als als_;                       // the factors the map targets ("content-factor")
  CsrMatrix user_items_;
  std::vector<double> losses_;
};

}  // namespace reco
