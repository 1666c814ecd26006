#include "tools/passledger/roster_generator.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "base/time.h"
#include "handlers/import/csv_parser.h"

namespace passledger::tools {
namespace {

constexpr std::size_t kFlushBytes = std::size_t{1} << 20;
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kEol = "\r\n";
constexpr std::string_view kEmptyRow = ",,,,,,,,,,,,,,";
constexpr std::size_t kColumns = kAltruColumns.size();

enum Column : std::size_t {
  kId,
  kLevel,
  kExpiration,
  kStatus,
  kCardName,
  kLastName,
  kFirstName,
  kAddress1,
  kAddress2,
  kCity,
  kState,
  kZip,
  kEmail,
  kAddOn,
  kQuantity,
};

// ---------------------------------------------------------------------------------------------
// Randomness: std::mt19937_64 is specified bit for bit; the distributions are ours, because the
// standard ones differ between standard libraries.

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t Below(std::uint64_t n) { return engine_() % n; }  // REQUIRES: n > 0
  int Between(int lo, int hi) { return lo + static_cast<int>(Below(hi - lo + 1)); }
  bool Chance(std::uint64_t permille) { return Below(1000) < permille; }
  template <class T, std::size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(N)];
  }

 private:
  std::mt19937_64 engine_;
};

template <class T>
struct Weighted {
  T value;
  std::uint64_t weight;
};

template <class T, std::size_t N>
const T& PickWeighted(Rng& rng, const std::array<Weighted<T>, N>& items) {
  std::uint64_t total = 0;
  for (const auto& item : items) total += item.weight;
  std::uint64_t ticket = rng.Below(total);
  for (const auto& item : items) {
    if (ticket < item.weight) return item.value;
    ticket -= item.weight;
  }
  return items.back().value;
}

// ---------------------------------------------------------------------------------------------
// Built-in vocabularies. All names are invented combinations; e-mail domains are RFC 2606.

// `key` is the ASCII form used in e-mail addresses; empty means "the text itself".
struct Name {
  std::string_view text;
  std::string_view key = {};
};

constexpr std::array<Name, 100> kFirstNames = {{
    {"Avery"},    {"Jordan"},   {"Morgan"},  {"Sam"},     {"Priya"},  {"Riley"},  {"Casey"},
    {"Quinn"},    {"Harper"},   {"Rowan"},   {"Emery"},   {"Sage"},   {"Ellis"},  {"Reese"},
    {"Tatum"},    {"Marlowe"},  {"Linden"},  {"Juniper"}, {"Hollis"}, {"Wren"},   {"Arden"},
    {"Blair"},    {"Camden"},   {"Dorian"},  {"Eden"},    {"Finley"}, {"Greer"},  {"Hayden"},
    {"Indira"},   {"Jules"},    {"Kendall"}, {"Lane"},    {"Milo"},   {"Nadia"},  {"Oren"},
    {"Piper"},    {"Rafe"},     {"Selma"},   {"Tamsin"},  {"Ulric"},  {"Vesna"},  {"Willa"},
    {"Xavi"},     {"Yara"},     {"Zane"},    {"Abel"},    {"Bianca"}, {"Cyrus"},  {"Delia"},
    {"Ezra"},     {"Farah"},    {"Gideon"},  {"Hana"},    {"Ivo"},    {"Jasper"}, {"Kira"},
    {"Leona"},    {"Matteo"},   {"Nell"},    {"Otto"},    {"Petra"},  {"Ronan"},  {"Talia"},
    {"Uma"},      {"Vaughn"},   {"Wesley"},  {"Yusuf"},   {"Zora"},   {"Anika"},  {"Bram"},
    {"Clio"},     {"Dashiell"}, {"Elodie"},  {"Fenwick"}, {"Gemma"},  {"Hugo"},   {"Iris"},
    {"Joaquin"},  {"Kai"},      {"Lucia"},   {"Mateo"},   {"Noor"},   {"Odette"}, {"Pax"},
    {"Rosalind"}, {"Silas"},    {"Thea"},    {"Viggo"},   {"Winona"}, {"Adaeze"}, {"Bastian"},
    {"Cosima"},   {"Darius"},   {"Esme"},    {"Felix"},   {"Greta"},  {"Henrik"}, {"Ines"},
    {"Jonah"},    {"Jean-Luc"},
}};

constexpr std::array<Name, 24> kAccentedFirstNames = {{
    {"José", "jose"},     {"Zoë", "zoe"},       {"Søren", "soren"},   {"Björn", "bjorn"},
    {"Renée", "renee"},   {"Inés", "ines"},     {"Łucja", "lucja"},   {"Anaïs", "anais"},
    {"Jürgen", "jurgen"}, {"Noémie", "noemie"}, {"Agnès", "agnes"},   {"Dagný", "dagny"},
    {"Émile", "emile"},   {"Åsa", "asa"},       {"Maëlle", "maelle"}, {"Oğuz", "oguz"},
    {"Tomás", "tomas"},   {"Siân", "sian"},     {"Mária", "maria"},   {"Øystein", "oystein"},
    {"Chloé", "chloe"},   {"Raúl", "raul"},     {"Ľubica", "lubica"}, {"Ana Lucía", "analucia"},
}};

