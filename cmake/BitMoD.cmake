# Helpers shared by the project's CMake files.

# A plain C++ library (no MLIR). Links the shared libLLVM for Support only.
#   bitmod_add_plain_library(name SOURCES... [LINK_LIBS libs...])
function(bitmod_add_plain_library name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  llvm_config(${name} USE_SHARED Support)
  target_link_libraries(${name} PUBLIC Threads::Threads ${ARG_LINK_LIBS})
endfunction()

# A gtest binary registered with ctest, one ctest entry per test case.
#   bitmod_add_unittest(name SOURCES... [LINK_LIBS libs...])
function(bitmod_add_unittest name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main ${ARG_LINK_LIBS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/unittests)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
  add_dependencies(bitmod-unittests ${name})
endfunction()
