"""Independent numpy reference of the BitMoD weight quantizer.

Implements the numerics contract of docs/numerics.md for every data type
(value sets built from their definitions, not from the C++ tables) so that
the C++ quantizer (`bitmod-quant`) can be cross-checked. All arithmetic that
the contract performs in float32 is done in float32 here too (numpy float32
operations are correctly rounded IEEE operations), so results are expected
to be bit-identical.
"""

import struct

import numpy as np

F32 = np.float32

_FP3 = [0, 1, 2, 4]
_FP4 = [0, 1, 2, 3, 4, 6, 8, 12]
_FLINT4 = [0, 1, 2, 3, 4, 6, 8, 16]
_SV3 = {"er_pos": 3, "er_neg": -3, "ea_pos": 6, "ea_neg": -6}
_SV4 = {"er_pos": 10, "er_neg": -10, "ea_pos": 16, "ea_neg": -16}
SELECTOR_ORDER = ["er_pos", "er_neg", "ea_pos", "ea_neg"]

DTYPES = [
    "int3", "int4", "int5", "int6", "int8", "int3_asym", "int4_asym", "fp3",
    "fp4", "fp3_er_pos", "fp3_er_neg", "fp3_ea_pos", "fp3_ea_neg",
    "fp4_er_pos", "fp4_er_neg", "fp4_ea_pos", "fp4_ea_neg", "bitmod3",
    "bitmod4", "flint4", "mxfp3", "mxfp4", "mxint4", "fp5_e2m2", "fp5_e3m1",
    "fp6_e2m3", "fp6_e3m2", "fp16",
]


def _sym(mags):
    vals = set()
    for m in mags:
        vals.add(float(m))
        vals.add(-float(m))
    return sorted(vals)


def _int_set(bits):
    q = 2 ** (bits - 1) - 1
    return [float(v) for v in range(-q, q + 1)]


def _minifloat(e_bits, m_bits):
    mags = []
    for e in range(2 ** e_bits):
        for m in range(2 ** m_bits):
            if e == 0:
                mags.append(m)  # subnormals; smallest subnormal = 1
            else:
                mags.append((2 ** m_bits + m) * 2.0 ** (e - 1))
    return _sym(mags)


def candidate_sets(dtype):
    """Value sets (ascending) of a non-asym, non-fp16 type, selector order."""
    if dtype in ("int3", "int4", "int5", "int6", "int8"):
        return [_int_set(int(dtype[3:]))]
    if dtype == "mxint4":
        return [_int_set(4)]
    if dtype in ("fp3", "mxfp3"):
        return [_sym(_FP3)]
    if dtype in ("fp4", "mxfp4"):
        return [_sym(_FP4)]
    if dtype == "flint4":
        return [_sym(_FLINT4)]
    if dtype.startswith("fp3_") or dtype.startswith("fp4_"):
        base, svs = (_FP3, _SV3) if dtype.startswith("fp3") else (_FP4, _SV4)
        return [sorted(_sym(base) + [float(svs[dtype[4:]])])]
    if dtype in ("bitmod3", "bitmod4"):
        base, svs = (_FP3, _SV3) if dtype == "bitmod3" else (_FP4, _SV4)
        return [sorted(_sym(base) + [float(svs[k])]) for k in SELECTOR_ORDER]
    if dtype.startswith("fp5_") or dtype.startswith("fp6_"):
        return [_minifloat(int(dtype[5]), int(dtype[7]))]
    raise ValueError(f"unknown dtype {dtype}")


def _round_half_down(x):
    """Nearest integer, exact .5 goes to the smaller one (float64)."""
    return np.ceil(np.asarray(x, dtype=np.float64) - 0.5)


def _nearest_index(x, values):
    """Index of the nearest value (midpoint -> lower) for float32 x."""
    v = np.asarray(values, dtype=np.float64)
    mids = (v[:-1] + v[1:]) / 2.0
    # number of midpoints strictly below x
    return np.searchsorted(mids, x.astype(np.float64), side="left")


def _mx_elem_exp(dtype):
    qmax = max(abs(v) for v in candidate_sets(dtype)[0])
    return int(np.floor(np.log2(qmax)))


