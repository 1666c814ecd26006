// The text of handlers/staff/common_passwords.txt, compiled in by CMake
// (handlers/CMakeLists.txt generates its definition from common_passwords.cpp.in). Internal
// to handlers/staff/passwords.cpp; use IsCommonPassword.
#pragma once

#include <string_view>

namespace passledger::handlers {

std::string_view CommonPasswordsText();

}  // namespace passledger::handlers