constexpr std::array<Name, 110> kLastNames = {{
    {"Quill"},     {"Reyes"},        {"Okafor"},       {"Lindqvist"},  {"Ashgrove"},
    {"Birchwood"}, {"Calloway"},     {"Dunmore"},      {"Everhart"},   {"Fairweather"},
    {"Galloway"},  {"Hartwell"},     {"Ivesdale"},     {"Jessup"},     {"Kettering"},
    {"Larkspur"},  {"Merriweather"}, {"Northcott"},    {"Oakhurst"},   {"Pemberton"},
    {"Quenby"},    {"Ravensworth"},  {"Stillwater"},   {"Thornbury"},  {"Underhill"},
    {"Whitlock"},  {"Yarrow"},       {"Zellner"},      {"Abernathy"},  {"Bellweather"},
    {"Crane"},     {"Dewhurst"},     {"Ellery"},       {"Foxworth"},   {"Greaves"},
    {"Holloway"},  {"Inglewood"},    {"Kestrel"},      {"Lowell"},     {"Marchetti"},
    {"Nakamura"},  {"Osei"},         {"Park"},         {"Quintero"},   {"Rasmussen"},
    {"Sato"},      {"Tran"},         {"Umeh"},         {"Varga"},      {"Wong"},
    {"Xu"},        {"Yilmaz"},       {"Zhou"},         {"Bergstrom"},  {"Castellanos"},
    {"Dimitrov"},  {"Eriksen"},      {"Gupta"},        {"Haddad"},     {"Ivanova"},
    {"Jansen"},    {"Kowalski"},     {"Lachance"},     {"Novak"},      {"O'Brien"},
    {"Petrov"},    {"Ramirez"},      {"Schultz"},      {"Tanaka"},     {"Ulloa"},
    {"Vasquez"},   {"Whitaker"},     {"Young"},        {"Zamora"},     {"Ashby"},
    {"Bramble"},   {"Cobbett"},      {"Dalloway"},     {"Emberly"},    {"Fennimore"},
    {"Goodwin"},   {"Hawthorne"},    {"Ingram"},       {"Jolliffe"},   {"Kingsley"},
    {"Lockwood"},  {"Moss"},         {"Nettles"},      {"Orchard"},    {"Pryce"},
    {"Rook"},      {"Sedgwick"},     {"Tolliver"},     {"Upton"},      {"Vale"},
    {"Wilder"},    {"Yates"},        {"Alder"},        {"Briar"},      {"Cotter"},
    {"Penrose"},   {"Winslow"},      {"Van der Berg"}, {"De la Cruz"}, {"McAllister"},
    {"St. Clair"}, {"Smith-Okoro"},  {"Fernsby"},      {"Glenwright"}, {"Heathcote"},
}};

constexpr std::array<Name, 24> kAccentedLastNames = {{
    {"Núñez", "nunez"},
    {"Müller", "muller"},
    {"Østergaard", "ostergaard"},
    {"Søndergård", "sondergard"},
    {"García", "garcia"},
    {"Łowicki", "lowicki"},
    {"Öztürk", "ozturk"},
    {"Dvořák", "dvorak"},
    {"Håkansson", "hakansson"},
    {"Peña", "pena"},
    {"Ibáñez", "ibanez"},
    {"Lefèvre", "lefevre"},
    {"Šimić", "simic"},
    {"Ní Bhriain", "nibhriain"},
    {"Þórsdóttir", "thorsdottir"},
    {"Nguyễn", "nguyen"},
    {"Çelik", "celik"},
    {"Żeleński", "zelenski"},
    {"Fjørtoft", "fjortoft"},
    {"Kovačević", "kovacevic"},
    {"Gómez", "gomez"},
    {"Mäkinen", "makinen"},
    {"Würtz", "wurtz"},
    {"Brønnum", "bronnum"},
}};

constexpr std::array<Name, 22> kOrgWords = {{
    {"Greenhouse"},
    {"Riverbend"},
    {"Canopy"},
    {"Fernbrook"},
    {"Hillside"},
    {"Northside"},
    {"Keystone"},
    {"Summit"},
    {"Bluestone"},
    {"Ironbridge"},
    {"Lantern"},
    {"Harbor"},
    {"Meadowlark"},
    {"Copperleaf"},
    {"Stonegate"},
    {"Brightwater"},
    {"Cedar Hollow", "cedarhollow"},
    {"Foxglove"},
    {"Sunroom"},
    {"Café Botánica", "cafebotanica"},
    {"Größl", "grossl"},
    {"Marigold"},
}};

constexpr std::array<Name, 16> kOrgTrades = {{
    {"Partners LLC", "partners"},
    {"Dental Group", "dental"},
    {"Architects", "architects"},
    {"Bakery Inc.", "bakery"},
    {"Law Offices", "law"},
    {"Engineering Co.", "engineering"},
    {"Credit Union", "cu"},
    {"Montessori School", "montessori"},
    {"Garden Club", "gardenclub"},
    {"Realty", "realty"},
    {"Health Partners", "health"},
    {"Consulting Ltd.", "consulting"},
    {"Public Library", "library"},
    {"Veterinary Clinic", "vet"},
    {"Senior Center", "seniors"},
    {"Cooperative", "coop"},
}};

