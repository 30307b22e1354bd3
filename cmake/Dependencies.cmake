# Every dependency as Debian 12 ships it (scripts/packages.txt installs them).
find_package(MPI REQUIRED COMPONENTS CXX)
find_package(OpenCV 4 REQUIRED COMPONENTS core imgproc objdetect)
find_package(HDF5 REQUIRED COMPONENTS C CXX)
find_package(tomlplusplus REQUIRED)
find_package(GTest REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET
  libavformat libavcodec libavutil libswscale libswresample libavfilter)
pkg_check_modules(EBUR128 REQUIRED IMPORTED_TARGET libebur128)
pkg_check_modules(X264 REQUIRED IMPORTED_TARGET x264)

# One imported target for HDF5 (C and C++ API), whatever the FindHDF5 flavour.
add_library(ff_hdf5 INTERFACE)
target_include_directories(ff_hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
target_link_libraries(ff_hdf5 INTERFACE ${HDF5_CXX_LIBRARIES} ${HDF5_LIBRARIES})
target_compile_definitions(ff_hdf5 INTERFACE ${HDF5_DEFINITIONS})

# Where opencv-data keeps the face cascades, baked in as the default.
find_path(FRAMEFARM_CASCADE_DIR haarcascade_frontalface_default.xml
  PATHS /usr/share/opencv4/haarcascades /usr/share/opencv/haarcascades)
if(NOT FRAMEFARM_CASCADE_DIR)
  message(FATAL_ERROR "Haar cascades not found: install opencv-data (scripts/setup.sh does)")
endif()
