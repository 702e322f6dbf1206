func.func private @f(!bitmod.qweights<4x8, int7, group = 8>)
