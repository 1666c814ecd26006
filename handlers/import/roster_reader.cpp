#include "handlers/import/roster_reader.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <unordered_map>

#include "base/crypto.h"
#include "base/time.h"

namespace passledger::handlers {
namespace {

constexpr std::size_t kNoColumn = static_cast<std::size_t>(-1);

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<int> Number(std::string_view text) {
  int value = 0;
  if (text.empty() || text.size() > 4) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A date that exists, in the years a roster may hold (the reader's policy: 1900-2999).
std::optional<CivilDate> RosterDate(int year, int month, int day) {
  if (year < 1900 || year > 2999 || month < 1 || day < 1) return std::nullopt;
  const CivilDate date{year, static_cast<unsigned>(month), static_cast<unsigned>(day)};
  if (!IsValidDate(date)) return std::nullopt;
  return date;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = text.find(sep);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// Required: an id, a status, an expiration date and at least one way to name a person.
constexpr RosterColumn kRequired[] = {RosterColumn::kMembershipId, RosterColumn::kStatus,
                                      RosterColumn::kExpires};
constexpr RosterColumn kNameColumns[] = {RosterColumn::kCardName, RosterColumn::kLastName,
                                         RosterColumn::kFirstName};

}  // namespace

std::optional<std::string> ParseRosterDate(std::string_view text) {
  int year = 0, month = 0, day = 0;
  if (const auto parts = Split(text, '/'); parts.size() == 3) {
    const auto m = Number(parts[0]), d = Number(parts[1]), y = Number(parts[2]);
    if (!m || !d || !y || parts[0].size() > 2 || parts[1].size() > 2) return std::nullopt;
    if (parts[2].size() == 2) {
      year = 2000 + *y;
    } else if (parts[2].size() == 4) {
      year = *y;
    } else {
      return std::nullopt;
    }
    month = *m;
    day = *d;
  } else if (const auto iso = Split(text, '-'); iso.size() == 3) {
    const auto y = Number(iso[0]), m = Number(iso[1]), d = Number(iso[2]);
    if (!y || !m || !d || iso[0].size() != 4 || iso[1].size() != 2 || iso[2].size() != 2) {
      return std::nullopt;
    }
    year = *y;
    month = *m;
    day = *d;
  } else {
    return std::nullopt;
  }
  const auto date = RosterDate(year, month, day);
  if (!date) return std::nullopt;
  return FormatIsoDate(*date);
}

bool IsEmailAddress(std::string_view text) {
  if (text.size() < 3 || text.size() > 254) return false;
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || text.find('@', at + 1) != text.npos) {
    return false;
  }
  const std::string_view domain = text.substr(at + 1);
  const auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 > domain.size()) return false;
  if (domain.find("..") != domain.npos || domain.front() == '-') return false;
  for (unsigned char c : text) {
    if (c <= ' ' || c == '"' || c == ',' || c == '<' || c == '>' || c == '(' || c == ')' ||
        c == ';' || c == '\\' || c == 0x7f) {
      return false;
    }
  }
  return true;
}

class RosterReader::Impl {
 public:
  explicit Impl(const ImportConfig& config)
      : config_(config), parser_(config.csv, [this](const CsvRow& row) { return OnRow(row); }) {}

  Result<void> Feed(std::string_view bytes) {
    bytes_ += bytes.size();
    if (bytes_ > config_.max_file_bytes) {
      return MakeError(ErrorCode::kTooLarge, "the file is larger than " +
                                                 std::to_string(config_.max_file_bytes) +
                                                 " bytes (import.max_file_bytes)");
    }
    sha_.Update(bytes);
    return parser_.Feed(bytes);
  }

  Result<Roster> Finish() {
    if (auto ok = parser_.Finish(); !ok) return ok.error();
    if (!header_seen_) {
      return MakeError(ErrorCode::kInvalidArgument,
                       bytes_ == 0 ? "the file is empty" : "the file has no header row");
    }
    if (roster_.rows == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "the file has a header but no data rows");
    }
    return Assemble();
  }

  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t rows() const { return roster_.rows; }

 private:
  struct Draft {
    Membership membership;
    std::uint64_t first_line = 0;
    bool rejected = false;
  };