constexpr std::array<std::string_view, 40> kStreetNames = {
    "Fernleaf", "Orchid",   "Moss",     "Conservatory", "Willow",   "Juniper",  "Maple",
    "Sycamore", "Hemlock",  "Aspen",    "Linden",       "Magnolia", "Chestnut", "Hawthorn",
    "Bramble",  "Thistle",  "Primrose", "Clover",       "Heather",  "Laurel",   "Ivy",
    "Cedar",    "Birch",    "Alder",    "Elm",          "Poplar",   "Spruce",   "Tamarack",
    "Palm",     "Begonia",  "Dahlia",   "Peony",        "Azalea",   "Camellia", "Wisteria",
    "Trillium", "Bluebell", "Foxglove", "Marigold",     "Sorrel",
};

constexpr std::array<std::string_view, 16> kStreetSuffixes = {
    "St", "Ave", "Rd",     "Ln",     "Way",  "Ct",   "Blvd",   "Row",
    "Pl", "Dr",  "Street", "Avenue", "Road", "Lane", "Circle", "Pike",
};

struct City {
  std::string_view name;
  std::string_view state;
  int zip_first;  // ZIPs zip_first .. zip_first + zip_count - 1
  int zip_count;
};

// Mostly the museum's own area; about 12% in states whose ZIPs start with a zero.
constexpr std::array<Weighted<City>, 30> kCities = {{
    {{"Pittsburgh", "PA", 15201, 44}, 420},  {{"Sewickley", "PA", 15143, 1}, 30},
    {{"Bethel Park", "PA", 15102, 1}, 30},   {{"Wexford", "PA", 15090, 1}, 25},
    {{"Monroeville", "PA", 15146, 1}, 25},   {{"Cranberry Township", "PA", 16066, 1}, 20},
    {{"Mt. Lebanon", "PA", 15228, 1}, 25},   {{"Erie", "PA", 16501, 10}, 20},
    {{"Philadelphia", "PA", 19102, 50}, 40}, {{"Harrisburg", "PA", 17101, 12}, 15},
    {{"State College", "PA", 16801, 3}, 15}, {{"Worcester", "MA", 1601, 10}, 15},
    {{"Holden", "MA", 1520, 1}, 5},          {{"Boston", "MA", 2108, 30}, 25},
    {{"Cambridge", "MA", 2138, 5}, 10},      {{"Providence", "RI", 2903, 8}, 10},
    {{"Hartford", "CT", 6103, 10}, 10},      {{"New Haven", "CT", 6510, 10}, 10},
    {{"Newark", "NJ", 7102, 10}, 10},        {{"Princeton", "NJ", 8540, 3}, 10},
    {{"Burlington", "VT", 5401, 2}, 5},      {{"Portland", "ME", 4101, 2}, 5},
    {{"Manchester", "NH", 3101, 4}, 5},      {{"Buffalo", "NY", 14201, 20}, 20},
    {{"Rochester", "NY", 14604, 20}, 15},    {{"Cleveland", "OH", 44101, 30}, 30},
    {{"Columbus", "OH", 43201, 20}, 20},     {{"Morgantown", "WV", 26501, 5}, 20},
    {{"Baltimore", "MD", 21201, 30}, 25},    {{"Washington", "DC", 20001, 30}, 20},
}};

enum class Level { kIndividual, kDual, kFamily, kPatron, kSustaining, kOrganisation };

constexpr std::array<std::string_view, 6> kLevelNames = {
    "Individual", "Dual", "Family", "Patron", "Sustaining", "Organisation",
};

constexpr std::array<Weighted<Level>, 6> kLevels = {{
    {Level::kIndividual, 350},
    {Level::kDual, 250},
    {Level::kFamily, 230},
    {Level::kPatron, 80},
    {Level::kSustaining, 40},
    {Level::kOrganisation, 50},
}};

constexpr std::array<Weighted<std::size_t>, 3> kFamilySizes = {{{2, 35}, {3, 40}, {4, 25}}};

constexpr std::array<std::string_view, 3> kAddOns = {"Guest Pass", "Parking", "Reciprocal"};

constexpr std::array<std::string_view, 7> kEmailDomains = {
    "example.com",      "example.org",      "example.net",       "example.edu",
    "mail.example.com", "post.example.net", "inbox.example.org",
};

constexpr std::array<std::string_view, 4> kOrgMailboxes = {"members", "info", "office", "hello"};

constexpr std::array<std::string_view, 6> kBadDates = {
    "13/45/2027", "soon", "2027-02-30", "31/12/2027", "TBD", "12/31/20277",
};

// ---------------------------------------------------------------------------------------------
// Small text helpers.

void AppendNumber(std::string& out, std::uint64_t value, int min_digits = 1) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)ec;
  for (auto digits = end - buffer; digits < min_digits; ++digits) out += '0';
  out.append(buffer, end);
}

// Lower-case ASCII letters and digits of the name's e-mail form; everything else dropped.
void AppendKey(std::string& out, const Name& name) {
  for (char c : name.key.empty() ? name.text : name.key) {
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    }
  }
}

void AppendRow(std::string& out, const std::array<std::string_view, kColumns>& fields) {
  for (std::size_t i = 0; i < kColumns; ++i) {
    if (i != 0) out += ',';
    AppendCsvField(out, fields[i]);
  }
  out += kEol;
}

void AppendRow(std::string& out, const std::vector<std::string>& fields) {
  std::array<std::string_view, kColumns> views;
  for (std::size_t i = 0; i < kColumns; ++i) views[i] = fields[i];
  AppendRow(out, views);
}

void AppendHeader(std::string& out) {
  out += kBom;
  AppendRow(out, kAltruColumns);
}

