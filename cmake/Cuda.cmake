# FRAMEFARM_CUDA: AUTO builds the CUDA half when nvcc is found, ON requires it,
# OFF leaves it out. The CPU half of every kernel twin is always built.
set(FRAMEFARM_HAVE_CUDA OFF)
if(NOT FRAMEFARM_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(CMAKE_CUDA_STANDARD 17)  # CMake 3.25 knows no CUDA 20 flags for nvcc
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(FRAMEFARM_HAVE_CUDA ON)
    message(STATUS "framefarm: CUDA kernels ON (${CMAKE_CUDA_COMPILER}, archs ${CMAKE_CUDA_ARCHITECTURES})")
  elseif(FRAMEFARM_CUDA STREQUAL "ON")
    message(FATAL_ERROR "FRAMEFARM_CUDA=ON but no CUDA compiler was found (looked for /usr/local/cuda/bin/nvcc)")
  else()
    message(STATUS "framefarm: CUDA kernels OFF (nvcc not found)")
  endif()
endif()
