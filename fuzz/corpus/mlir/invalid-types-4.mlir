func.func private @f(!bitmod.qweights<4x8, int8, group = 8, scale_bits = 3>)
