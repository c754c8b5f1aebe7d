#include "reco/dataset.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace reco {

std::int32_t IdMap::add(const std::string& id) {
  auto it = index_.find(id);
  if (it != index_.end()) return it->second;
  const auto index = static_cast<std::int32_t>(ids_.size());
  ids_.push_back(id);
  index_.emplace(id, index);
  return index;
}

std::int32_t IdMap::find(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? -1 : it->second;
}

std::string item_text(const ItemInfo& info) {
  std::string out = info.title;
  auto add = [&out](const std::string& part) {
    if (part.empty()) return;
    if (!out.empty()) out += " . ";
    out += part;
  };
  for (const auto& g : info.genres) add(g);
  for (const auto& t : info.tags) add(t);
  add(info.text);
  return out;
}

CsrMatrix build_user_item(const std::vector<Event>& events, std::int32_t n_users, std::int32_t n_items,
                          Weighting weighting, Merge merge) {
  // Sort a permutation by (user, item, timestamp, original position) so that Merge::Last
  // is well defined and the result does not depend on the input order of ties.
  std::vector<std::size_t> order(events.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (const Event& e : events) {
    if (e.user < 0 || e.user >= n_users || e.item < 0 || e.item >= n_items)
      throw std::out_of_range("build_user_item: event index outside the matrix");
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Event& x = events[a];
    const Event& y = events[b];
    if (x.user != y.user) return x.user < y.user;
    if (x.item != y.item) return x.item < y.item;
    return x.timestamp < y.timestamp;
  });

  CsrMatrix m;
  m.rows = n_users;
  m.cols = n_items;
  m.indptr.assign(static_cast<std::size_t>(n_users) + 1, 0);
  for (std::size_t k = 0; k < order.size();) {
    const Event& first = events[order[k]];
    float value = 0.0f;
    std::size_t j = k;
    for (; j < order.size() && events[order[j]].user == first.user && events[order[j]].item == first.item; ++j) {
      const float w = weighting == Weighting::Binary ? 1.0f : events[order[j]].weight;
      if (j == k) {
        value = w;
      } else if (merge == Merge::Sum) {
        value += w;
      } else if (merge == Merge::Max) {
        value = std::max(value, w);
      } else {
        value = w;
      }
    }
    m.indices.push_back(first.item);
    m.values.push_back(value);
    m.indptr[static_cast<std::size_t>(first.user) + 1]++;
    k = j;
  }
  for (std::size_t r = 0; r < static_cast<std::size_t>(n_users); ++r) m.indptr[r + 1] += m.indptr[r];
  return m;
}

CsrMatrix transpose(const CsrMatrix& m) {
  CsrMatrix t;
  t.rows = m.cols;
  t.cols = m.rows;
  t.indptr.assign(static_cast<std::size_t>(m.cols) + 1, 0);
  for (std::int32_t c : m.indices) t.indptr[static_cast<std::size_t>(c) + 1]++;
  for (std::size_t r = 0; r < static_cast<std::size_t>(m.cols); ++r) t.indptr[r + 1] += t.indptr[r];
  t.indices.resize(m.indices.size());
  t.values.resize(m.values.size());
  std::vector<std::int64_t> next(t.indptr.begin(), t.indptr.end() - 1);
  // Rows of m are visited in increasing order, so each row of t comes out sorted.
  for (std::int32_t r = 0; r < m.rows; ++r) {
    for (std::int64_t k = m.row_begin(r); k < m.row_end(r); ++k) {
      const auto pos = static_cast<std::size_t>(next[static_cast<std::size_t>(m.indices[k])]++);
      t.indices[pos] = r;
      t.values[pos] = m.values[k];
    }
  }
  return t;
}

Interactions make_interactions(const std::vector<Event>& events, std::int32_t n_users, std::int32_t n_items,
                               Weighting weighting, Merge merge) {
  Interactions x;
  x.user_items = build_user_item(events, n_users, n_items, weighting, merge);
  x.item_users = transpose(x.user_items);
  return x;
}

}  // namespace reco