  Result<void> OnRow(const CsvRow& row) {
    if (!header_seen_) return ReadHeader(row);
    ++roster_.rows;
    ReadRow(row);
    return {};
  }

  Result<void> ReadHeader(const CsvRow& row) {
    header_seen_ = true;
    columns_.fill(kNoColumn);
    for (std::size_t c = 0; c < kRosterColumnCount; ++c) {
      const std::string& wanted = config_.headers[c];
      if (wanted.empty()) continue;
      for (std::size_t i = 0; i < row.fields.size(); ++i) {
        if (EqualsIgnoreCase(Trim(row.fields[i]), Trim(wanted))) {
          columns_[c] = i;
          break;
        }
      }
    }
    for (RosterColumn required : kRequired) {
      if (!Has(required)) return MissingColumn(required);
    }
    if (std::none_of(std::begin(kNameColumns), std::end(kNameColumns),
                     [this](RosterColumn c) { return Has(c); })) {
      return MissingColumn(RosterColumn::kLastName);
    }
    return {};
  }

  Error MissingColumn(RosterColumn column) const {
    return MakeError(ErrorCode::kInvalidArgument,
                     "line 1: required column \"" + config_.headers[Index(column)] +
                         "\" is missing from the header (import.columns." +
                         std::string(InfoOf(column).config_key) + ")");
  }

  static std::size_t Index(RosterColumn column) { return static_cast<std::size_t>(column); }
  bool Has(RosterColumn column) const { return columns_[Index(column)] != kNoColumn; }

  std::string_view Field(const CsvRow& row, RosterColumn column) const {
    const std::size_t i = columns_[Index(column)];
    return i < row.fields.size() ? Trim(row.fields[i]) : std::string_view();
  }

  void Reject(const CsvRow& row, std::string_view id, RosterColumn column, std::string reason) {
    RejectedRow r;
    r.line = row.line;
    r.membership_id = std::string(id);
    r.column = config_.headers[Index(column)];
    r.reason = std::move(reason);
    if (!InfoOf(column).personal) r.value = std::string(Field(row, column));
    roster_.rejected.push_back(std::move(r));
    if (id.empty()) {
      ++roster_.rows_without_id;
    } else {
      DraftFor(id).rejected = true;
    }
  }

  bool IsActive(std::string_view status) const {
    return std::any_of(config_.active_statuses.begin(), config_.active_statuses.end(),
                       [&](const std::string& word) { return EqualsIgnoreCase(status, word); });
  }

  // Checks one row; rejects it or merges it into its membership's draft.
  void ReadRow(const CsvRow& row) {
    const std::string_view id = Field(row, RosterColumn::kMembershipId);
    if (id.empty()) return Reject(row, id, RosterColumn::kMembershipId, "no membership ID");
    const std::string_view status = Field(row, RosterColumn::kStatus);
    if (status.empty()) return Reject(row, id, RosterColumn::kStatus, "no status");
    std::string expires;
    if (const auto text = Field(row, RosterColumn::kExpires); !text.empty()) {
      auto date = ParseRosterDate(text);
      if (!date) {
        return Reject(row, id, RosterColumn::kExpires,
                      "not a date (M/D/YYYY, M/D/YY or YYYY-MM-DD)");
      }
      expires = std::move(*date);
    }
    std::optional<AddOn> add_on;
    if (const auto name = Field(row, RosterColumn::kAddOn); !name.empty()) {
      add_on = AddOn{std::string(name), 1};
      if (const auto qty = Field(row, RosterColumn::kAddOnQuantity); !qty.empty()) {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(qty.data(), qty.data() + qty.size(), n);
        if (ec != std::errc() || end != qty.data() + qty.size() || n < 0 || n > 1'000'000) {
          return Reject(row, id, RosterColumn::kAddOnQuantity, "not a whole number");
        }
        add_on->quantity = n;
      }
    }
    // Most rows of a family repeat their membership: compare in place, build nothing.
    if (Draft* draft = FindDraft(id); draft && draft->first_line != 0) {
      return MergeRepeat(row, *draft, status, expires, std::move(add_on));
    }
    Membership fields = RowMembership(row, id, status, std::move(expires));
    if (fields.name.empty() && fields.cardholders.empty()) {
      return Reject(
          row, id, Has(RosterColumn::kLastName) ? RosterColumn::kLastName : RosterColumn::kCardName,
          "no name");
    }
    MergeFirst(row, std::move(fields), std::move(add_on));
  }

