// One file of a .pkpass bundle: its path inside the zip, its bytes and the lowercase hex
// SHA-1 that manifest.json lists for it. Plain struct.
#pragma once

#include <string>

namespace passledger::signer {

struct BundleFile {
  std::string path;  // e.g. "icon@2x.png", "de.lproj/pass.strings"
  std::string bytes;
  std::string sha1_hex;  // of `bytes`; computed once when a template is loaded
};

}  // namespace passledger::signer
