// Several devices and two pass types through the PassKit routes over real sockets: each
// device lists exactly its own registrations of the pass type asked for, a change reaches
// every device holding that pass and no other list, a token of one pass type opens nothing
// of the other, and — with a roster import writing in another thread the whole time — the
// update tags never skip a change: every content change of a registered pass is reported by
// exactly the list call whose tag range holds it.
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/http/client.h"
#include "tests/http/passkit_server.h"
#include "tests/testing/dev_passes.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::http {
namespace {

using namespace std::chrono_literals;
using passledger::testing::DevPassFactory;
using passledger::testing::ImportRoster;
using passledger::testing::RosterHeader;
using passledger::testing::RosterRow;
using passledger::testing::Succeeded;
using testing::ClientResponse;
using testing::Connection;

constexpr std::string_view kMember = "pass.org.example.member";
constexpr std::string_view kGuest = "pass.org.example.guest";

signer::PassTypeConfig GuestType() {
  signer::PassTypeConfig config;
  config.pass_type_id = std::string(kGuest);
  return config;
}

handlers::ImportConfig ImportAs(std::string_view pass_type, std::size_t per_chunk = 1'000) {
  handlers::ImportConfig config;
  config.pass_type_id = std::string(pass_type);
  config.memberships_per_chunk = per_chunk;
  return config;
}

std::string MemberId(int i) { return "8-2" + std::to_string(1'000'000 + i).substr(1); }

// A roster of the memberships `ids`, member i with the e-mail m<i>.v<version>@example.org.
std::string Roster(const std::vector<int>& ids, int version) {
  std::string roster = RosterHeader();
  for (int i : ids) {
    roster += RosterRow(MemberId(i),
                        "m" + std::to_string(i) + ".v" + std::to_string(version) + "@example.org");
  }
  return roster;
}

// The list response as (status, serials, lastUpdated).
struct Listed {
  int status = 0;
  std::set<std::string> serials;
  std::uint64_t last_updated = 0;
};

class Fixture {
 public:
  Fixture()
      : log_(passledger::testing::ProjectedLog::Open(dir_.path() / "data")),
        read_(log_->read()),
        member_factory_(DevPassFactory(dir_.path() / "member-certs")),
        guest_factory_(DevPassFactory(dir_.path() / "guest-certs", GuestType())),
        bundles_(&read_, {member_factory_, guest_factory_}),
        service_(&log_->log(), read_, &bundles_) {}

  // The serial of membership i's (only) pass, and its current content position.
  std::string SerialOf(int i) const { return PassOf(i).serial; }
  std::uint64_t ContentOf(int i) const {
    return PassOf(i).content_position;
  }
  projections::PassView PassOf(int i) const {
    auto passes = read_.PassesOfMember(MemberId(i));
    BOOST_TEST_REQUIRE(Succeeded(passes));
    BOOST_TEST_REQUIRE(passes->size() == 1u);
    return passes->front();
  }

  const signer::PassFactory& FactoryFor(std::string_view pass_type) const {
    return pass_type == kGuest ? *guest_factory_ : *member_factory_;
  }

  ClientResponse Call(std::string_view method, std::string_view target,
                      std::string_view headers = "", std::string_view body = "") const {
    return server_.Call(method, target, headers, body);
  }

  // The Authorization header line for `serial` signed by `pass_type`'s factory.
  std::string Auth(std::string_view pass_type, std::string_view serial) const {
    return "Authorization: ApplePass " + FactoryFor(pass_type).AuthToken(serial, 1) + "\r\n";
  }
  static std::string Registration(std::string_view device, std::string_view pass_type,
                                  std::string_view serial) {
    return "/v1/devices/" + std::string(device) + "/registrations/" + std::string(pass_type) + "/" +
           std::string(serial);
  }

  int Register(std::string_view device, std::string_view pass_type, std::string_view serial,
               std::string_view push_token = "00ff") const {
    return Call("POST", Registration(device, pass_type, serial), Auth(pass_type, serial),
                R"({"pushToken":")" + std::string(push_token) + R"("})")
        .status;
  }

  Listed List(std::string_view device, std::string_view pass_type,
              std::optional<std::uint64_t> since = std::nullopt) const {
    std::string target =
        "/v1/devices/" + std::string(device) + "/registrations/" + std::string(pass_type);
    if (since) target += "?passesUpdatedSince=" + std::to_string(*since);
    const ClientResponse response = Call("GET", target);
    Listed listed{response.status, {}, 0};
    if (response.status != 200) return listed;
    const auto json = boost::json::parse(response.body).as_object();
    for (const auto& serial : json.at("serialNumbers").as_array()) {
      listed.serials.emplace(serial.as_string());
    }
    listed.last_updated = std::stoull(std::string(json.at("lastUpdated").as_string()));
    return listed;
  }