void AppendTrailer(std::string& out) {
  out += kEmptyRow;
  out += kEol;
  out += kEmptyRow;  // Altru ends without a line end
}

// Buffers output and hands it to the sink in ~1 MiB pieces.
class Output {
 public:
  explicit Output(const RosterSink& sink) : sink_(sink) { text_.reserve(kFlushBytes + 4096); }
  std::string& text() { return text_; }
  Result<void> MaybeFlush() { return text_.size() >= kFlushBytes ? Flush() : Result<void>(); }
  Result<void> Flush() {
    if (text_.empty()) return {};
    auto ok = sink_(text_);
    text_.clear();
    return ok;
  }

 private:
  const RosterSink& sink_;
  std::string text_;
};

// ---------------------------------------------------------------------------------------------
// Dates: the three formats the Altru export uses.

enum class DateStyle { kSlashLong, kSlashShort, kIso };  // 12/31/2027, 12/31/27, 2027-12-31

struct Date {
  int year = 0;  // four digits
  int month = 0;
  int day = 0;
  DateStyle style = DateStyle::kSlashLong;
};

int DaysInMonth(int year, int month) {
  return static_cast<int>(passledger::DaysInMonth(year, static_cast<unsigned>(month)));
}

void AppendDate(std::string& out, const Date& date) {
  switch (date.style) {
    case DateStyle::kIso:
      AppendNumber(out, date.year, 4);
      out += '-';
      AppendNumber(out, date.month, 2);
      out += '-';
      AppendNumber(out, date.day, 2);
      return;
    case DateStyle::kSlashLong:
    case DateStyle::kSlashShort:
      AppendNumber(out, date.month);
      out += '/';
      AppendNumber(out, date.day);
      out += '/';
      if (date.style == DateStyle::kSlashLong) {
        AppendNumber(out, date.year, 4);
      } else {
        AppendNumber(out, date.year % 100, 2);
      }
      return;
  }
}

// Parses `text` as a whole number of 1..max_digits digits.
std::optional<int> ParseDigits(std::string_view text, std::size_t min_digits,
                               std::size_t max_digits) {
  if (text.size() < min_digits || text.size() > max_digits) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<Date> ParseDate(std::string_view text) {
  Date date;
  std::optional<int> year, month, day;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    date.style = DateStyle::kIso;
    year = ParseDigits(text.substr(0, 4), 4, 4);
    month = ParseDigits(text.substr(5, 2), 2, 2);
    day = ParseDigits(text.substr(8, 2), 2, 2);
  } else {
    const auto first = text.find('/');
    const auto second = text.find('/', first == text.npos ? text.npos : first + 1);
    if (second == text.npos) return std::nullopt;
    month = ParseDigits(text.substr(0, first), 1, 2);
    day = ParseDigits(text.substr(first + 1, second - first - 1), 1, 2);
    const auto year_text = text.substr(second + 1);
    date.style = year_text.size() == 2 ? DateStyle::kSlashShort : DateStyle::kSlashLong;
    year = ParseDigits(year_text, 2, 4);
    if (year && year_text.size() == 3) return std::nullopt;
    if (year && date.style == DateStyle::kSlashShort) *year += 2000;
  }
  if (!year || !month || !day || *month < 1 || *month > 12) return std::nullopt;
  if (*day < 1 || *day > DaysInMonth(*year, *month)) return std::nullopt;
  date.year = *year;
  date.month = *month;
  date.day = *day;
  return date;
}

// ---------------------------------------------------------------------------------------------
// Pieces shared by the generator and the changes.

const Name& PickFirstName(Rng& rng) {
  return rng.Chance(60) ? rng.Pick(kAccentedFirstNames) : rng.Pick(kFirstNames);
}

const Name& PickLastName(Rng& rng) {
  return rng.Chance(60) ? rng.Pick(kAccentedLastNames) : rng.Pick(kLastNames);
}

// "400 Orchid Ave"; rarely with a comma or with double quotes.
void AppendStreetAddress(std::string& out, Rng& rng) {
  AppendNumber(out, rng.Chance(700) ? rng.Between(1, 999) : rng.Between(1000, 12999));
  out += ' ';
  if (rng.Chance(4)) {
    out += '"';
    out += rng.Pick(kStreetNames);
    out += "\" Court";
    return;
  }
  out += rng.Pick(kStreetNames);
  out += ' ';
  out += rng.Pick(kStreetSuffixes);
  if (rng.Chance(10)) out += ", Rear";
}

// Mostly empty; some with commas (quoted), very rarely with a line break (LF).
void AppendAddressLine2(std::string& out, Rng& rng, bool organisation) {
  if (!rng.Chance(organisation ? 600 : 180)) return;
  const int n = rng.Between(1, 40);
  switch (rng.Below(organisation ? 2 : 7)) {
    case 0:
      out += "Suite ";
      AppendNumber(out, n * 10);
      return;
    case 1:
      out += "Floor ";
      AppendNumber(out, n % 12 + 1);
      if (rng.Chance(400)) out += ", East Wing";
      return;
    case 2:
      out += "Apt ";
      AppendNumber(out, n);
      return;
    case 3:
      out += "Unit ";
      AppendNumber(out, n);
      out += static_cast<char>('A' + rng.Below(6));
      return;
    case 4:
      out += "Apt ";
      AppendNumber(out, n);
      out += rng.Chance(500) ? ", Rear" : ", Side Door";
      return;
    case 5:
      out += '#';
      AppendNumber(out, n);
      return;
    default:
      if (rng.Chance(50)) {
        out += "Building ";
        out += static_cast<char>('A' + rng.Below(4));
        out += "\nUnit ";
        AppendNumber(out, n);
      } else {
        out += "PO Box ";
        AppendNumber(out, n * 37 + 100);
      }
      return;
  }
}

