#include "export_report.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "reco/error.h"

namespace reco::cli {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Grouped horizontal bars: one group per metric, one bar per ranker variant.
std::string chart(const nlohmann::json& evaluation, const std::vector<std::string>& variants, int k) {
  const std::vector<std::string> metrics = {"ndcg@" + std::to_string(k), "recall@" + std::to_string(k)};
  const char* colours[] = {"#8da0cb", "#fc8d62", "#66c2a5", "#1b9e77"};
  double top = 0.0;
  for (const auto& m : metrics)
    for (const auto& v : variants) top = std::max(top, evaluation[v][m].get<double>());
  const double scale = top > 0 ? 420.0 / top : 0.0;
  const int bar = 18, gap = 4, group = static_cast<int>(variants.size()) * (bar + gap) + 24;
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='720' height='" << metrics.size() * group + 10
    << "' role='img' aria-label='ranking metrics by ranker'>";
  for (std::size_t g = 0; g < metrics.size(); ++g) {
    const int y0 = static_cast<int>(g) * group;
    s << "<text x='0' y='" << y0 + 14 << "' font-weight='bold'>" << escape(metrics[g]) << "</text>";
    for (std::size_t b = 0; b < variants.size(); ++b) {
      const double v = evaluation[variants[b]][metrics[g]].get<double>();
      const int y = y0 + 20 + static_cast<int>(b) * (bar + gap);
      s << "<text x='0' y='" << y + 13 << "'>" << escape(variants[b]) << "</text>"
        << "<rect x='150' y='" << y << "' width='" << fixed(v * scale, 1) << "' height='" << bar << "' fill='"
        << colours[b % 4] << "'/>"
        << "<text x='" << fixed(155 + v * scale, 1) << "' y='" << y + 13 << "'>" << fixed(v, 4) << "</text>";
    }
  }
  s << "</svg>";
  return s.str();
}

}  // namespace

void write_report_html(const std::string& path, const nlohmann::json& manifest, const nlohmann::json& evaluation) {
  const int k = evaluation["k"].get<int>();
  std::vector<std::string> variants;
  for (const char* v : {"content-only", "cf-only", "hybrid"}) variants.push_back(v);
  for (auto it = evaluation.begin(); it != evaluation.end(); ++it)
    if (it.key().rfind("hybrid-", 0) == 0) variants.push_back(it.key());
  std::ostringstream h;
  h << "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>reco bundle "
    << escape(manifest["model_version"].get<std::string>()) << "</title>"
    << "<style>body{font:14px system-ui,sans-serif;max-width:760px;margin:2em auto;color:#222}"
       "table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}"
       "td.n{text-align:right;font-variant-numeric:tabular-nums}svg text{font:13px system-ui,sans-serif}</style></head><body>";
  h << "<h1>Model bundle " << escape(manifest["model_version"].get<std::string>()) << "</h1>";
  const auto& d = manifest["dataset"];
  h << "<p>Data set <b>" << escape(d.value("name", "")) << "</b> (" << escape(d.value("format", "")) << "): "
    << d.value("users", 0) << " users, " << d.value("items", 0) << " items, " << d.value("events", 0)
    << " events; trained on " << escape(d.value("trained_on", "")) << ". Created "
    << escape(manifest.value("created", "")) << ".</p>";
  h << "<h2>Ranking quality</h2><p>Split " << escape(evaluation["split"].get<std::string>()) << "; "
    << escape(evaluation["protocol"].get<std::string>()) << ".</p>";
  h << chart(evaluation, variants, k);
  h << "<table><tr><th>ranker</th><th>users</th><th>NDCG@" << k << "</th><th>Recall@" << k << "</th><th>Precision@" << k
    << "</th><th>Coverage@" << k << "</th></tr>";
  for (const auto& v : variants) {
    const auto& r = evaluation[v];
    const std::string at = "@" + std::to_string(k);
    h << "<tr><td>" << escape(v) << "</td><td class=n>" << r["users"].get<int>() << "</td><td class=n>"
      << fixed(r["ndcg" + at].get<double>(), 4) << "</td><td class=n>" << fixed(r["recall" + at].get<double>(), 4)
      << "</td><td class=n>" << fixed(r["precision" + at].get<double>(), 4) << "</td><td class=n>"
      << fixed(r["coverage" + at].get<double>(), 4) << "</td></tr>";
  }
  h << "</table>";
  if (evaluation.contains("ablation")) {
    // Each signal removed in turn, by history size; then the shipped weights per bucket.
    const auto& ab = evaluation["ablation"];
    const std::string at = "ndcg@" + std::to_string(k);
    h << "<h2>Fusion ablation</h2><p>NDCG@" << k << " by history size; " << escape(ab["protocol"].get<std::string>())
      << ".</p><table><tr><th>variant</th><th>all</th>";
    for (std::size_t b = 0; b < ab["buckets"].size(); ++b)
      h << "<th>" << escape(ab["buckets"][b].get<std::string>()) << " (" << ab["users"][b].get<int>() << " users)</th>";
    h << "</tr>";
    for (const auto& v : ab["variants"]) {
      h << "<tr><td>" << escape(v["name"].get<std::string>()) << "</td><td class=n>" << fixed(v[at].get<double>(), 4) << "</td>";
      for (const auto& x : v["by_bucket"]) h << "<td class=n>" << fixed(x.get<double>(), 4) << "</td>";
      h << "</tr>";
    }
    h << "</table><h3>Shipped weights (warm items)</h3><table><tr><th>signal</th>";
    for (const auto& b : ab["buckets"]) h << "<th>" << escape(b.get<std::string>()) << "</th>";
    h << "</tr>";
    const auto& warm = ab["variants"][0]["weights"]["warm"];
    for (auto it = warm[0].begin(); it != warm[0].end(); ++it) {
      h << "<tr><td>" << escape(it.key()) << "</td>";
      for (const auto& row : warm) h << "<td class=n>" << fixed(row[it.key()].get<double>(), 2) << "</td>";
      h << "</tr>";
    }
    h << "</table>";
  }
  const auto& ir = evaluation["index_recall"];
  h << "<h2>Index recall</h2><p>HNSW top-10 against exact search over " << ir["queries"].get<int>()
    << " users' queries (M " << ir["M"].get<int>() << ", ef_construction " << ir["ef_construction"].get<int>()
    << ", ef_search " << ir["ef_search"].get<int>() << "): factors " << fixed(ir["factors_recall@10"].get<double>(), 4)
    << ", content " << fixed(ir["content_recall@10"].get<double>(), 4) << ".</p>";
  h << "<h2>Sections</h2><table><tr><th>section</th><th>file</th><th>dtype</th><th>bytes</th></tr>";
  std::int64_t total = 0;
  for (auto it = manifest["sections"].begin(); it != manifest["sections"].end(); ++it) {
    const std::int64_t b = (*it)["bytes"].get<std::int64_t>();
    total += b;
    h << "<tr><td>" << escape(it.key()) << "</td><td>" << escape((*it)["file"].get<std::string>()) << "</td><td>"
      << escape((*it)["dtype"].get<std::string>()) << "</td><td class=n>" << b << "</td></tr>";
  }
  h << "<tr><td>total</td><td></td><td></td><td class=n>" << total << "</td></tr></table></body></html>\n";
  std::ofstream out(path);
  out << h.str();
  if (!out) throw ParamError("out", "cannot write '" + path + "'");
}

}  // namespace reco::cli
