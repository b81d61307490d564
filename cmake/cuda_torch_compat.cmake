# Loaded only by scripts/build-cuda.sh (CMAKE_PROJECT_INCLUDE), before find_package(Torch) runs, when building
# against a Python torch package's CUDA LibTorch.
#
# CUDA 12.9+ no longer ships libnvToolsExt (NVTX 3 is header-only). Torch's public/cuda.cmake looks for NVTX 3
# only inside PyTorch's own source tree; when that fails it links torch::nvtoolsext to CUDA::nvToolsExt, a target
# FindCUDAToolkit no longer defines, and configuring stops ("The link interface of target torch::nvtoolsext
# contains: CUDA::nvToolsExt but the target was not found"). nnseg uses no NVTX, so an empty target will do.
if(NOT TARGET CUDA::nvToolsExt)
  add_library(CUDA::nvToolsExt INTERFACE IMPORTED)
endif()

# Torch 2.12+ headers require C++20 (build-cuda.sh sets NNSEG_TORCH_NEEDS_CXX20 when they say so). The project
# asks for C++17 (CMAKE_CXX_STANDARD), so the flag that stands for C++17 is made to say C++20.
if(NNSEG_TORCH_NEEDS_CXX20)
  set(CMAKE_CXX17_STANDARD_COMPILE_OPTION "-std=c++20")
  set(CMAKE_CXX17_EXTENSION_COMPILE_OPTION "-std=gnu++20")
endif()