  Membership RowMembership(const CsvRow& row, std::string_view id, std::string_view status,
                           std::string expires) const {
    Membership m;
    m.id = std::string(id);
    m.level = std::string(Field(row, RosterColumn::kLevel));
    m.status = std::string(status);
    m.active = IsActive(status);
    m.expires = std::move(expires);
    m.first_name = std::string(Field(row, RosterColumn::kFirstName));
    m.last_name = std::string(Field(row, RosterColumn::kLastName));
    m.name = m.first_name.empty() || m.last_name.empty() ? m.first_name + m.last_name
                                                         : m.first_name + " " + m.last_name;
    m.email = std::string(Field(row, RosterColumn::kEmail));
    m.emailable = IsEmailAddress(m.email);
    m.address = {std::string(Field(row, RosterColumn::kAddressLine1)),
                 std::string(Field(row, RosterColumn::kAddressLine2)),
                 std::string(Field(row, RosterColumn::kCity)),
                 std::string(Field(row, RosterColumn::kState)),
                 std::string(Field(row, RosterColumn::kZip))};
    std::string card(Field(row, RosterColumn::kCardName));
    if (card.empty()) card = m.name;
    if (!card.empty()) m.cardholders.push_back(std::move(card));
    m.first_line = row.line;
    return m;
  }

  // Exports list memberships in id order with their rows together: while that holds, drafts
  // are appended to `ordered_` and found at its end (no hashing, no sorting at the end). The
  // first row out of order moves them all into the map, which takes any order. An id below
  // the last one may have a draft anywhere in `ordered_`, so it is looked up in the map too.
  Draft* FindDraft(std::string_view id) {
    if (in_order_) {
      const int order = ordered_.empty() ? -1 : ordered_.back().membership.id.compare(id);
      if (order == 0) return &ordered_.back();
      if (order < 0) return nullptr;  // after every draft: new
      LeaveOrder();
    }
    auto it = drafts_.find(id);
    return it == drafts_.end() ? nullptr : &it->second;
  }

  // The draft of `id`, created empty when absent.
  Draft& DraftFor(std::string_view id) {
    if (Draft* draft = FindDraft(id)) return *draft;
    if (in_order_) {  // still in order: `id` sorts after every draft
      Draft& draft = ordered_.emplace_back();
      draft.membership.id = std::string(id);
      return draft;
    }
    Draft& draft = drafts_[std::string(id)];
    draft.membership.id = std::string(id);
    return draft;
  }

  void LeaveOrder() {
    in_order_ = false;
    drafts_.reserve(ordered_.size() * 2);
    for (Draft& draft : ordered_) {
      std::string id = draft.membership.id;
      drafts_.emplace(std::move(id), std::move(draft));
    }
    ordered_ = {};
  }

  // The first row of a membership sets its fields.
  void MergeFirst(const CsvRow& row, Membership fields, std::optional<AddOn> add_on) {
    Draft& draft = DraftFor(fields.id);  // may exist: an earlier row of it was rejected
    draft.first_line = row.line;
    draft.membership = std::move(fields);
    if (add_on) draft.membership.add_ons.push_back(std::move(*add_on));
  }

