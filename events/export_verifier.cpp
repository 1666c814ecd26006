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
  return true;
}

bool ExportVerifier::RejectLine(std::string problem) {
  if (!report_.ok()) return false;
  ++report_.lines;
  return FailAtLine(std::move(problem));
}

ExportVerifyReport VerifyExport(std::istream& in) {
  ExportVerifier verifier;
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
  return verifier.report();
}

}  // namespace passledger::events
