func.func private @f(!bitmod.qweights<4x8, fp16, group = 8>)