def quantize_ref(w, dtype, group_size=128, scale_bits=8):
    """Fake-quantizes W[N, K] (float32). Returns (deq float32 [N, K],
    selectors int [N, numGroups] or None, info dict)."""
    w = np.ascontiguousarray(w, dtype=F32)
    if w.ndim != 2:
        raise ValueError("expected a 2-D matrix")
    if not np.all(np.isfinite(w)):
        raise ValueError("non-finite weight")
    N, K = w.shape
    if dtype == "fp16":
        return np.clip(w, -65504, 65504).astype(np.float16).astype(F32), None, {}
    mx = dtype.startswith("mx")
    G = 32 if mx else group_size
    if G <= 0:
        raise ValueError("group size must be > 0")
    ng = -(-K // G)
    pad = ng * G - K
    wp = np.pad(w, ((0, 0), (0, pad))).reshape(N, ng, G)
    mask = np.pad(np.ones((N, K), bool), ((0, 0), (0, pad))).reshape(N, ng, G)
    absmax = np.max(np.abs(wp), axis=2).astype(F32)  # padding zeros harmless
    zero_group = absmax == 0
    deq = np.zeros((N, ng, G), F32)
    info = {}

    if mx:
        vals = candidate_sets(dtype)[0]
        _, ex = np.frexp(np.where(zero_group, F32(1), absmax))
        X = np.clip(ex.astype(np.int64) - 1 - _mx_elem_exp(dtype), -127, 127)
        e = np.ldexp(F32(1), X).astype(F32)
        e = np.where(zero_group, F32(0), e)
        safe = np.where(e == 0, F32(1), e)[:, :, None]
        x = (wp / safe).astype(F32)
        v = np.asarray(vals, F32)[_nearest_index(x, vals)]
        deq = np.where(zero_group[:, :, None], F32(0), (v * safe).astype(F32))
        info["shared_exponents"] = np.where(zero_group, -128, X)
        out = deq.reshape(N, ng * G)[:, :K]
        return np.ascontiguousarray(out), None, info

    asym = dtype.endswith("_asym")
    if asym:
        levels = 2 ** int(dtype[3]) - 1
        mn = np.min(np.where(mask, wp, np.inf), axis=2).astype(F32)
        mxv = np.max(np.where(mask, wp, -np.inf), axis=2).astype(F32)
        rng = (mxv - mn).astype(F32)
        rng = np.where(rng == 0, absmax, rng)
        float_scales = [(rng / F32(levels)).astype(F32)]
        sets = [None]
    else:
        sets = candidate_sets(dtype)
        float_scales = [
            (absmax / F32(max(abs(v) for v in s))).astype(F32) for s in sets
        ]

    if scale_bits:
        qs = F32(2 ** (scale_bits - 1) - 1)
        smax = np.max(np.stack(float_scales), axis=(0, 2)).astype(F32)  # [N]
        S = (smax / qs).astype(F32)
        info["channel_scales"] = S

    errs, deqs, qcodes = [], [], []
    for c, s in enumerate(float_scales):
        if scale_bits:
            Sc = S[:, None]
            ratio = (s / np.where(Sc == 0, F32(1), Sc)).astype(F32)
            q = np.clip(_round_half_down(ratio), 1, float(qs))
            e = (q.astype(F32) * Sc).astype(F32)
            bad = zero_group | (Sc == 0)
            q = np.where(bad, 0, q)
            e = np.where(bad, F32(0), e)
        else:
            q = None
            e = np.where(zero_group, F32(0), s)
        zero = (e == 0) | zero_group
        safe = np.where(zero, F32(1), e)[:, :, None]
        x = (wp / safe).astype(F32)
        if asym:
            zp = np.clip(_round_half_down((-mn / safe[:, :, 0]).astype(F32)),
                         0, levels)[:, :, None]
            code = np.clip(_round_half_down(x) + zp, 0, levels)
            d = ((code - zp).astype(F32) * safe).astype(F32)
            info["zero_points"] = np.where(zero, 0, zp[:, :, 0]).astype(np.int64)
        else:
            vals = sets[c]
            v = np.asarray(vals, F32)[_nearest_index(x, vals)]
            d = (v * safe).astype(F32)
        d = np.where(zero[:, :, None] | ~mask, F32(0), d)
        err = np.sum((wp.astype(np.float64) - d.astype(np.float64)) ** 2, axis=2)
        errs.append(err)
        deqs.append(d)
        qcodes.append(q)
    errs = np.stack(errs)  # [C, N, ng]
    sel = np.argmin(errs, axis=0)  # first minimum on ties
    sel = np.where(zero_group, 0, sel)
    deq = np.take_along_axis(np.stack(deqs), sel[None, :, :, None], 0)[0]
    if scale_bits:
        info["group_scale_codes"] = np.take_along_axis(
            np.stack(qcodes), sel[None], 0)[0].astype(np.int64)
    out = np.ascontiguousarray(deq.reshape(N, ng * G)[:, :K])
    selectors = sel if dtype.startswith("bitmod") else None
    return out, selectors, info


def read_packed(path):
    """Reads a .bmqw packed-weight file (docs/numerics.md)."""
    data = open(path, "rb").read()
    if data[:4] != b"BMQW":
        raise ValueError("bad magic")
    (version, dtype, gran, N, K, G, sbits, ng, cbits, _res, _pad) = \
        struct.unpack_from("<IIIqqIIqIIQ", data, 4)
    pos = 64
    names = ["codes", "group_scale_codes", "group_scales", "channel_scales",
             "selectors", "zero_points", "shared_exponents"]
    types = [np.uint8, np.int8, np.float32, np.float32, np.uint8, np.uint8,
             np.int8]
    out = {"version": version, "dtype": DTYPES[dtype], "granularity": gran,
           "N": N, "K": K, "group_size": G, "scale_bits": sbits,
           "num_groups": ng, "code_bits": cbits,
           # Special-value set; all zeros: the paper's (docs/numerics.md).
           "sv": list(struct.unpack_from("<4b", data, 52))}
    for name, t in zip(names, types):
        (n,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        out[name] = np.frombuffer(data[pos:pos + n], dtype=t)
        pos += n
    return out


def unpack_selectors(packed):
    """[N, numGroups] selectors from a read_packed() dict."""
    N, ng = packed["N"], packed["num_groups"]
    row = (ng + 3) // 4
    b = packed["selectors"].reshape(N, row).astype(np.int64)
    g = np.arange(ng)
    return (b[:, g // 4] >> (2 * (g % 4))) & 3


def unpack_codes(packed):
    """[N, paddedK] codes (LSB-first bit packing, byte-aligned rows)."""
    N, bits = packed["N"], packed["code_bits"]
    padded = packed["num_groups"] * packed["group_size"]
    row_bytes = (padded * bits + 7) // 8
    raw = packed["codes"].reshape(N, row_bytes)
    bitarr = np.unpackbits(raw, axis=1, bitorder="little")[:, :padded * bits]
    bitarr = bitarr.reshape(N, padded, bits).astype(np.int64)
    return np.sum(bitarr << np.arange(bits), axis=2)
