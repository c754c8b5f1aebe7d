// Training the content encoder on the catalog so that items the same users consume land
// near each other: a contrastive objective (InfoNCE with in-batch negatives, symmetric)
// between an item's text and the text of one of its collaborative neighbours (or, for
// a fraction of the anchors, a random part of the item's own text).
//
// Every step takes a batch of anchor items, draws one positive per anchor from its
// neighbour list, embeds the 2B texts, and minimises the cross-entropy of picking the
// true pair among the batch's B x B cosine similarities divided by the temperature.
// Gradients are derived by hand; the optimiser is Adam, lazily on the table rows a
// batch touches. Single-threaded and a pure function of the inputs and the seed.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "reco/content_encoder.h"

namespace reco {

struct EncoderTraining {
  int epochs = 30;              // passes over the anchor items
  int batch = 256;              // anchors per step (>= 2: the others are the negatives)
  float learning_rate = 0.005f; // Adam step size
  float temperature = 0.1f;     // similarity scale of the softmax (cosines / temperature)
  float table_init = 0.1f;      // initial table entries ~ uniform(+-table_init)
  // Fraction of anchors whose positive is a random part of their own text (each feature
  // kept with probability 1/3, at least one) instead of a neighbour: teaches the encoder
  // that a few words of an item's text (a typed query) belong near the item.
  float self_pairs = 0.5f;
  std::uint64_t seed = 42;

  void validate() const;  // ParamError naming the field
};

// `texts[i]` is item i's input; `positives[i]` lists the items that may be paired with i
// (empty: i is never an anchor). `on_epoch(epoch, mean loss)` is called after each epoch.
// Throws ParamError when no item has a positive.
EncoderWeights train_encoder(const std::vector<EncoderInput>& texts,
                             const std::vector<std::vector<std::int32_t>>& positives, const EncoderShape& shape,
                             const EncoderTraining& training,
                             const std::function<void(int epoch, double loss)>& on_epoch = {});

}  // namespace reco
