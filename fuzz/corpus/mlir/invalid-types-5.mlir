func.func private @f(!bitmod.qweights<2x4x8, int8, group = 8>)
