#include <weft/error.hpp>

namespace weft {
namespace {

class WeftCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "weft"; }
    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
            case Errc::ok:
                return "success";
            case Errc::timed_out:
                return "operation timed out";
            case Errc::cancelled:
                return "operation cancelled";
            case Errc::no_runtime:
                return "no weft runtime is running on this thread";
            case Errc::resolve_failed:
                return "name resolution failed";
            case Errc::closed:
                return "the other side is closed";
        }
        return "unknown weft error";
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const WeftCategory category;
    return category;
}

}  // namespace weft