void AppendZip(std::string& out, Rng& rng, const City& city) {
  AppendNumber(out, city.zip_first + rng.Below(city.zip_count), 5);
  if (rng.Chance(20)) {
    out += '-';
    AppendNumber(out, rng.Below(10000), 4);
  }
}

// Most addresses carry digits of the membership number, so few memberships share one.
void AppendPersonEmail(std::string& out, Rng& rng, const Name& first, const Name& last,
                       std::uint64_t number) {
  const auto style = rng.Below(10);
  if (style < 7) {
    AppendKey(out, first);
    out += style < 4 ? '.' : '_';
    AppendKey(out, last);
  } else {
    AppendKey(out, Name{(first.key.empty() ? first.text : first.key).substr(0, 1)});
    AppendKey(out, last);
  }
  if (style >= 2) AppendNumber(out, number % (style < 6 ? 10000 : 1000));
  out += '@';
  out += rng.Pick(kEmailDomains);
}

Date RandomExpiration(Rng& rng, bool lapsed) {
  Date date;
  if (lapsed) {
    date.year = rng.Between(2023, 2025);
  } else {
    const auto roll = rng.Below(100);
    date.year = roll < 35 ? 2026 : roll < 80 ? 2027 : 2028;
  }
  date.month = rng.Between(1, 12);
  date.day = rng.Chance(850) ? DaysInMonth(date.year, date.month) : rng.Chance(500) ? 1 : 15;
  const auto style = rng.Below(1000);
  date.style = style < 800   ? DateStyle::kSlashLong
               : style < 920 ? DateStyle::kSlashShort
                             : DateStyle::kIso;
  return date;
}

// ---------------------------------------------------------------------------------------------
// The generator.

struct AddOn {
  std::string_view name;
  std::string quantity;
};

// One membership; strings are reused from one membership to the next.
struct Membership {
  std::string id, level, expiration, status, last, first, address1, address2, city, state, zip,
      email;
  std::vector<std::string> cards;  // cards[0] is the primary cardholder
  std::size_t card_count = 0;
  std::array<AddOn, kAddOns.size()> add_ons;
  std::size_t add_on_count = 0;

  void Clear() {
    for (auto* s : {&id, &level, &expiration, &status, &last, &first, &address1, &address2, &city,
                    &state, &zip, &email}) {
      s->clear();
    }
    card_count = 0;
    add_on_count = 0;
  }
  std::string& NewCard() {
    if (cards.size() == card_count) cards.emplace_back();
    std::string& card = cards[card_count++];
    card.clear();
    return card;
  }
  bool HasCard(std::string_view name, std::size_t upto) const {
    return std::find(cards.begin(), cards.begin() + static_cast<std::ptrdiff_t>(upto), name) !=
           cards.begin() + static_cast<std::ptrdiff_t>(upto);
  }
  // Rows this membership takes: one per add-on on the primary card, one per other card.
  std::uint64_t Rows() const { return std::max<std::size_t>(add_on_count, 1) + card_count - 1; }
};

class Generator {
 public:
  Generator(const RosterSpec& spec, const RosterSink& sink)
      : spec_(spec), rng_(spec.seed), out_(sink) {}

  Result<RosterStats> Run() {
    AppendHeader(out_.text());
    while (good_rows_ < spec_.rows) {
      if (auto ok = WriteDueBadRows(); !ok) return ok.error();
      FillMembership(/*simple=*/false);
      WriteMembership(spec_.rows - good_rows_);
      if (auto ok = out_.MaybeFlush(); !ok) return ok.error();
    }
    if (auto ok = WriteDueBadRows(); !ok) return ok.error();
    AppendTrailer(out_.text());
    if (auto ok = out_.Flush(); !ok) return ok.error();
    stats_.rows = good_rows_ + stats_.bad_rows;
    return stats_;
  }

 private:
  // Bad row i goes after about (i + 1) / (K + 1) of the good rows, between memberships.
  std::uint64_t BadRowPosition(std::uint64_t i) const {
    const std::uint64_t parts = spec_.bad_rows + 1;
    return spec_.rows / parts * (i + 1) + spec_.rows % parts * (i + 1) / parts;
  }

  Result<void> WriteDueBadRows() {
    while (stats_.bad_rows < spec_.bad_rows &&
           (good_rows_ >= spec_.rows || good_rows_ >= BadRowPosition(stats_.bad_rows))) {
      WriteBadRow(stats_.bad_rows % 4);
      ++stats_.bad_rows;
      if (auto ok = out_.MaybeFlush(); !ok) return ok;
    }
    return {};
  }

  void NextId() {
    id_number_ += rng_.Chance(150) ? rng_.Between(2, 4) : 1;
    m_.id = "8-";
    AppendNumber(m_.id, id_number_);
    ++stats_.memberships;
  }