  // A later row must agree with the first and may add a cardholder or an add-on.
  void MergeRepeat(const CsvRow& row, Draft& draft, std::string_view status,
                   std::string_view expires, std::optional<AddOn> add_on) {
    Membership& m = draft.membership;
    auto differs = [&](std::string_view what) {
      return std::string(what) + " differs from line " + std::to_string(draft.first_line);
    };
    if (Field(row, RosterColumn::kLevel) != m.level) {
      return Reject(row, m.id, RosterColumn::kLevel, differs("level"));
    }
    if (status != m.status) return Reject(row, m.id, RosterColumn::kStatus, differs("status"));
    if (expires != m.expires) {
      return Reject(row, m.id, RosterColumn::kExpires, differs("expiration date"));
    }
    const PostalAddress& a = m.address;
    if (Field(row, RosterColumn::kFirstName) != m.first_name ||
        Field(row, RosterColumn::kLastName) != m.last_name ||
        Field(row, RosterColumn::kEmail) != m.email ||
        Field(row, RosterColumn::kAddressLine1) != a.line1 ||
        Field(row, RosterColumn::kAddressLine2) != a.line2 ||
        Field(row, RosterColumn::kCity) != a.city || Field(row, RosterColumn::kState) != a.state ||
        Field(row, RosterColumn::kZip) != a.zip) {
      return Reject(row, m.id, RosterColumn::kLastName, differs("member name, e-mail or address"));
    }
    std::string_view card = Field(row, RosterColumn::kCardName);
    if (card.empty()) card = m.name;
    if (!card.empty() &&
        std::find(m.cardholders.begin(), m.cardholders.end(), card) == m.cardholders.end()) {
      m.cardholders.emplace_back(card);
    }
    if (add_on) {
      auto same = std::find_if(m.add_ons.begin(), m.add_ons.end(),
                               [&](const AddOn& x) { return x.name == add_on->name; });
      if (same == m.add_ons.end()) {
        m.add_ons.push_back(std::move(*add_on));
      } else if (same->quantity != add_on->quantity) {
        return Reject(row, m.id, RosterColumn::kAddOnQuantity,
                      "add-on \"" + add_on->name + "\" has another quantity on an earlier line");
      }
    }
  }

  Result<Roster> Assemble() {
    roster_.bytes = bytes_;
    roster_.sha256 = passledger::ToHex(sha_.Finish());
    // Sorted by id through pointers: each membership is moved once, not swapped around.
    std::vector<std::pair<std::string_view, Draft*>> order;
    order.reserve(in_order_ ? ordered_.size() : drafts_.size());
    auto take = [&](std::string_view id, Draft& draft) {
      if (draft.rejected) {
        roster_.rejected_ids.emplace_back(id);
      } else {
        order.emplace_back(id, &draft);
      }
    };
    if (in_order_) {
      for (Draft& draft : ordered_) take(draft.membership.id, draft);  // already in id order
    } else {
      for (auto& [id, draft] : drafts_) take(id, draft);
      std::sort(order.begin(), order.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    roster_.memberships.reserve(order.size());
    for (auto& [id, draft] : order) {
      // Row order carries no meaning: the same rows in another order are the same roster.
      Membership& m = draft->membership;
      std::sort(m.cardholders.begin(), m.cardholders.end());
      std::sort(m.add_ons.begin(), m.add_ons.end(),
                [](const AddOn& a, const AddOn& b) { return a.name < b.name; });
      roster_.memberships.push_back(std::move(m));
    }
    drafts_.clear();
    ordered_.clear();
    std::sort(roster_.rejected_ids.begin(), roster_.rejected_ids.end());
    return std::move(roster_);
  }

  const ImportConfig& config_;
  CsvParser parser_;
  passledger::Sha256Stream sha_;
  std::uint64_t bytes_ = 0;
  bool header_seen_ = false;
  std::array<std::size_t, kRosterColumnCount> columns_{};
  struct KeyHash {  // lookups by string_view build no string
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>()(key);
    }
  };
  bool in_order_ = true;
  std::deque<Draft> ordered_;  // while in_order_: ascending, distinct ids (never relocated)
  std::unordered_map<std::string, Draft, KeyHash, std::equal_to<>> drafts_;  // otherwise
  Roster roster_;
};

RosterReader::RosterReader(const ImportConfig& config) : impl_(std::make_unique<Impl>(config)) {}
RosterReader::~RosterReader() = default;
Result<void> RosterReader::Feed(std::string_view bytes) { return impl_->Feed(bytes); }
Result<Roster> RosterReader::Finish() { return impl_->Finish(); }
std::uint64_t RosterReader::bytes_read() const { return impl_->bytes(); }
std::uint64_t RosterReader::rows_read() const { return impl_->rows(); }

}  // namespace passledger::handlers
