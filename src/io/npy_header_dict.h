// Internal to io/npy.cpp: parsing the Python-literal dict of a .npy header.
#pragma once

#include <string>
#include <string_view>

#include "io/npy.h"

namespace nnseg::detail {

// Python's repr of a str, quoted and escaped, cut after 120 characters: for quoting header text in messages.
std::string npy_python_repr(std::string_view s);

// Fills dtype and shape of `h` from the dict text of a header; InputError naming `item` for anything numpy would
// not have written (not a dict, unknown or missing keys, fortran_order True, bad shape or dtype).
void parse_npy_header_dict(std::string_view text, const std::string& item, NpyHeader* h);

}  // namespace nnseg::detail
