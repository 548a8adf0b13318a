#include <string>
#include <weft/pool/error.hpp>

namespace weft::pool {

namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "weft.pool"; }
    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
            case Errc::wait_timed_out:
                return "timed out waiting for a free pool object";
            case Errc::create_timed_out:
                return "timed out creating a pool object";
            case Errc::recycle_timed_out:
                return "timed out recycling a pool object";
            case Errc::closed:
                return "the pool is closed";
        }
        return "unknown pool error";
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const Category category;
    return category;
}

}  // namespace weft::pool
