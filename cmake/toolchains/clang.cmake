# Toolchain for the clang-release preset: prefer clang++-19 (Debian package clang-19, installed
# by `scripts/install-deps.sh --clang`), else the newest clang++ found. weft needs C++23
# <expected> from libstdc++, which clang 14 (Debian 12's default) cannot compile.
if(NOT CMAKE_CXX_COMPILER)
  find_program(WEFT_CLANGXX NAMES clang++-19 clang++-20 clang++-18 clang++-17 clang++-16 clang++)
  if(NOT WEFT_CLANGXX)
    message(FATAL_ERROR "clang-release preset: no clang++ found (run scripts/install-deps.sh --clang)")
  endif()
  if(NOT WEFT_CLANGXX MATCHES "clang\\+\\+-19$")
    message(WARNING "clang-release preset: clang++-19 not found, using ${WEFT_CLANGXX}")
  endif()
  set(CMAKE_CXX_COMPILER "${WEFT_CLANGXX}")
endif()