  void FillMembership(bool simple) {
    m_.Clear();
    NextId();
    const Level level = simple ? Level::kIndividual : PickWeighted(rng_, kLevels);
    m_.level = kLevelNames[static_cast<std::size_t>(level)];
    const bool lapsed = rng_.Chance(80);
    m_.status = lapsed ? "Lapsed" : "Active";
    AppendDate(m_.expiration, RandomExpiration(rng_, lapsed));
    const City& city = PickWeighted(rng_, kCities);
    AppendStreetAddress(m_.address1, rng_);
    AppendAddressLine2(m_.address2, rng_, level == Level::kOrganisation);
    m_.city = city.name;
    m_.state = city.state;
    AppendZip(m_.zip, rng_, city);
    if (level == Level::kOrganisation) {
      FillOrganisation();
    } else {
      FillPerson(level, simple);
    }
    if (!simple) FillAddOns(level);
  }

  void FillOrganisation() {
    const Name& word = rng_.Pick(kOrgWords);
    std::string& card = m_.NewCard();
    std::string slug;
    if (rng_.Chance(150)) {
      const Name& a = rng_.Pick(kLastNames);
      const Name& b = rng_.Pick(kLastNames);
      card.append(a.text).append(", ").append(b.text).append(" & Partners");
      AppendKey(slug, a);
      slug += '-';
      AppendKey(slug, b);
    } else {
      const Name& trade = rng_.Pick(kOrgTrades);
      const Name& name = rng_.Chance(500) ? word : rng_.Pick(kLastNames);
      card.append(name.text).append(" ").append(trade.text);
      AppendKey(slug, name);
      slug += '-';
      AppendKey(slug, trade);
    }
    m_.last = card;
    if (!rng_.Chance(30)) {
      m_.email.append(rng_.Pick(kOrgMailboxes)).append("@").append(slug).append(".example");
    }
  }

  std::size_t CardCount(Level level) {
    switch (level) {
      case Level::kDual:
        return rng_.Chance(800) ? 2 : 1;
      case Level::kFamily:
        return PickWeighted(rng_, kFamilySizes);
      case Level::kPatron:
      case Level::kSustaining:
        return rng_.Chance(500) ? 2 : 1;
      default:
        return 1;
    }
  }

  void FillPerson(Level level, bool simple) {
    const Name& first = PickFirstName(rng_);
    const Name& last = PickLastName(rng_);
    m_.first = first.text;
    m_.last = last.text;
    m_.NewCard().append(first.text).append(" ").append(last.text);
    const std::size_t cards = simple ? 1 : CardCount(level);
    for (int tries = 0; m_.card_count < cards && tries < 20; ++tries) AddCardholder(last);
    if (!rng_.Chance(30)) AppendPersonEmail(m_.email, rng_, first, last, id_number_);
  }

  // Another cardholder: usually the same last name, sometimes not; never a repeated name.
  void AddCardholder(const Name& last) {
    std::string& card = m_.NewCard();
    card.append(PickFirstName(rng_).text).append(" ");
    card.append(rng_.Chance(850) ? last.text : PickLastName(rng_).text);
    if (m_.HasCard(card, m_.card_count - 1)) --m_.card_count;
  }

  void FillAddOns(Level level) {
    if (!rng_.Chance(level == Level::kOrganisation ? 400 : 110)) return;
    std::array<std::size_t, kAddOns.size()> order = {0, 1, 2};
    for (std::size_t i = order.size() - 1; i > 0; --i)
      std::swap(order[i], order[rng_.Below(i + 1)]);
    const auto roll = rng_.Below(10);
    m_.add_on_count = roll < 6 ? 1 : roll < 9 ? 2 : 3;
    std::sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(m_.add_on_count));
    for (std::size_t i = 0; i < m_.add_on_count; ++i) {
      AddOn& add_on = m_.add_ons[i];
      add_on.name = kAddOns[order[i]];
      add_on.quantity.clear();
      const auto q = rng_.Below(100);
      AppendNumber(add_on.quantity, q < 50   ? 1
                                    : q < 75 ? 2
                                             : static_cast<std::uint64_t>(rng_.Between(3, 10)));
    }
  }

  std::array<std::string_view, kColumns> RowFields(std::string_view card, std::string_view add_on,
                                                   std::string_view quantity) const {
    return {m_.id,    m_.level, m_.expiration, m_.status,   card,
            m_.last,  m_.first, m_.address1,   m_.address2, m_.city,
            m_.state, m_.zip,   m_.email,      add_on,      quantity};
  }

  // Writes at most `limit` rows of the membership (the last one of the file may be cut short).
  void WriteMembership(std::uint64_t limit) {
    const std::uint64_t rows = std::min(limit, m_.Rows());
    for (std::uint64_t row = 0; row < rows; ++row) {
      if (row < m_.add_on_count) {
        const AddOn& add_on = m_.add_ons[row];
        AppendRow(out_.text(), RowFields(m_.cards[0], add_on.name, add_on.quantity));
      } else {
        const std::uint64_t card = m_.add_on_count == 0 ? row : row - m_.add_on_count + 1;
        AppendRow(out_.text(), RowFields(m_.cards[card], {}, {}));
      }
    }
    good_rows_ += rows;
  }

  void WriteBadRow(std::uint64_t kind) {
    FillMembership(/*simple=*/true);
    switch (kind) {
      case 0:
        m_.id.clear();
        --stats_.memberships;
        break;
      case 1:
        m_.expiration = rng_.Pick(kBadDates);
        break;
      case 2:
        m_.status.clear();
        break;
      default:
        m_.email.clear();
        AppendKey(m_.email, Name{m_.first});
        m_.email += rng_.Chance(500) ? ".example.com" : "-no-at-sign";
        break;
    }
    AppendRow(out_.text(), RowFields(m_.cards[0], {}, {}));
  }

  const RosterSpec& spec_;
  Rng rng_;
  Output out_;
  Membership m_;
  RosterStats stats_;
  std::uint64_t good_rows_ = 0;
  std::uint64_t id_number_ = 10'000'000;
};

