// Compose (mail/message.h): the bytes are read back here with a small MIME reader (headers
// unfolded, multiparts split at their boundary, quoted-printable and base64 decoded) to check
// the structure, the encodings and the refusals. tests/mail/smtp_client_test.cpp also has
// Python's email package parse a composed message.
#include "mail/message.h"

#include <boost/test/unit_test.hpp>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/crypto.h"

namespace passledger::mail {
namespace {

// ---- a small MIME reader, for the checks ----

struct Entity {
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case name, unfolded value
  std::string body;

  std::string Get(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Entity ReadEntity(std::string_view text) {
  Entity e;
  const std::size_t end = text.find("\r\n\r\n");
  BOOST_REQUIRE(end != std::string_view::npos);
  std::string_view head = text.substr(0, end + 2);
  e.body = std::string(text.substr(end + 4));
  while (!head.empty()) {
    const std::size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (line.front() == ' ' || line.front() == '\t') {
      e.headers.back().second += std::string(line);  // unfolding removes only the CRLF
      continue;
    }
    const std::size_t colon = line.find(':');
    BOOST_REQUIRE(colon != std::string_view::npos);
    std::string value(line.substr(colon + 1));
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    e.headers.emplace_back(Lower(std::string(line.substr(0, colon))), value);
  }
  return e;
}

std::string Param(const std::string& header, const std::string& name) {
  const std::size_t at = header.find("; " + name + "=");
  if (at == std::string::npos) return "";
  std::size_t start = at + name.size() + 3;
  if (header[start] == '"') {
    const std::size_t close = header.find('"', start + 1);
    return header.substr(start + 1, close - start - 1);
  }
  return header.substr(start, header.find(';', start) - start);
}

// The parts between "--boundary" lines; requires the closing "--boundary--".
std::vector<Entity> SplitMultipart(const std::string& body, const std::string& boundary) {
  const std::string delimiter = "--" + boundary;
  BOOST_REQUIRE(body.starts_with(delimiter + "\r\n"));
  std::vector<Entity> parts;
  std::size_t start = delimiter.size() + 2;
  for (;;) {
    const std::size_t next = body.find("\r\n" + delimiter, start);
    BOOST_REQUIRE(next != std::string::npos);
    parts.push_back(ReadEntity(std::string_view(body).substr(start, next - start)));
    start = next + 2 + delimiter.size();
    if (body.compare(start, 2, "--") == 0) {
      // No epilogue: the CRLF before an outer delimiter belongs to that delimiter.
      BOOST_TEST((body.substr(start + 2) == "\r\n" || body.substr(start + 2).empty()));
      return parts;
    }
    BOOST_REQUIRE(body.compare(start, 2, "\r\n") == 0);
    start += 2;
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string DecodeQuotedPrintable(std::string_view qp) {
  std::string out;
  for (std::size_t i = 0; i < qp.size(); ++i) {
    if (qp[i] != '=') {
      out += qp[i];
    } else if (qp.substr(i + 1, 2) == "\r\n") {
      i += 2;  // soft line break
    } else {
      BOOST_REQUIRE(HexValue(qp[i + 1]) >= 0 && HexValue(qp[i + 2]) >= 0);
      out += static_cast<char>(HexValue(qp[i + 1]) * 16 + HexValue(qp[i + 2]));
      i += 2;
    }
  }
  return out;
}

std::string DecodeBase64(std::string_view b64) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (const char c : b64) {
    if (c == '\r' || c == '\n' || c == '=') continue;
    const std::size_t v = kAlphabet.find(c);
    BOOST_REQUIRE(v != std::string::npos);
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

// The text of a header made of RFC 2047 B words (utf-8); each word is checked on the way.
std::string DecodeEncodedWords(const std::string& value) {
  std::string out;
  std::size_t pos = 0;
  while ((pos = value.find("=?utf-8?B?", pos)) != std::string::npos) {
    const std::size_t end = value.find("?=", pos + 10);
    BOOST_REQUIRE(end != std::string::npos);
    BOOST_TEST(end + 2 - pos <= 75u);  // RFC 2047 §2
    out += DecodeBase64(value.substr(pos + 10, end - pos - 10));
    pos = end + 2;
  }
  return out;
}

// Every line ends in CRLF, no bare CR or LF, none longer than `max`.
void CheckLines(std::string_view bytes, std::size_t max) {
  BOOST_REQUIRE(bytes.ends_with("\r\n"));
  std::size_t start = 0;
  while (start < bytes.size()) {
    const std::size_t eol = bytes.find("\r\n", start);
    const std::string_view line = bytes.substr(start, eol - start);
    BOOST_TEST(line.find_first_of("\r\n") == std::string_view::npos);
    BOOST_TEST(line.size() <= max, "line of " << line.size() << ": " << line);
    start = eol + 2;
  }
}

bool IsAllAscii(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// ---- a message to compose ----

std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 600; ++i) bytes += static_cast<char>(i * 7 % 256);
  return bytes;
}

Message SampleMessage() {
  Message m;
  m.from = {"members@garden.example", "Garden Friends"};
  m.reply_to = Mailbox{"help@garden.example", "Smith, John"};
  m.to = {"zoe@example.org", "Zoë Núñez"};
  m.subject = "Your membership card, Zoë";
  m.date_unix_s = 1700000000;
  m.message_id = "pl-1234.5@garden.example";
  m.list_unsubscribe =
      "<mailto:unsubscribe@garden.example?subject=u-1234>, "
      "<https://garden.example/mail/unsubscribe/u-1234-0123456789abcdef>";
  m.text = "Hello Zoë,\n\nyour card is attached. 1 + 1 = 2   \nA line that is rather long " +
           std::string(100, 'x') + " and then ends.\n-- \nGarden Friends\n";
  m.html = "<p>Hello Zo&euml;,</p>\r\n<p style=\"color: green\">your card</p>";
  m.attachments.push_back(
      {"Mitgliedskarte Núñez.pkpass", "application/vnd.apple.pkpass", AllBytes()});
  m.attachments.push_back({"card.pdf", "application/pdf", "%PDF-1.4 small"});
  return m;
}

std::string ComposeOk(const Message& m) {
  auto bytes = Compose(m);
  BOOST_REQUIRE_MESSAGE(bytes, bytes.error().ToString());
  return *bytes;
}

std::string Unix(std::string s) {
  std::string out;
  for (const char c : s) {
    if (c != '\r') out += c;
  }
  return out;
}

BOOST_AUTO_TEST_SUITE(message)

BOOST_AUTO_TEST_CASE(headers_in_order_with_their_encodings) {
  const std::string bytes = ComposeOk(SampleMessage());
  BOOST_TEST(IsAllAscii(bytes));
  CheckLines(bytes.substr(0, bytes.find("\r\n\r\n") + 2), 78);
  const Entity top = ReadEntity(bytes);
  std::vector<std::string> names;
  for (const auto& [name, value] : top.headers) names.push_back(name);
  const std::vector<std::string> expected = {
      "from",         "reply-to",         "to",          "subject", "date", "message-id",
      "mime-version", "list-unsubscribe", "content-type"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST(top.Get("from") == "Garden Friends <members@garden.example>");
  BOOST_TEST(top.Get("reply-to") == "\"Smith, John\" <help@garden.example>");
  const std::string to = top.Get("to");
  BOOST_TEST(to.starts_with("=?utf-8?B?"));
  BOOST_TEST(to.ends_with("?= <zoe@example.org>"));
  BOOST_TEST(DecodeEncodedWords(to) == "Zoë Núñez");
  BOOST_TEST(DecodeEncodedWords(top.Get("subject")) == "Your membership card, Zoë");
  BOOST_TEST(top.Get("date") == "Tue, 14 Nov 2023 22:13:20 +0000");
  BOOST_TEST(top.Get("message-id") == "<pl-1234.5@garden.example>");
  BOOST_TEST(top.Get("mime-version") == "1.0");
  // Folded at the space after the comma, and unfolded back to the value as given.
  BOOST_TEST(top.Get("list-unsubscribe") == SampleMessage().list_unsubscribe);
  BOOST_TEST(bytes.find(",\r\n <https://garden.example") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plain_and_quoted_display_names) {
  const struct {
    std::string name, header;
  } cases[] = {
      {"Garden", "Garden <a@b.example>"},
      {"Mary-Ann O'Neil", "Mary-Ann O'Neil <a@b.example>"},
      {"J. Smith", "\"J. Smith\" <a@b.example>"},
      {"Smith, John", "\"Smith, John\" <a@b.example>"},
      {"say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\" <a@b.example>"},
      {"two  spaces", "\"two  spaces\" <a@b.example>"},
      {"", "a@b.example"},
  };
  for (const auto& c : cases) {
    Message m = SampleMessage();
    m.to = {"a@b.example", c.name};
    BOOST_TEST_CONTEXT(c.name) { BOOST_TEST(ReadEntity(ComposeOk(m)).Get("to") == c.header); }
  }
}

BOOST_AUTO_TEST_CASE(long_subjects_fold_and_encoded_words_keep_characters_whole) {
  Message m = SampleMessage();
  std::string subject;
  for (int i = 0; i < 40; ++i) subject += "é😀a";  // 2-, 4- and 1-byte characters
  m.subject = subject;
  std::string bytes = ComposeOk(m);
  CheckLines(bytes.substr(0, bytes.find("\r\n\r\n") + 2), 78);
  const std::string value = ReadEntity(bytes).Get("subject");
  BOOST_TEST(DecodeEncodedWords(value) == subject);
  // Each word alone is whole UTF-8: it decodes to a run of the three characters.
  for (std::size_t pos = 0; (pos = value.find("=?utf-8?B?", pos)) != std::string::npos;) {
    const std::size_t end = value.find("?=", pos);
    std::string word = DecodeBase64(value.substr(pos + 10, end - pos - 10));
    for (const std::string_view ch : {"é", "😀", "a"}) {
      for (std::size_t at; (at = word.find(ch)) != std::string::npos;) word.erase(at, ch.size());
    }
    BOOST_TEST(word.empty());
    pos = end;
  }
  // Plain ASCII folds at spaces and unfolds to itself; an unbreakable word is encoded instead.
  m.subject = "A plain subject that is long enough to need folding at one of its spaces, or two";
  bytes = ComposeOk(m);
  BOOST_TEST(bytes.find("Subject: A plain") != std::string::npos);
  BOOST_TEST(ReadEntity(bytes).Get("subject") == m.subject);
  m.subject = "x" + std::string(200, 'y');
  BOOST_TEST(DecodeEncodedWords(ReadEntity(ComposeOk(m)).Get("subject")) == m.subject);
  m.subject = "looks like =?utf-8?B?eA==?= a word";
  BOOST_TEST(DecodeEncodedWords(ReadEntity(ComposeOk(m)).Get("subject")) == m.subject);
}

BOOST_AUTO_TEST_CASE(mime_structure_parts_and_their_encodings) {
  const Message m = SampleMessage();
  const std::string bytes = ComposeOk(m);
  CheckLines(bytes, 998);
  const Entity top = ReadEntity(bytes);
  const std::string content_type = top.Get("content-type");
  BOOST_TEST(content_type.starts_with("multipart/mixed; boundary=\""));
  const std::string mixed = Param(content_type, "boundary");
  const std::vector<Entity> parts = SplitMultipart(top.body, mixed);
  BOOST_REQUIRE(parts.size() == 3u);

  const std::string alt_type = parts[0].Get("content-type");
  BOOST_TEST(alt_type.starts_with("multipart/alternative; "));
  const std::string alternative = Param(alt_type, "boundary");
  BOOST_TEST(alternative != mixed);
  const std::vector<Entity> bodies = SplitMultipart(parts[0].body, alternative);
  BOOST_REQUIRE(bodies.size() == 2u);
  BOOST_TEST(bodies[0].Get("content-type") == "text/plain; charset=utf-8");
  BOOST_TEST(bodies[1].Get("content-type") == "text/html; charset=utf-8");
  for (const Entity& body : bodies) {
    BOOST_TEST(body.Get("content-transfer-encoding") == "quoted-printable");
    CheckLines(body.body + "\r\n", 76);
  }
  // LF and CRLF both become CRLF; trailing spaces are encoded so they survive.
  BOOST_TEST(Unix(DecodeQuotedPrintable(bodies[0].body)) == m.text);
  BOOST_TEST(bodies[0].body.find("=3D 2  =20\r\n") != std::string::npos);
  BOOST_TEST(DecodeQuotedPrintable(bodies[1].body) == m.html);

  BOOST_TEST(parts[1].Get("content-type") ==
             "application/vnd.apple.pkpass; name=\"Mitgliedskarte N__ez.pkpass\"");
  BOOST_TEST(parts[1].Get("content-disposition") ==
             "attachment; filename*=utf-8''Mitgliedskarte%20N%C3%BA%C3%B1ez.pkpass");
  BOOST_TEST(parts[1].Get("content-transfer-encoding") == "base64");
  CheckLines(parts[1].body + "\r\n", 76);
  BOOST_TEST(parts[1].body.find("\r\n") == 76u);
  BOOST_TEST(DecodeBase64(parts[1].body) == m.attachments[0].bytes);
  BOOST_TEST(parts[2].Get("content-disposition") == "attachment; filename=\"card.pdf\"");
  BOOST_TEST(DecodeBase64(parts[2].body) == m.attachments[1].bytes);
}

BOOST_AUTO_TEST_CASE(a_message_without_attachments_keeps_the_layout) {
  Message m = SampleMessage();
  m.attachments.clear();
  m.reply_to.reset();
  m.list_unsubscribe.clear();
  const Entity top = ReadEntity(ComposeOk(m));
  BOOST_TEST(top.Get("reply-to").empty());
  BOOST_TEST(top.Get("list-unsubscribe").empty());
  const auto parts = SplitMultipart(top.body, Param(top.Get("content-type"), "boundary"));
  BOOST_REQUIRE(parts.size() == 1u);
  BOOST_TEST(parts[0].Get("content-type").starts_with("multipart/alternative"));
}

BOOST_AUTO_TEST_CASE(same_message_same_bytes_other_content_other_boundary) {
  const Message m = SampleMessage();
  const std::string first = ComposeOk(m);
  BOOST_TEST(ComposeOk(m) == first);
  const std::string boundary = Param(ReadEntity(first).Get("content-type"), "boundary");
  BOOST_TEST(boundary.starts_with("=_pl"));
  // The boundary occurs only as delimiters: the opening, 2 attachments, the closing, and once
  // in the header.
  std::size_t count = 0;
  for (std::size_t at = 0; (at = first.find(boundary, at)) != std::string::npos; ++at) ++count;
  BOOST_TEST(count == 5u);

  Message other = m;
  other.text += "!";
  const std::string changed = ComposeOk(other);
  BOOST_TEST(Param(ReadEntity(changed).Get("content-type"), "boundary") != boundary);
  other = m;
  other.attachments[0].bytes[0] ^= 1;
  BOOST_TEST(Param(ReadEntity(ComposeOk(other)).Get("content-type"), "boundary") != boundary);
  other = m;
  other.message_id = "pl-1234.6@garden.example";
  BOOST_TEST(Param(ReadEntity(ComposeOk(other)).Get("content-type"), "boundary") != boundary);
}

BOOST_AUTO_TEST_CASE(content_that_mimics_a_boundary_cannot_break_out) {
  Message m = SampleMessage();
  const std::string boundary = Param(ReadEntity(ComposeOk(m)).Get("content-type"), "boundary");
  // Content that holds the boundary it had before: the boundary changes with it, and the
  // quoted-printable "=" keeps any "=_pl" out of the body anyway.
  m.text = "--" + boundary + "\n--" + boundary + ".a--\n";
  m.attachments[1].filename = "--" + boundary + ".pdf";
  const std::string bytes = ComposeOk(m);
  const Entity top = ReadEntity(bytes);
  const auto parts = SplitMultipart(top.body, Param(top.Get("content-type"), "boundary"));
  BOOST_REQUIRE(parts.size() == 3u);
  const auto bodies =
      SplitMultipart(parts[0].body, Param(parts[0].Get("content-type"), "boundary"));
  BOOST_REQUIRE(bodies.size() == 2u);
  BOOST_TEST(Unix(DecodeQuotedPrintable(bodies[0].body)) == m.text);
}

BOOST_AUTO_TEST_CASE(refusals_name_the_field) {
  const struct {
    const char* what;
    void (*change)(Message&);
    std::string message;
  } cases[] = {
      {"CRLF in subject", [](Message& m) { m.subject = "Hi\r\nBcc: x@y.example"; },
       "subject contains a line break or control character"},
      {"LF in a name", [](Message& m) { m.from.display_name = "A\nB"; },
       "from display name contains a line break"},
      {"injected to", [](Message& m) { m.to.address = "a@b.example\r\nBcc: x@y.example"; },
       "to address contains a line break"},
      {"two recipients", [](Message& m) { m.to.address = "a@b.example, c@d.example"; },
       "to address more than one address or a display name"},
      {"display name in address", [](Message& m) { m.to.address = "Name <a@b.example>"; },
       "to address more than one address"},
      {"bad reply-to", [](Message& m) { m.reply_to->address = "nobody"; },
       "reply-to address is not a valid e-mail address"},
      {"bad from", [](Message& m) { m.from.address = ""; }, "from address no e-mail address"},
      {"id with brackets", [](Message& m) { m.message_id = "<a@b>"; }, "message id must be"},
      {"id without @", [](Message& m) { m.message_id = "abc"; }, "message id must be"},
      {"id with LF", [](Message& m) { m.message_id = "a@b\n"; }, "message id contains a line"},
      {"unsubscribe LF",
       [](Message& m) { m.list_unsubscribe = "<mailto:a@b.example>\nBcc: x@y.example"; },
       "list_unsubscribe contains a line break"},
      {"unsubscribe unfoldable",
       [](Message& m) {
         m.list_unsubscribe = "<https://x.example/" + std::string(1000, 'a') + ">";
       },
       "List-Unsubscribe header has a part too long to fold"},
      {"file name CR", [](Message& m) { m.attachments[0].filename = "a\r.pkpass"; },
       "attachment file name contains a line break"},
      {"empty file name", [](Message& m) { m.attachments[0].filename.clear(); },
       "attachment file name must be 1 to 255 bytes"},
      {"content type parameter",
       [](Message& m) { m.attachments[0].content_type = "text/plain; charset=x"; },
       "attachment content type must be type/subtype"},
      {"subject not UTF-8", [](Message& m) { m.subject = "caf\xe9"; },
       "subject is not valid UTF-8"},
      {"name overlong UTF-8", [](Message& m) { m.to.display_name = "\xc0\xaf"; },
       "to display name is not valid UTF-8"},
      {"text not UTF-8", [](Message& m) { m.text = "\xff"; }, "text is not valid UTF-8"},
      {"html surrogate", [](Message& m) { m.html = "\xed\xa0\x80"; }, "html is not valid UTF-8"},
      {"date before 1970", [](Message& m) { m.date_unix_s = -1; }, "date is outside 1970-9999"},
  };
  for (const auto& c : cases) {
    Message m = SampleMessage();
    c.change(m);
    const auto got = Compose(m);
    BOOST_TEST_CONTEXT(c.what) {
      BOOST_REQUIRE(!got);
      BOOST_TEST((got.error().code == ErrorCode::kInvalidArgument));
      BOOST_TEST(got.error().message.find(c.message) != std::string::npos, got.error().message);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::mail
