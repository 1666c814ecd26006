// WriteEml (mail/outbox_dir.h): the file, its name, its mode, the directory's mode.
#include "mail/outbox_dir.h"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "tests/testing/temp_dir.h"

namespace passledger::mail {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

unsigned Mode(const fs::path& path) {
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

BOOST_AUTO_TEST_SUITE(outbox_dir)

BOOST_AUTO_TEST_CASE(writes_the_bytes_0600_in_a_new_0700_dir) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "outbox";
  const std::string bytes = "From: a@b.example\r\n\r\nbody\r\n";
  const auto path = WriteEml(dir, "pl-1234.5@garden.example", bytes);
  BOOST_REQUIRE_MESSAGE(path, path.error().ToString());
  BOOST_TEST(*path == dir / "pl-1234.5@garden.example.eml");
  BOOST_TEST(Slurp(*path) == bytes);
  BOOST_TEST(Mode(*path) == 0600u);
  BOOST_TEST(Mode(dir) == 0700u);
  // The same id again replaces the file; nothing else is left in the directory.
  BOOST_REQUIRE(WriteEml(dir, "pl-1234.5@garden.example", "second"));
  BOOST_TEST(Slurp(*path) == "second");
  BOOST_TEST(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
}

BOOST_AUTO_TEST_CASE(unsafe_ids_get_safe_distinct_names) {
  testing::TempDir tmp;
  const auto a = WriteEml(tmp.path(), "../../etc/x@y", "a");
  const auto b = WriteEml(tmp.path(), "__.._etc_x@y", "b");
  const auto c = WriteEml(tmp.path(), ".._.._etc_x@y", "c");
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(b);
  BOOST_REQUIRE(c);
  for (const auto* p : {&*a, &*b, &*c}) BOOST_TEST(p->parent_path() == tmp.path());
  BOOST_TEST(a->filename().string().starts_with("_._.._etc_x@y-"));
  BOOST_TEST(*a != *c);  // same characters after replacing, told apart by the hash
  BOOST_TEST(b->filename() == "__.._etc_x@y.eml");
  BOOST_TEST(Slurp(*a) == "a");
  BOOST_TEST(EmlFileName("a b@c") == EmlFileName("a b@c"));
  BOOST_TEST(EmlFileName("a b@c") != EmlFileName("a_b@c"));
}

BOOST_AUTO_TEST_CASE(refuses_empty_and_long_ids_and_reports_io_errors) {
  testing::TempDir tmp;
  const auto empty = WriteEml(tmp.path(), "", "x");
  BOOST_REQUIRE(!empty);
  BOOST_TEST((empty.error().code == ErrorCode::kInvalidArgument));
  BOOST_TEST(!WriteEml(tmp.path(), std::string(201, 'a'), "x"));
  std::ofstream(tmp / "file") << "not a directory";
  const auto blocked = WriteEml(tmp / "file", "a@b", "x");
  BOOST_REQUIRE(!blocked);
  BOOST_TEST((blocked.error().code == ErrorCode::kUnavailable));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::mail
