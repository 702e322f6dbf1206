func.func private @f(!bitmod.qweights<4x64, mxint4, group = 32, scale_bits = 0>)
