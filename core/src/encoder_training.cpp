#include "reco/encoder_training.h"

#include <algorithm>
#include <cmath>

#include "reco/error.h"
#include "reco/random.h"

namespace reco {

namespace {

constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f, kAdamEps = 1e-8f;

// Activations of one text kept for the backward pass.
struct Activation {
  std::vector<float> h;  // tanh(pooled), hidden
  std::vector<float> e;  // unit embedding, dim
  float norm = 1.0f;     // |z| before normalisation
};

void forward(const EncoderWeights& w, const EncoderInput& in, Activation& a) {
  const int hidden = w.shape.hidden, dim = w.shape.dim;
  a.h.assign(static_cast<std::size_t>(hidden), 0.0f);
  for (std::size_t l = 0; l < in.ids.size(); ++l) {
    const float* row = &w.table[static_cast<std::size_t>(in.ids[l]) * hidden];
    for (int k = 0; k < hidden; ++k) a.h[k] += in.weights[l] * row[k];
  }
  for (float& x : a.h) x = std::tanh(x);
  a.e.assign(w.bias.begin(), w.bias.end());
  for (int k = 0; k < hidden; ++k) {
    const float* row = &w.projection[static_cast<std::size_t>(k) * dim];
    for (int j = 0; j < dim; ++j) a.e[j] += a.h[k] * row[j];
  }
  float ss = 0.0f;
  for (float x : a.e) ss += x * x;
  a.norm = std::max(std::sqrt(ss), 1e-12f);
  for (float& x : a.e) x /= a.norm;
}

// Adam state and gradient buffers for the three parameter blocks.
struct Optimiser {
  std::vector<float> table_m, table_v, table_g;
  std::vector<std::int64_t> table_stamp;  // last step whose gradient touched the row
  std::vector<std::uint32_t> touched;     // rows with a gradient this step
  std::vector<float> proj_m, proj_v, proj_g, bias_m, bias_v, bias_g;
  std::int64_t step = 0;

  explicit Optimiser(const EncoderShape& s)
      : table_m(static_cast<std::size_t>(s.buckets) * s.hidden),
        table_v(table_m.size()),
        table_g(table_m.size()),
        table_stamp(s.buckets, -1),
        proj_m(static_cast<std::size_t>(s.hidden) * s.dim),
        proj_v(proj_m.size()),
        proj_g(proj_m.size()),
        bias_m(static_cast<std::size_t>(s.dim)),
        bias_v(bias_m.size()),
        bias_g(bias_m.size()) {}

  float* table_grad(std::uint32_t row, int hidden) {
    if (table_stamp[row] != step) {
      table_stamp[row] = step;
      touched.push_back(row);
      std::fill_n(&table_g[static_cast<std::size_t>(row) * hidden], hidden, 0.0f);
    }
    return &table_g[static_cast<std::size_t>(row) * hidden];
  }

  static void adam(float* p, float* m, float* v, const float* g, std::size_t n, float lr_t) {
    for (std::size_t i = 0; i < n; ++i) {
      m[i] = kBeta1 * m[i] + (1.0f - kBeta1) * g[i];
      v[i] = kBeta2 * v[i] + (1.0f - kBeta2) * g[i] * g[i];
      p[i] -= lr_t * m[i] / (std::sqrt(v[i]) + kAdamEps);
    }
  }

