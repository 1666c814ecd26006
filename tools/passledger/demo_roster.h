// The demo roster (tools/demo/demo-roster.csv), compiled into the binary so that
// `passledger serve --demo` works from any directory.
#pragma once

#include <string_view>

namespace passledger::tools {

std::string_view DemoRoster();

}  // namespace passledger::tools
