# nnseg_set_warnings(target): strict warnings on our own code only (third-party headers are SYSTEM).
function(nnseg_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  if(NNSEG_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