// ---------------------------------------------------------------------------------------------
// Changes.

using Row = std::vector<std::string>;

enum class ChangeKind { kLevel, kExpiration, kEmail, kAddress, kCardholder, kStatus };
constexpr int kChangeKinds = 6;

bool IsPerson(const Row& row) {
  return !row[kFirstName].empty() && row[kLevel] != kLevelNames.back();
}

bool Applicable(ChangeKind kind, const std::vector<Row>& group) {
  switch (kind) {
    case ChangeKind::kLevel:
      return IsPerson(group[0]);
    case ChangeKind::kExpiration:
      return ParseDate(group[0][kExpiration]).has_value();
    default:
      return true;
  }
}

void SetAll(std::vector<Row>& group, Column column, const std::string& value) {
  for (Row& row : group) row[column] = value;
}

void ChangeLevel(std::vector<Row>& group, Rng& rng) {
  std::string level;
  do {
    level = kLevelNames[rng.Below(kLevelNames.size() - 1)];  // not Organisation
  } while (level == group[0][kLevel]);
  SetAll(group, kLevel, level);
}

void ChangeExpiration(std::vector<Row>& group) {
  Date date = *ParseDate(group[0][kExpiration]);
  ++date.year;  // a renewal
  date.day = std::min(date.day, DaysInMonth(date.year, date.month));
  std::string text;
  AppendDate(text, date);
  SetAll(group, kExpiration, text);
}

void ChangeEmail(std::vector<Row>& group, Rng& rng) {
  const std::string& old = group[0][kEmail];
  std::string email;
  if (old.empty() || old.find('@') == std::string::npos) {
    email = "member";
    for (char c : group[0][kId]) {
      if (c >= '0' && c <= '9') email += c;
    }
  } else {
    email = old.substr(0, old.find('@'));
    AppendNumber(email, rng.Below(90) + 10);
  }
  email += '@';
  email += rng.Pick(kEmailDomains);
  SetAll(group, kEmail, email);
}

void ChangeAddress(std::vector<Row>& group, Rng& rng) {
  std::string address;
  do {
    address.clear();
    AppendStreetAddress(address, rng);
  } while (address == group[0][kAddress1]);
  SetAll(group, kAddress1, address);
}

std::vector<std::string> CardNames(const std::vector<Row>& group) {
  std::vector<std::string> names;
  for (const Row& row : group) {
    if (std::find(names.begin(), names.end(), row[kCardName]) == names.end()) {
      names.push_back(row[kCardName]);
    }
  }
  return names;
}

// Removes the last cardholder other than the first, or adds one after the others.
void ChangeCardholder(std::vector<Row>& group, Rng& rng) {
  const auto names = CardNames(group);
  if (names.size() >= 2 && rng.Chance(500)) {
    std::erase_if(group, [&](const Row& row) { return row[kCardName] == names.back(); });
    return;
  }
  Row row = group[0];
  const std::string last = IsPerson(row) ? row[kLastName] : std::string(rng.Pick(kLastNames).text);
  do {
    row[kCardName].assign(PickFirstName(rng).text).append(" ").append(last);
  } while (std::find(names.begin(), names.end(), row[kCardName]) != names.end());
  row[kAddOn].clear();
  row[kQuantity].clear();
  group.push_back(std::move(row));
}

void ChangeStatus(std::vector<Row>& group) {
  SetAll(group, kStatus, group[0][kStatus] == "Active" ? "Lapsed" : "Active");
}

void ApplyChange(std::vector<Row>& group, Rng& rng) {
  auto kind = static_cast<ChangeKind>(rng.Below(kChangeKinds));
  while (!Applicable(kind, group)) {
    kind = static_cast<ChangeKind>((static_cast<int>(kind) + 1) % kChangeKinds);
  }
  switch (kind) {
    case ChangeKind::kLevel:
      return ChangeLevel(group, rng);
    case ChangeKind::kExpiration:
      return ChangeExpiration(group);
    case ChangeKind::kEmail:
      return ChangeEmail(group, rng);
    case ChangeKind::kAddress:
      return ChangeAddress(group, rng);
    case ChangeKind::kCardholder:
      return ChangeCardholder(group, rng);
    case ChangeKind::kStatus:
      return ChangeStatus(group);
  }
}

// Feeds a whole roster into a parser and finishes it.
using FeedFn = std::function<Result<void>(handlers::CsvParser& parser)>;

// Checks the header row and the width of data rows; `on_data` gets the data rows.
class RosterReader {
 public:
  using DataFn = std::function<Result<void>(const handlers::CsvRow& row)>;

  static Result<void> Read(const FeedFn& feed, DataFn on_data) {
    RosterReader reader(std::move(on_data));
    handlers::CsvParser parser(
        {}, [&reader](const handlers::CsvRow& row) { return reader.OnRow(row); });
    return feed(parser);
  }

 private:
  explicit RosterReader(DataFn on_data) : on_data_(std::move(on_data)) {}

