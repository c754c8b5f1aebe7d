// The evaluation report `reco export` writes beside a bundle: one self-contained HTML
// page (no scripts, no external files) with a bar chart of the ranking metrics of the
// content-only, CF-only and hybrid rankers and the bundle's section table.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace reco::cli {

// `evaluation` is the object `reco export` stores as report.json's "evaluation".
// ParamError("out", ...) when the file cannot be written.
void write_report_html(const std::string& path, const nlohmann::json& manifest, const nlohmann::json& evaluation);

}  // namespace reco::cli
