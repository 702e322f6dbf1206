# Install rules, the BitMoD CMake package and the Debian package (cpack).
#
#   cmake --install build --prefix P   installs
#     P/bin/                 bitmod-opt, -translate, -compile, -sim, -quant
#     P/lib/                 the static libraries (dialects, passes, Quant,
#                            Arch, Sim, ISA, Runtime, ...)
#     P/include/bitmod/      headers, TableGen (.td), .def tables and the
#                            generated .inc files
#     P/lib/cmake/bitmod/    BitMoDConfig.cmake + BitMoDTargets.cmake
#                            (targets BitMoD::MLIRBitMoD, BitMoD::BitMoDQuant..)
#     P/lib/python3/dist-packages/bitmod/   the Python package with _core
#   cpack -G DEB (in the build dir) builds bitmod-mlir_<version>_<arch>.deb
#   installing under /usr.
# test/install/ checks all of it (docs/python.md, "Installing").

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(BITMOD_VERSION ${PROJECT_VERSION})
set(BITMOD_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/bitmod)
set(BITMOD_INSTALL_PYTHONDIR lib/python3/dist-packages/bitmod)

set(BITMOD_INSTALLED_TOOLS bitmod-opt bitmod-translate bitmod-compile
    bitmod-sim bitmod-quant)
# The installed tools find libMLIR.so / libLLVM.so in LLVM's library dir
# (AddLLVM's default install RPATH, $ORIGIN/../lib, does not hold them).
set_target_properties(${BITMOD_INSTALLED_TOOLS} PROPERTIES
  INSTALL_RPATH "${LLVM_LIBRARY_DIR}")
install(TARGETS ${BITMOD_INSTALLED_TOOLS}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bitmod)

# add_mlir_library already installs the MLIR-based libraries into the
# MLIRTargets export set; the plain libraries they link join that set so
# one export file describes them all.
set(BITMOD_PLAIN_LIBRARIES BitMoDSupport BitMoDQuant BitMoDArch BitMoDISA
    BitMoDSim BitMoDRuntime)
install(TARGETS ${BITMOD_PLAIN_LIBRARIES} EXPORT MLIRTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT bitmod)
install(EXPORT MLIRTargets NAMESPACE BitMoD::
        FILE BitMoDTargets.cmake
        DESTINATION ${BITMOD_INSTALL_CMAKEDIR} COMPONENT bitmod)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/bitmod
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT bitmod
        FILES_MATCHING PATTERN "*.h" PATTERN "*.td" PATTERN "*.def"
        PATTERN "CMakeLists.txt" EXCLUDE)
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/bitmod
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT bitmod
        FILES_MATCHING PATTERN "*.inc" PATTERN "*.h"
        PATTERN "CMakeFiles" EXCLUDE)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/install/BitMoDConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/BitMoDConfig.cmake
  INSTALL_DESTINATION ${BITMOD_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/BitMoDConfigVersion.cmake
  VERSION ${BITMOD_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/BitMoDConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/BitMoDConfigVersion.cmake
        DESTINATION ${BITMOD_INSTALL_CMAKEDIR} COMPONENT bitmod)

# The Python package: the sources plus the extension.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/bitmod/
        DESTINATION ${BITMOD_INSTALL_PYTHONDIR} COMPONENT bitmod
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
if(TARGET BitMoDPythonCore)
  install(TARGETS BitMoDPythonCore
          LIBRARY DESTINATION ${BITMOD_INSTALL_PYTHONDIR} COMPONENT bitmod)
endif()

#--- Debian package ---------------------------------------------------------
set(CPACK_PACKAGE_NAME bitmod-mlir)
set(CPACK_PACKAGE_VERSION ${BITMOD_VERSION})
set(CPACK_PACKAGE_CONTACT "bitmod-mlir developers <bitmod-mlir@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "MLIR compiler and simulator for the BitMoD LLM accelerator")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libmlir-22-dev, mlir-22-tools, llvm-22-dev, libllvm22, libonnx-dev, libprotobuf-dev, python3, python3-numpy")
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL bitmod)
set(CPACK_DEB_COMPONENT_INSTALL OFF)
include(CPack)

# The installed package, an out-of-tree consumer and the .deb
# (test/install/run.sh; about a minute, mostly two consumer builds).
add_test(NAME bitmod-install
         COMMAND bash ${PROJECT_SOURCE_DIR}/test/install/run.sh
                 ${PROJECT_BINARY_DIR} ${PROJECT_BINARY_DIR}/test-install)
set_tests_properties(bitmod-install PROPERTIES TIMEOUT 600
  ENVIRONMENT "PYTHON=${Python3_EXECUTABLE}")