  Result<void> OnRow(const handlers::CsvRow& row) {
    const bool header = !seen_header_;
    seen_header_ = true;
    if (header && !std::equal(row.fields.begin(), row.fields.end(), kAltruColumns.begin(),
                              kAltruColumns.end())) {
      return MakeError(ErrorCode::kInvalidArgument, "the header is not the Altru layout");
    }
    if (header) return {};
    if (row.fields.size() != kColumns) {
      return MakeError(ErrorCode::kInvalidArgument, "line " + std::to_string(row.line) +
                                                        ": expected " + std::to_string(kColumns) +
                                                        " fields, found " +
                                                        std::to_string(row.fields.size()));
    }
    return on_data_(row);
  }

  DataFn on_data_;
  bool seen_header_ = false;
};

// Pass 1: memberships are runs of rows with one non-empty Membership ID.
Result<std::uint64_t> CountMemberships(const FeedFn& feed) {
  std::uint64_t memberships = 0;
  std::string previous;
  auto read = RosterReader::Read(feed, [&](const handlers::CsvRow& row) -> Result<void> {
    const std::string& id = row.fields[kId];
    if (!id.empty() && id != previous) ++memberships;
    previous = id;
    return {};
  });
  if (!read) return read.error();
  return memberships;
}

// Pass 2: picks exactly `changed` of `memberships` (selection sampling) and writes.
class Changer {
 public:
  Changer(const ChangeSpec& spec, std::uint64_t memberships, const RosterSink& sink)
      : rng_(spec.seed), remaining_(memberships), out_(sink) {
    stats_.memberships = memberships;
    stats_.changed = static_cast<std::uint64_t>(
        std::llround(static_cast<double>(memberships) * spec.percent / 100.0));
    stats_.changed = std::min(stats_.changed, memberships);
    to_change_ = stats_.changed;
  }

  Result<ChangeStats> Run(const FeedFn& feed) {
    AppendHeader(out_.text());
    auto read =
        RosterReader::Read(feed, [this](const handlers::CsvRow& row) { return OnRow(row); });
    if (!read) return read.error();
    if (auto ok = FlushGroup(); !ok) return ok.error();
    AppendTrailer(out_.text());
    if (auto ok = out_.Flush(); !ok) return ok.error();
    return stats_;
  }

 private:
  Result<void> OnRow(const handlers::CsvRow& row) {
    const std::string& id = row.fields[kId];
    if (!group_.empty() && !id.empty() && id == group_[0][kId]) {
      group_.push_back(row.fields);
      return {};
    }
    if (auto ok = FlushGroup(); !ok) return ok;
    if (id.empty()) {  // not a membership: passed through
      AppendRow(out_.text(), row.fields);
      ++stats_.rows;
      return {};
    }
    group_.push_back(row.fields);
    return {};
  }

  Result<void> FlushGroup() {
    if (group_.empty()) return {};
    if (remaining_ > 0 && rng_.Below(remaining_) < to_change_) {
      ApplyChange(group_, rng_);
      --to_change_;
    }
    if (remaining_ > 0) --remaining_;
    for (const Row& row : group_) AppendRow(out_.text(), row);
    stats_.rows += group_.size();
    group_.clear();
    return out_.MaybeFlush();
  }

  Rng rng_;
  std::uint64_t remaining_;  // memberships not yet decided
  std::uint64_t to_change_ = 0;
  std::vector<Row> group_;
  Output out_;
  ChangeStats stats_;
};

Result<ChangeStats> Change(const FeedFn& feed, const ChangeSpec& spec, const RosterSink& sink) {
  if (!(spec.percent >= 0 && spec.percent <= 100)) {
    return MakeError(ErrorCode::kInvalidArgument, "the percentage must be between 0 and 100");
  }
  auto memberships = CountMemberships(feed);
  if (!memberships) return memberships.error();
  Changer changer(spec, *memberships, sink);
  return changer.Run(feed);
}

Result<void> FeedFile(const std::filesystem::path& path, handlers::CsvParser& parser) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return MakeError(ErrorCode::kNotFound, "cannot open " + path.string());
  std::vector<char> block(kFlushBytes);
  while (true) {
    const std::size_t n = std::fread(block.data(), 1, block.size(), file.get());
    if (n > 0) {
      if (auto ok = parser.Feed({block.data(), n}); !ok) return ok;
    }
    if (n < block.size()) break;
  }
  if (std::ferror(file.get())) {
    return MakeError(ErrorCode::kUnavailable, "cannot read " + path.string());
  }
  return parser.Finish();
}

}  // namespace

void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

Result<RosterStats> GenerateRoster(const RosterSpec& spec, const RosterSink& sink) {
  Generator generator(spec, sink);
  return generator.Run();
}

Result<ChangeStats> ChangeRoster(std::string_view roster, const ChangeSpec& spec,
                                 const RosterSink& sink) {
  const FeedFn feed = [roster](handlers::CsvParser& parser) -> Result<void> {
    if (auto ok = parser.Feed(roster); !ok) return ok;
    return parser.Finish();
  };
  return Change(feed, spec, sink);
}

Result<ChangeStats> ChangeRosterFile(const std::filesystem::path& path, const ChangeSpec& spec,
                                     const RosterSink& sink) {
  const FeedFn feed = [&path](handlers::CsvParser& parser) { return FeedFile(path, parser); };
  return Change(feed, spec, sink);
}

}  // namespace passledger::tools
