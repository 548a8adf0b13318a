#pragma once

#include <string>
#include <weft/runtime/task/header.hpp>

namespace weft::detail {

/// Appends one line describing `task`: id, name or spawn location, state, and what it waits for.
void append_task_dump(std::string& out, TaskHeader& task);

}  // namespace weft::detail
