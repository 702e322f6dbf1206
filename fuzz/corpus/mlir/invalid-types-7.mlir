func.func private @f(!bitmod.qweights<4x8, int8>)
