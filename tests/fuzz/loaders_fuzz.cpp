// libFuzzer target for the data loaders. Whatever the bytes, a parser must either
// succeed with a consistent, all-UTF-8 Dataset or throw DataError with a UTF-8 message;
// anything else (another exception, a crash, a sanitizer report, a hang) is a bug.
//
// Input layout: byte 0 picks the parser (value % 10) and, for the generic CSV, the
// encoding ((value / 10) % 2: latin-1 when 1); the rest is the file's text.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "reco/error.h"
#include "reco/loaders.h"
#include "reco/text_encoding.h"

namespace {

struct Target {
  reco::Format format;
  reco::FileKind kind;
};

constexpr Target kTargets[] = {
    {reco::Format::Ml100k, reco::FileKind::Events},   {reco::Format::Ml100k, reco::FileKind::Items},
    {reco::Format::MlLatest, reco::FileKind::Events}, {reco::Format::MlLatest, reco::FileKind::Items},
    {reco::Format::MlLatest, reco::FileKind::Tags},   {reco::Format::Ml1m, reco::FileKind::Events},
    {reco::Format::Ml1m, reco::FileKind::Items},      {reco::Format::Csv, reco::FileKind::Events},
    {reco::Format::Csv, reco::FileKind::Items},
};
constexpr unsigned kIdListTarget = 9;  // after the kTargets

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    __builtin_trap();
  }
}

bool utf8(const std::string& s) { return reco::find_invalid_utf8(s) == std::string_view::npos; }

void check_dataset(const reco::Dataset& ds) {
  require(ds.item_info.size() == static_cast<std::size_t>(ds.items.size()), "item_info parallel to items");
  for (const reco::Event& e : ds.events) {
    require(e.user >= 0 && e.user < ds.users.size() && e.item >= 0 && e.item < ds.items.size(), "event in range");
  }
  for (std::int32_t u = 0; u < ds.users.size(); ++u) require(!ds.users.id(u).empty() && utf8(ds.users.id(u)), "user id");
  for (std::int32_t i = 0; i < ds.items.size(); ++i) require(!ds.items.id(i).empty() && utf8(ds.items.id(i)), "item id");
  for (const reco::ItemInfo& info : ds.item_info) {
    require(utf8(info.title), "title is UTF-8");
    for (const std::string& g : info.genres) require(!g.empty() && utf8(g), "genre");
    for (const std::string& t : info.tags) require(!t.empty() && utf8(t), "tag");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned target = data[0] % 10;
  const auto encoding = (data[0] / 10) % 2 ? reco::Encoding::Latin1 : reco::Encoding::Utf8;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string name = "fuzz.txt";
  try {
    if (target == kIdListTarget) {
      reco::IdMap items;
      for (const char* id : {"1", "42", "a", "caf\xC3\xA9"}) items.add(id);
      for (const std::int32_t i : reco::parse_item_id_list(text, name, items))
        require(i >= 0 && i < items.size(), "listed id in range");
    } else {
      reco::Dataset ds;
      reco::parse_file(text, name, kTargets[target].format, kTargets[target].kind, ds, encoding);
      check_dataset(ds);
    }
  } catch (const reco::DataError& e) {
    require(e.file() == name && e.line() >= 0, "error location");
    require(utf8(e.what()) && utf8(e.field()), "error message is UTF-8");
  }
  return 0;
}
