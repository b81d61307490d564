# NNSEG_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer for the whole build (the `asan` preset).
if(NNSEG_SANITIZE)
  set(NNSEG_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${NNSEG_SAN_FLAGS})
  add_link_options(${NNSEG_SAN_FLAGS})
endif()
