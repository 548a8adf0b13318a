#include <string>
#include <weft/ratelimit/error.hpp>

namespace weft::ratelimit {

namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "weft.ratelimit"; }
    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
            case Errc::insufficient_capacity:
                return "more cells requested at once than the quota's burst allows";
        }
        return "unknown rate limiter error";
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const Category category;
    return category;
}

}  // namespace weft::ratelimit