  passledger::testing::TempDir dir_;
  std::unique_ptr<passledger::testing::ProjectedLog> log_;
  projections::ReadModel read_;
  std::shared_ptr<const signer::PassFactory> member_factory_;
  std::shared_ptr<const signer::PassFactory> guest_factory_;
  handlers::PassBundles bundles_;
  handlers::PassKitService service_;
  testing::PassKitServer server_{service_, 256};
};

BOOST_FIXTURE_TEST_SUITE(passkit_devices, Fixture)

BOOST_AUTO_TEST_CASE(two_devices_and_two_pass_types_each_see_their_own) {
  // Members 1–4 hold member passes, 5–6 guest passes (issued by an import of that type).
  ImportRoster(*log_, Roster({1, 2, 3, 4}, 0), ImportAs(kMember));
  ImportRoster(*log_, Roster({5, 6}, 0), ImportAs(kGuest));
  BOOST_TEST_REQUIRE(PassOf(5).pass_type_id == kGuest);
  const std::string m1 = SerialOf(1), m2 = SerialOf(2), m3 = SerialOf(3), m4 = SerialOf(4);
  const std::string g5 = SerialOf(5), g6 = SerialOf(6);

  // Phone A: members 1, 2 and guest 5. Phone B: members 2, 3 and guest 6. Nobody holds 4.
  for (const auto& serial : {m1, m2}) BOOST_TEST(Register("phoneA", kMember, serial) == 201);
  BOOST_TEST(Register("phoneA", kGuest, g5) == 201);
  for (const auto& serial : {m2, m3}) BOOST_TEST(Register("phoneB", kMember, serial, "0b") == 201);
  BOOST_TEST(Register("phoneB", kGuest, g6, "0b") == 201);

  // A token of one pass type opens nothing of the other, whichever way round.
  BOOST_TEST(Register("phoneA", kGuest, m1) == 401);
  BOOST_TEST(
      Call("POST", Registration("phoneA", kMember, g5), Auth(kGuest, g5), R"({"pushToken":"00ff"})")
          .status == 401);
  BOOST_TEST(
      Call("GET", "/v1/passes/" + std::string(kMember) + "/" + g5, Auth(kGuest, g5)).status == 401);

  const Listed a_members = List("phoneA", kMember);
  const Listed a_guests = List("phoneA", kGuest);
  const Listed b_members = List("phoneB", kMember);
  const Listed b_guests = List("phoneB", kGuest);
  BOOST_TEST((a_members.serials == std::set<std::string>{m1, m2}));
  BOOST_TEST((a_guests.serials == std::set<std::string>{g5}));
  BOOST_TEST((b_members.serials == std::set<std::string>{m2, m3}));
  BOOST_TEST((b_guests.serials == std::set<std::string>{g6}));
  for (const Listed* up_to_date : {&a_members, &a_guests, &b_members, &b_guests}) {
    BOOST_TEST(up_to_date->status == 200);
  }
  BOOST_TEST(List("phoneA", kMember, a_members.last_updated).status == 204);
  BOOST_TEST(List("phoneB", kGuest, b_guests.last_updated).status == 204);

  // Member 2 (on both phones) and member 4 (on none) change: both phones see exactly member 2
  // among their member passes; no guest list moves.
  ImportRoster(*log_, Roster({2, 4}, 1), ImportAs(kMember));
  const Listed a_after = List("phoneA", kMember, a_members.last_updated);
  const Listed b_after = List("phoneB", kMember, b_members.last_updated);
  BOOST_TEST(a_after.status == 200);
  BOOST_TEST((a_after.serials == std::set<std::string>{m2}));
  BOOST_TEST((b_after.serials == std::set<std::string>{m2}));
  BOOST_TEST(a_after.last_updated == ContentOf(2));
  BOOST_TEST(b_after.last_updated == ContentOf(2));
  BOOST_TEST(List("phoneA", kGuest, a_guests.last_updated).status == 204);
  BOOST_TEST(List("phoneB", kGuest, b_guests.last_updated).status == 204);

  // A guest change reaches only the phone holding that guest pass, signed as a guest pass.
  ImportRoster(*log_, Roster({5}, 1), ImportAs(kGuest));
  const Listed a_guest_after = List("phoneA", kGuest, a_guests.last_updated);
  BOOST_TEST((a_guest_after.serials == std::set<std::string>{g5}));
  BOOST_TEST(List("phoneB", kGuest, b_guests.last_updated).status == 204);
  BOOST_TEST(List("phoneA", kMember, a_after.last_updated).status == 204);
  const ClientResponse pass =
      Call("GET", "/v1/passes/" + std::string(kGuest) + "/" + g5, Auth(kGuest, g5));
  BOOST_TEST_REQUIRE(pass.status == 200);
  auto bundle = std::make_shared<const std::string>(pass.body);
  const auto pass_json = passledger::testing::PassJsonOf(bundle);
  BOOST_TEST(pass_json.at("passTypeIdentifier").as_string() == kGuest);
  BOOST_TEST(pass_json.at("serialNumber").as_string() == g5);

  // Phone A lets go of member 2; phone B keeps it.
  BOOST_TEST(Call("DELETE", Registration("phoneA", kMember, m2), Auth(kMember, m2)).status == 200);
  BOOST_TEST((List("phoneA", kMember).serials == std::set<std::string>{m1}));
  BOOST_TEST((List("phoneB", kMember).serials == std::set<std::string>{m2, m3}));
}

// One change of a registered pass: its serial and the content position it got.
struct Change {
  std::string serial;
  std::uint64_t position;
};

// One list call: the tag sent and what came back.
struct Poll {
  std::uint64_t since;
  Listed listed;
};

BOOST_AUTO_TEST_CASE(tags_never_skip_a_change_made_by_a_concurrent_writer) {
  constexpr int kMembers = 60;     // memberships 0..59, one pass each
  constexpr int kRegistered = 40;  // the phone holds the passes of 0..39
  constexpr int kRounds = 40;
  std::vector<int> everyone(kMembers);
  for (int i = 0; i < kMembers; ++i) everyone[static_cast<std::size_t>(i)] = i;
  ImportRoster(*log_, Roster(everyone, 0), ImportAs(kMember));

  std::map<std::string, int> member_of;
  std::vector<Change> changes;
  for (int i = 0; i < kRegistered; ++i) {
    const std::string serial = SerialOf(i);
    member_of[serial] = i;
    BOOST_TEST_REQUIRE(Register("phone", kMember, serial) == 201);
  }
  const Listed first = List("phone", kMember);
  BOOST_TEST_REQUIRE(first.serials.size() == static_cast<std::size_t>(kRegistered));

  // The writer: each round changes the e-mail of a random third of the memberships (some on
  // the phone, some not), appended 5 memberships at a time so a list call can fall between
  // the appends of one import. After each round it notes the content position of every
  // registered pass it changed (no other writer runs, so that is the position of this
  // round's change).
  // Boost.Test's assertions are for the main thread only: the writer keeps its first error.
  std::atomic<bool> writing = true;
  std::string writer_error;
  std::jthread writer([&] {
    std::mt19937 random(20261129);
    const handlers::RosterImporter importer(&log_->log(), &log_->projections(),
                                            ImportAs(kMember, 5));
    for (int round = 1; round <= kRounds && writer_error.empty(); ++round) {
      std::vector<int> changed;
      for (int i = 0; i < kMembers; ++i) {
        if (random() % 3 == 0) changed.push_back(i);
      }
      const std::string roster = Roster(changed, round);
      handlers::ImportOptions options;
      options.file_name = "round.csv";
      auto imported = importer.Run(handlers::MemorySource(roster), options);
      if (!imported) writer_error = imported.error().message;
      for (int i : changed) {
        if (i >= kRegistered || !writer_error.empty()) continue;
        auto passes = read_.PassesOfMember(MemberId(i));
        if (!passes || passes->size() != 1u) {
          writer_error = "member " + std::to_string(i) + " has no single pass";
          continue;
        }
        const auto& pass = passes->front();
        changes.push_back({pass.serial, pass.content_position});
      }
    }
    writing = false;
  });

  // The phone: lists with the last tag it got, as Wallet does, until the writer is done, and
  // once more after that.
  std::vector<Poll> polls;
  std::uint64_t tag = first.last_updated;
  for (bool last = false; !last;) {
    last = !writing;
    Listed listed = List("phone", kMember, tag);
    BOOST_TEST_REQUIRE((listed.status == 200 || listed.status == 204));
    polls.push_back({tag, listed});
    if (listed.status == 200) {
      BOOST_TEST_REQUIRE(listed.last_updated > tag);
      tag = listed.last_updated;
    }
  }
  writer.join();
  BOOST_TEST_REQUIRE(writer_error.empty(), writer_error);

  // Every change lies in exactly one poll's range (since, lastUpdated] and that poll names its
  // serial; every serial a poll names changed within its range.
  std::size_t answered = 0;
  for (const Poll& poll : polls) answered += poll.listed.status == 200;
  BOOST_TEST_MESSAGE(changes.size()
                     << " changes, " << polls.size() << " polls, " << answered << " with news");
  BOOST_TEST_REQUIRE(changes.size() > 100u);
  BOOST_TEST(answered > 2u);  // the polls did interleave with the writer
  for (const Change& change : changes) {
    const Poll* holder = nullptr;
    for (const Poll& poll : polls) {
      if (poll.listed.status == 200 && poll.since < change.position &&
          change.position <= poll.listed.last_updated) {
        holder = &poll;
      }
    }
    BOOST_TEST_REQUIRE(holder != nullptr, "change at " << change.position << " never reported");
    BOOST_TEST(holder->listed.serials.count(change.serial) == 1u,
               "change of member " << member_of[change.serial] << " at " << change.position
                                   << " skipped by the poll since " << holder->since);
  }
  for (const Poll& poll : polls) {
    for (const auto& serial : poll.listed.serials) {
      bool explained = false;
      for (const Change& change : changes) {
        explained |= change.serial == serial && poll.since < change.position &&
                     change.position <= poll.listed.last_updated;
      }
      BOOST_TEST(explained, "member " << member_of[serial] << " reported since " << poll.since
                                      << " without a change");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::http
