#include "reco/content_model.h"

#include <cstdio>

#include "reco/error.h"
#include "reco/item_knn.h"

namespace reco {

TokenizerParams ContentParams::tokenizer() const {
  TokenizerParams t;
  t.buckets = shape.buckets;
  t.min_n = min_n;
  t.max_n = max_n;
  t.bigrams = bigrams;
  return t;
}

void ContentParams::validate() const {
  shape.validate();
  training.validate();
  tokenizer().validate();
  if (neighbours < 1 || neighbours > 10000) throw ParamError("neighbours", "must be in [1, 10000], got " + std::to_string(neighbours));
  if (!(shrinkage >= 0.0f)) throw ParamError("shrinkage", "must be >= 0");
  if (!(map_reg >= 0.0f) || !(map_reg <= 1e9f)) throw ParamError("map_reg", "must be in [0, 1e9]");
  als.validate();
}

ContentModel::ContentModel(std::vector<std::string> item_texts, ContentParams params, ContentScoring scoring)
    : texts_(std::move(item_texts)), params_(std::move(params)), scoring_(scoring), als_(params_.als) {
  params_.validate();
}

void ContentModel::fit(const Interactions& train, const ProgressFn& progress) {
  const std::int32_t n_items = train.n_items();
  if (n_items != static_cast<std::int32_t>(texts_.size()))
    throw ParamError("items", "the training matrix has " + std::to_string(n_items) + " items but the catalog " +
                                  std::to_string(texts_.size()) + " texts");
  // Positive pairs: each item with its strongest collaborative neighbours.
  ItemKnnParams kp;
  kp.neighbours = params_.neighbours;
  kp.shrinkage = params_.shrinkage;
  ItemKnn knn(kp);
  knn.fit(train);
  std::vector<std::vector<std::int32_t>> positives(static_cast<std::size_t>(n_items));
  for (std::int32_t i = 0; i < n_items; ++i)
    for (const ScoredItem& s : knn.neighbours()[static_cast<std::size_t>(i)]) positives[static_cast<std::size_t>(i)].push_back(s.item);

  const Tokenizer tokenizer(params_.tokenizer());
  std::vector<EncoderInput> inputs;
  inputs.reserve(texts_.size());
  for (const std::string& t : texts_) inputs.push_back(encoder_input(tokenizer, t, params_.shape.max_features));

  losses_.clear();
  const int epochs = params_.training.epochs;
  const EncoderWeights w = train_encoder(inputs, positives, params_.shape, params_.training, [&](int epoch, double loss) {
    losses_.push_back(loss);
    if (progress) {
      char stage[64];
      std::snprintf(stage, sizeof stage, "encoder loss %.4f", loss);
      progress(stage, epoch, epochs);
    }
  });
  encoder_ = TextEncoder{tokenizer, QuantizedEncoder::quantize(w)};

  const int dim = params_.shape.dim;
  embeddings_.resize(n_items, dim);
  std::vector<float> e(static_cast<std::size_t>(dim));
  for (std::int32_t i = 0; i < n_items; ++i) {
    encoder_.weights.encode(inputs[static_cast<std::size_t>(i)], e.data());
    for (int k = 0; k < dim; ++k) embeddings_(i, k) = e[static_cast<std::size_t>(k)];
  }
  user_items_ = train.user_items;

  map_.resize(0, 0);
  mapped_.resize(0, 0);
  if (scoring_ == ContentScoring::Factor) {
    als_ = Als(params_.als);
    als_.fit(train, progress);
    // Ridge from [embedding, 1] to the ALS factor over the items with interactions; the
    // bias column is not penalised.
    const FactorMatrix& y = als_.item_factors();
    Eigen::MatrixXd xtx = Eigen::MatrixXd::Zero(dim + 1, dim + 1);
    Eigen::MatrixXd xty = Eigen::MatrixXd::Zero(dim + 1, y.cols());
    Eigen::VectorXd x(dim + 1);
    int warm = 0;
    for (std::int32_t i = 0; i < n_items; ++i) {
      if (train.item_users.row_size(i) == 0) continue;
      ++warm;
      x.head(dim) = embeddings_.row(i).transpose().cast<double>();
      x(dim) = 1.0;
      xtx.noalias() += x * x.transpose();
      xty.noalias() += x * y.row(i).cast<double>();
    }
    if (warm == 0) throw ParamError("train", "no item has interactions to fit the content-to-factor map on");
    for (int k = 0; k < dim; ++k) xtx(k, k) += params_.map_reg;
    map_ = xtx.ldlt().solve(xty).cast<float>();
    Eigen::MatrixXf ext(n_items, dim + 1);
    ext.leftCols(dim) = embeddings_;
    ext.col(dim).setOnes();
    mapped_ = ext * map_;
  }
  if (progress) progress(name(), 1, 1);
}

void ContentModel::score_history(const std::vector<std::int32_t>& items, const std::vector<float>& values,
                                 std::vector<float>& scores) const {
  if (items.size() != values.size()) throw ParamError("values", "history and values differ in length");
  const std::int32_t n_items = static_cast<std::int32_t>(embeddings_.rows());
  for (std::int32_t i : items)
    if (i < 0 || i >= n_items) throw ParamError("item", "index " + std::to_string(i) + " is outside the catalog");
  Eigen::VectorXf scored;
  if (scoring_ == ContentScoring::Profile) {
    Eigen::VectorXf profile = Eigen::VectorXf::Zero(embeddings_.cols());
    for (std::size_t k = 0; k < items.size(); ++k) profile += values[k] * embeddings_.row(items[k]).transpose();
    const float n = profile.norm();
    if (n > 0.0f) profile /= n;
    scored = embeddings_ * profile;
  } else {
    scored = mapped_ * als_.fold_in(items, values);
  }
  scores.assign(scored.data(), scored.data() + scored.size());
}

void ContentModel::score_user(std::int32_t user, std::vector<float>& scores) const {
  if (user < 0 || user >= user_items_.rows) throw ParamError("user", "index " + std::to_string(user) + " is not a training user");
  if (scoring_ == ContentScoring::Factor) {
    const Eigen::VectorXf scored = mapped_ * als_.user_factors().row(user).transpose();
    scores.assign(scored.data(), scored.data() + scored.size());
    return;
  }
  score_history(user_items_.row_indices(user), user_items_.row_values(user), scores);
}

std::int64_t ContentModel::model_bytes() const {
  std::int64_t b = encoder_.weights.bytes() + 4LL * embeddings_.size();
  if (scoring_ == ContentScoring::Factor) b += 4LL * (map_.size() + als_.item_gram().size());
  return b;
}

}  // namespace reco
