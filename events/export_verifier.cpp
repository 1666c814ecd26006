#include "events/export_verifier.h"

#include <boost/json/parse.hpp>
#include <vector>

#include "events/envelope.h"
#include "events/export_format.h"

namespace passledger::events {
namespace json = boost::json;

bool ExportVerifier::FailAtLine(std::string problem) {
  report_.bad_line = report_.lines;
  report_.problem = std::move(problem);
  return false;
}

bool ExportVerifier::FailAtPosition(std::uint64_t position, std::string problem) {
  report_.bad_line = report_.lines;
  report_.bad_position = position;
  report_.problem = std::move(problem);
  return false;
}

bool ExportVerifier::FeedLine(std::string_view line) {
  if (!report_.ok()) return false;
  ++report_.lines;
  if (line.empty()) return FailAtLine("empty line");
  boost::system::error_code ec;
  json::value value = json::parse(line, ec, {}, ExportParseOptions());
  if (ec) return FailAtLine("not JSON (" + ec.message() + ")");
  if (!value.is_object()) return FailAtLine("not a JSON object");
  auto envelope = EnvelopeFromExportLine(value.as_object());
  if (!envelope) {
    const json::value* position = value.as_object().if_contains("position");
    if (position == nullptr || !position->is_number()) {
      return FailAtLine(envelope.error().message);
    }
    boost::system::error_code number_ec;
    const auto p = position->to_number<std::uint64_t>(number_ec);
    if (number_ec) return FailAtLine(envelope.error().message);
    return FailAtPosition(p, envelope.error().message);
  }

  if (!chain_) {
    if (envelope->position == 0) return FailAtPosition(0, "position 0 does not exist");
    if (envelope->position == 1 && envelope->prev_hash != GenesisHash()) {
      return FailAtPosition(1, "the previous hash of position 1 is not the genesis hash");
    }
    report_.first_position = envelope->position;
    report_.anchor = envelope->prev_hash;
    chain_.emplace(envelope->position, envelope->prev_hash);
  }
  const std::uint64_t expected = chain_->last_position() + 1;
  if (envelope->position != expected) {
    return FailAtPosition(expected, "line " + std::to_string(report_.lines) + " has position " +
                                        std::to_string(envelope->position) + ", expected " +
                                        std::to_string(expected) +
                                        " (lines deleted, duplicated or reordered)");
  }
  if (!chain_->Feed(envelope->position, EncodeRecord(*envelope))) {
    return FailAtPosition(chain_->first_bad().value_or(envelope->position), chain_->problem());
  }
  report_.checked = chain_->checked();
  report_.last_position = chain_->last_position();
  report_.head = chain_->last_hash();
  if (const auto& required = options_.required) {
    const bool hangs_on_genesis = required->first == 0 && envelope->position == 1;
    if (hangs_on_genesis || required->first == envelope->position) {
      const Hash& seen = hangs_on_genesis ? envelope->prev_hash : envelope->hash;
      if (seen != required->second) {
        return FailAtPosition(required->first, "position " + std::to_string(required->first) +
                                                   " does not have the digest's hash");
      }
      report_.required_found = true;
    }
  }
  if (!envelope->sealed.empty()) ++report_.sealed;
  return CheckPersonal(*envelope, value.as_object());
}

bool ExportVerifier::CheckPersonal(const Envelope& envelope, const json::object& line) {
  const json::value* personal = line.if_contains("personal");
  if (personal == nullptr) return true;
  if (personal->is_string()) {
    ++report_.forgotten;
    return true;
  }
  ++report_.revealed;
  if (!options_.check_revealed) return true;
  std::uint32_t schema_version = envelope.schema_version;
  if (const json::value* v = line.if_contains("personal_schema_version"); v && v->is_number()) {
    boost::system::error_code ec;
    schema_version = v->to_number<std::uint32_t>(ec);
  }
  auto matches = options_.check_revealed(envelope, personal->as_object(), schema_version);
  if (!matches) {
    if (report_.revealed_unchecked++ == 0) report_.unchecked_reason = matches.error().message;
    return true;
  }
  if (!*matches) {
    return FailAtPosition(envelope.position,
                          "the revealed personal data is not the plaintext of the sealed "
                          "ciphertext (altered after the export?)");
  }
  ++report_.revealed_matched;
  return true;
}

bool ExportVerifier::Finish() {
  if (!report_.ok()) return false;
  if (report_.checked == 0) {
    report_.problem = "the file holds no events";
    return false;
  }
  if (options_.required && !report_.required_found) {
    report_.problem =
        "the file does not contain position " + std::to_string(options_.required->first) +
        " of the digest (it holds positions " + std::to_string(report_.first_position) + ".." +
        std::to_string(report_.last_position) + ")";
    return false;
  }
  return true;
}

bool ExportVerifier::RejectLine(std::string problem) {
  if (!report_.ok()) return false;
  ++report_.lines;
  return FailAtLine(std::move(problem));
}

ExportVerifyReport VerifyExport(std::istream& in, ExportVerifyOptions options) {
  ExportVerifier verifier(std::move(options));
  std::vector<char> chunk(64 << 10);
  std::string line;  // the part of the current line read so far
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    std::string_view data(chunk.data(), static_cast<std::size_t>(in.gcount()));
    while (!data.empty()) {
      const auto newline = data.find('\n');
      const std::string_view piece = data.substr(0, newline);
      if (line.size() + piece.size() > kMaxExportLineBytes) {
        verifier.RejectLine("longer than " + std::to_string(kMaxExportLineBytes) + " bytes");
        return verifier.report();
      }
      line.append(piece);
      if (newline == std::string_view::npos) break;
      data.remove_prefix(newline + 1);
      if (!verifier.FeedLine(line)) return verifier.report();
      line.clear();
    }
  }
  if (in.bad()) {
    verifier.RejectLine("read error");
  } else if (!line.empty()) {
    verifier.RejectLine("cut short (no newline at the end of the file)");
  }
  verifier.Finish();
  return verifier.report();
}

}  // namespace passledger::events
