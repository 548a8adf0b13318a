#pragma once

#include <filesystem>
#include <iterator>

namespace weft::test {

/// Open file descriptors of this process (entries of /proc/self/fd).
inline std::size_t open_fd_count() {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                                  std::filesystem::directory_iterator{}));
}

}  // namespace weft::test
