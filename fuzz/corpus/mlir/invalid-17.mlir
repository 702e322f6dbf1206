func.func @bad_accel() attributes {bitmod_hw.accel = #bitmod_hw.accel<num_tiles = 3>} {
  return
}
