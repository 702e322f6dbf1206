func.func private @f(!bitmod.qweights<4x256, mxfp4, group = 128>)
