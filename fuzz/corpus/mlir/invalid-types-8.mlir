func.func private @f(!bitmod.qweights<4611686018427387904x4611686018427387904, int4, group = 128>)
