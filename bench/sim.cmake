# Simulator datapath benchmark. Included from bench/CMakeLists.txt:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/sim.cmake)
if(TARGET benchmark::benchmark)
  add_executable(sim_datapath_bench ${CMAKE_CURRENT_LIST_DIR}/sim_datapath_bench.cpp)
  target_link_libraries(sim_datapath_bench PRIVATE BitMoDSim benchmark::benchmark)
  set_target_properties(sim_datapath_bench PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endif()
