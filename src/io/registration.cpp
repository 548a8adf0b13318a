#include "io/registration.hpp"

#include <stdexcept>
#include <string>

#include "runtime/core.hpp"

namespace weft::io::detail {

Result<Registration> Registration::create(int fd, const char* operation) {
    auto* core = weft::detail::RuntimeCore::current();
    if (!core) {
        throw std::logic_error(std::string(operation) +
                               " needs a weft runtime on this thread: run it inside Runtime::block_on "
                               "or a task spawned on a runtime");
    }
    auto io = core->io().add(fd);
    if (!io) return std::unexpected(io.error());
    Registration r;
    r.core_ = core;
    r.io_ = *io;
    core->add_scheduler_ref();
    return r;
}

void Registration::reset() noexcept {
    if (!io_) return;
    core_->io().remove(std::exchange(io_, nullptr));
    std::exchange(core_, nullptr)->release_scheduler_ref();
}

}  // namespace weft::io::detail
