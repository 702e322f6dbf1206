# Helpers shared by the project's CMake files.

# Development aid while several people add files at once: drop sources that
# do not exist yet instead of failing the configure. Off by default.
option(BITMOD_DEV_TOLERATE_MISSING_SOURCES
       "Skip listed sources that do not exist (development only)" OFF)
function(bitmod_existing_sources out)
  set(result)
  foreach(src ${ARGN})
    if(NOT BITMOD_DEV_TOLERATE_MISSING_SOURCES OR IS_ABSOLUTE "${src}" OR
       EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${src}")
      list(APPEND result ${src})
    else()
      message(WARNING "skipping missing source ${src}")
    endif()
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# A plain C++ library (no MLIR). Links the shared libLLVM for Support only.
#   bitmod_add_plain_library(name SOURCES... [LINK_LIBS libs...])
function(bitmod_add_plain_library name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  bitmod_existing_sources(srcs ${ARG_UNPARSED_ARGUMENTS})
  add_library(${name} STATIC ${srcs})
  llvm_config(${name} USE_SHARED Support)
  target_link_libraries(${name} PUBLIC Threads::Threads ${ARG_LINK_LIBS})
endfunction()

# A gtest binary registered with ctest, one ctest entry per test case.
#   bitmod_add_unittest(name SOURCES... [LINK_LIBS libs...])
function(bitmod_add_unittest name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  bitmod_existing_sources(srcs ${ARG_UNPARSED_ARGUMENTS})
  if(NOT srcs)
    return()
  endif()
  add_executable(${name} ${srcs})
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main ${ARG_LINK_LIBS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/unittests)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
  add_dependencies(bitmod-unittests ${name})
endfunction()