  void apply(EncoderWeights& w, float lr) {
    const double t = static_cast<double>(step + 1);
    const float lr_t = static_cast<float>(lr * std::sqrt(1.0 - std::pow(kBeta2, t)) / (1.0 - std::pow(kBeta1, t)));
    const std::size_t hidden = static_cast<std::size_t>(w.shape.hidden);
    std::sort(touched.begin(), touched.end());  // a fixed order keeps runs identical
    for (std::uint32_t r : touched) {
      const std::size_t o = r * hidden;
      adam(&w.table[o], &table_m[o], &table_v[o], &table_g[o], hidden, lr_t);
    }
    adam(w.projection.data(), proj_m.data(), proj_v.data(), proj_g.data(), proj_g.size(), lr_t);
    adam(w.bias.data(), bias_m.data(), bias_v.data(), bias_g.data(), bias_g.size(), lr_t);
    touched.clear();
    std::fill(proj_g.begin(), proj_g.end(), 0.0f);
    std::fill(bias_g.begin(), bias_g.end(), 0.0f);
    ++step;
  }
};

// Accumulates the gradient of one text given dL/de.
void backward(const EncoderWeights& w, const EncoderInput& in, const Activation& a, const float* de, Optimiser& opt) {
  const int hidden = w.shape.hidden, dim = w.shape.dim;
  // Through e = z / |z|: dz = (de - e (e . de)) / |z|.
  float dot = 0.0f;
  for (int j = 0; j < dim; ++j) dot += a.e[j] * de[j];
  std::vector<float> dz(static_cast<std::size_t>(dim));
  for (int j = 0; j < dim; ++j) dz[j] = (de[j] - a.e[j] * dot) / a.norm;
  for (int j = 0; j < dim; ++j) opt.bias_g[j] += dz[j];
  std::vector<float> dpre(static_cast<std::size_t>(hidden));
  for (int k = 0; k < hidden; ++k) {
    const float* row = &w.projection[static_cast<std::size_t>(k) * dim];
    float* g = &opt.proj_g[static_cast<std::size_t>(k) * dim];
    float dh = 0.0f;
    for (int j = 0; j < dim; ++j) {
      g[j] += a.h[k] * dz[j];
      dh += row[j] * dz[j];
    }
    dpre[k] = dh * (1.0f - a.h[k] * a.h[k]);
  }
  for (std::size_t l = 0; l < in.ids.size(); ++l) {
    float* g = opt.table_grad(static_cast<std::uint32_t>(in.ids[l]), hidden);
    for (int k = 0; k < hidden; ++k) g[k] += in.weights[l] * dpre[k];
  }
}

}  // namespace

void EncoderTraining::validate() const {
  if (epochs < 0 || epochs > 100000) throw ParamError("epochs", "must be in [0, 100000], got " + std::to_string(epochs));
  if (batch < 2 || batch > 65536) throw ParamError("batch", "must be in [2, 65536], got " + std::to_string(batch));
  if (!(learning_rate > 0.0f) || !(learning_rate <= 10.0f))
    throw ParamError("learning_rate", "must be in (0, 10], got " + std::to_string(learning_rate));
  if (!(temperature >= 0.001f) || !(temperature <= 100.0f))
    throw ParamError("temperature", "must be in [0.001, 100], got " + std::to_string(temperature));
  if (!(table_init > 0.0f) || !(table_init <= 10.0f))
    throw ParamError("table_init", "must be in (0, 10], got " + std::to_string(table_init));
  if (!(self_pairs >= 0.0f) || !(self_pairs <= 1.0f))
    throw ParamError("self_pairs", "must be in [0, 1], got " + std::to_string(self_pairs));
}

EncoderWeights train_encoder(const std::vector<EncoderInput>& texts,
                             const std::vector<std::vector<std::int32_t>>& positives, const EncoderShape& shape,
                             const EncoderTraining& training, const std::function<void(int, double)>& on_epoch) {
  shape.validate();
  training.validate();
  if (positives.size() != texts.size())
    throw ParamError("positives", "has " + std::to_string(positives.size()) + " lists for " + std::to_string(texts.size()) + " texts");
  for (const auto& in : texts)
    for (std::int64_t id : in.ids)
      if (id < 0 || id >= static_cast<std::int64_t>(shape.buckets))
        throw ParamError("ids", "feature id " + std::to_string(id) + " is outside the table");
  std::vector<std::int32_t> anchors;
  for (std::size_t i = 0; i < positives.size(); ++i) {
    for (std::int32_t p : positives[i])
      if (p < 0 || static_cast<std::size_t>(p) >= texts.size())
        throw ParamError("positives", "item " + std::to_string(p) + " is outside the catalog");
    if (!positives[i].empty()) anchors.push_back(static_cast<std::int32_t>(i));
  }
  if (anchors.empty()) throw ParamError("positives", "no item has a collaborative neighbour to train on");

  EncoderWeights w = EncoderWeights::initial(shape, training.table_init, training.seed);
  Optimiser opt(shape);
  Rng rng(training.seed ^ 0x5eedf00dULL);
  const int dim = shape.dim;
  const float inv_t = 1.0f / training.temperature;
  std::vector<Activation> acts;
  std::vector<float> logits, grad_logits, de;
  std::vector<const EncoderInput*> inputs;                          // the 2B texts of a step
  std::vector<EncoderInput> crops(static_cast<std::size_t>(training.batch));  // self-pair positives

  for (int epoch = 0; epoch < training.epochs; ++epoch) {
    // Fisher-Yates shuffle of the anchors with the project's generator.
    for (std::size_t i = anchors.size(); i > 1; --i) std::swap(anchors[i - 1], anchors[rng.below(i)]);
    double loss_sum = 0.0;
    std::size_t loss_count = 0;
    for (std::size_t start = 0; start + 1 < anchors.size(); start += static_cast<std::size_t>(training.batch)) {
      const std::size_t b = std::min(anchors.size() - start, static_cast<std::size_t>(training.batch));
      if (b < 2) break;
      // Rows 0..b-1 are anchors, b..2b-1 their positives.
      inputs.resize(2 * b);
      for (std::size_t i = 0; i < b; ++i) {
        const auto& pos = positives[static_cast<std::size_t>(anchors[start + i])];
        inputs[i] = &texts[static_cast<std::size_t>(anchors[start + i])];
        inputs[b + i] = &texts[static_cast<std::size_t>(pos[rng.below(pos.size())])];
        const EncoderInput& own = *inputs[i];
        if (training.self_pairs > 0.0f && !own.ids.empty() && rng.uniform() < training.self_pairs) {
          EncoderInput& part = crops[i];
          part.ids.clear();
          for (std::int64_t id : own.ids)
            if (rng.below(3) == 0) part.ids.push_back(id);
          if (part.ids.empty()) part.ids.push_back(own.ids[rng.below(own.ids.size())]);
          part.weights.assign(part.ids.size(), 1.0f / static_cast<float>(part.ids.size()));
          inputs[b + i] = &part;
        }
      }
      acts.resize(2 * b);
      for (std::size_t i = 0; i < 2 * b; ++i) forward(w, *inputs[i], acts[i]);
      // logits[i][j] = cos(anchor i, positive j) / t.
      logits.assign(b * b, 0.0f);
      for (std::size_t i = 0; i < b; ++i)
        for (std::size_t j = 0; j < b; ++j) {
          float s = 0.0f;
          for (int k = 0; k < dim; ++k) s += acts[i].e[k] * acts[b + j].e[k];
          logits[i * b + j] = s * inv_t;
        }
      // Symmetric cross-entropy: rows (anchor -> positives) and columns (positive -> anchors).
      grad_logits.assign(b * b, 0.0f);
      const float scale = 0.5f / static_cast<float>(b);
      double batch_loss = 0.0;
      for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t i = 0; i < b; ++i) {
          auto at = [&](std::size_t j) -> std::size_t { return pass == 0 ? i * b + j : j * b + i; };
          float m = -INFINITY;
          for (std::size_t j = 0; j < b; ++j) m = std::max(m, logits[at(j)]);
          double z = 0.0;
          for (std::size_t j = 0; j < b; ++j) z += std::exp(static_cast<double>(logits[at(j)] - m));
          batch_loss += std::log(z) + m - logits[at(i)];
          for (std::size_t j = 0; j < b; ++j) {
            const float p = static_cast<float>(std::exp(static_cast<double>(logits[at(j)] - m)) / z);
            grad_logits[at(j)] += scale * (p - (j == i ? 1.0f : 0.0f));
          }
        }
      }
      loss_sum += batch_loss * 0.5;
      loss_count += b;
      // dL/d(anchor i) = sum_j g[i][j] pos_j / t, dL/d(pos j) = sum_i g[i][j] anchor_i / t.
      de.assign(static_cast<std::size_t>(dim), 0.0f);
      for (std::size_t i = 0; i < 2 * b; ++i) {
        std::fill(de.begin(), de.end(), 0.0f);
        for (std::size_t j = 0; j < b; ++j) {
          const float g = (i < b ? grad_logits[i * b + j] : grad_logits[j * b + (i - b)]) * inv_t;
          if (g == 0.0f) continue;
          const std::vector<float>& other = i < b ? acts[b + j].e : acts[j].e;
          for (int k = 0; k < dim; ++k) de[k] += g * other[k];
        }
        backward(w, *inputs[i], acts[i], de.data(), opt);
      }
      opt.apply(w, training.learning_rate);
    }
    if (on_epoch) on_epoch(epoch + 1, loss_count ? loss_sum / static_cast<double>(loss_count) : 0.0);
  }
  return w;
}

}  // namespace reco
