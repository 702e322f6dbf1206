"""Independent numpy reference of the calibration-aware quantizers.

AWQ (scale search over alpha, per-group clip search) and GPTQ (column-wise
quantization with error compensation) as described in docs/numerics.md,
"Calibration-aware quantization", written from the published algorithms:
round-to-nearest comes from `quant_ref.quantize_ref`, GPTQ's group
parameters and codes are chosen here from the value sets of
`quant_ref.candidate_sets`, and the inverse Hessian factor is computed the
way the GPTQ reference code does (cholesky(inverse(H)), upper), not by the
reversed-Cholesky route of the C++ code. Results agree with lib/Quant up to
floating-point rounding (tests compare them through bitmod-quant).
"""

import json
import os

import numpy as np

from bitmod.quant_ref import F32, _round_half_down, candidate_sets, quantize_ref


def stats_from_acts(x):
    """(count, sum|x| [K], Gram X^T X [K, K]) in float64."""
    x = np.asarray(x, np.float64)
    return x.shape[0], np.abs(x).sum(axis=0), x.T @ x


def write_stats(path, layers):
    """Writes a bitmod-calib-stats v1 directory; layers: name -> x [T, K]
    activations or a (count, sum_abs, gram) tuple."""
    os.makedirs(path, exist_ok=True)
    entries = []
    for i, (name, data) in enumerate(layers.items()):
        count, sum_abs, gram = (data if isinstance(data, tuple)
                                else stats_from_acts(data))
        base = f"layer{i}"
        np.save(os.path.join(path, base + ".sum_abs.npy"),
                np.asarray(sum_abs, np.float64))
        np.save(os.path.join(path, base + ".gram.npy"),
                np.asarray(gram, np.float64))
        entries.append({"name": name, "k": int(np.shape(sum_abs)[0]),
                        "count": int(count), "sum_abs": base + ".sum_abs.npy",
                        "gram": base + ".gram.npy"})
    with open(os.path.join(path, "stats.json"), "w") as f:
        json.dump({"format": "bitmod-calib-stats", "version": 1,
                   "layers": entries}, f)


def read_stats(path):
    with open(os.path.join(path, "stats.json")) as f:
        meta = json.load(f)
    out = {}
    for e in meta["layers"]:
        out[e["name"]] = (e["count"],
                          np.load(os.path.join(path, e["sum_abs"])),
                          np.load(os.path.join(path, e["gram"])))
    return out


def output_error(w, wq, gram, count):
    """tr(E G E^T) / count, E = W - Wq."""
    e = np.asarray(w, np.float64) - np.asarray(wq, np.float64)
    return float(np.einsum("ij,jk,ik->", e, gram, e) / count)


def _fq(w, dtype, group_size, scale_bits):
    return quantize_ref(w, dtype, group_size, scale_bits)[0]


def awq_ref(w, stats, dtype, group_size=128, scale_bits=8, grid=20,
            clip_grid=20, max_shrink=0.5, search_rows=512, search_clip=True):
    """Returns (effective weight [N, K], input scale 1/s or None, alpha).
    The alpha search and the clip-vs-no-clip decision use `search_rows`
    evenly strided rows (all when N <= search_rows), as lib/Quant does."""
    w = np.asarray(w, F32)
    N, K = w.shape
    count, sum_abs, gram = stats
    mean_abs = sum_abs / count
    G = 32 if dtype.startswith("mx") else group_size
    rows = np.arange(N)
    if search_rows and N > search_rows:
        rows = (np.arange(search_rows) * N) // search_rows
    rtn = _fq(w, dtype, group_size, scale_bits)
    best_err = output_error(w[rows], rtn[rows], gram, count)
    alpha, s = 0.0, np.ones(K, F32)
    for i in range(1, grid):
        a = i / grid
        sc = np.maximum(mean_abs ** a, 1e-4)
        sc = (sc / np.sqrt(sc.max() * sc.min())).astype(F32)
        q = _fq((w[rows] * sc).astype(F32), dtype, group_size, scale_bits)
        err = output_error(w[rows], q * (F32(1) / sc), gram, count)
        if err < best_err:
            best_err, alpha, s = err, a, sc
    inv = (F32(1) / s).astype(F32)
    ws = (w * s).astype(F32)
    best_q = _fq(ws, dtype, group_size, scale_bits)
    best_total = output_error(w[rows], (best_q * inv)[rows], gram, count)
    max_step = int(np.floor(max_shrink * clip_grid))
    if search_clip and max_step > 0 and dtype != "fp16":
        ng = -(-K // G)
        gs = (gram / np.outer(s.astype(np.float64), s)).astype(F32)
        gs = gs.astype(np.float64)
        absmax = np.zeros((N, ng), F32)
        for g in range(ng):
            absmax[:, g] = np.abs(ws[:, g * G:(g + 1) * G]).max(axis=1)
        gidx = np.arange(K) // G
        best_ge = np.full((N, ng), np.inf)
        best_r = np.ones((N, ng), F32)
        for step in range(max_step + 1):
            r = F32(1 - step / clip_grid)
            m = (r * absmax)[:, gidx]
            q = _fq(np.clip(ws, -m, m), dtype, group_size, scale_bits)
            e = ws.astype(np.float64) - q
            for g in range(ng):
                sl = slice(g * G, min(K, (g + 1) * G))
                ge = np.einsum("ij,jk,ik->i", e[:, sl], gs[sl, sl], e[:, sl])
                better = ge < best_ge[:, g]
                best_ge[better, g] = ge[better]
                best_r[better, g] = r
        m = (best_r * absmax)[:, gidx]
        q = _fq(np.clip(ws, -m, m), dtype, group_size, scale_bits)
        err = output_error(w[rows], (q * inv)[rows], gram, count)
        if err < best_total:
            best_q, best_total = q, err
    if alpha == 0:
        return best_q, None, 0.0
    return (best_q * inv).astype(F32), inv, alpha


class _GroupQuant:
    """Group parameters and element rounding of one data type."""

    def __init__(self, dtype, scale_bits):
        self.dtype = dtype
        self.asym = dtype.endswith("_asym")
        self.mx = dtype.startswith("mx")
        self.scale_bits = 0 if self.mx else scale_bits
        if self.asym:
            self.levels = 2 ** int(dtype[3]) - 1
        else:
            self.sets = [np.asarray(s, F32) for s in candidate_sets(dtype)]
            self.mids = [(s[:-1].astype(np.float64) + s[1:]) / 2
                         for s in self.sets]
            self.qmax = [F32(np.max(np.abs(s))) for s in self.sets]
            if self.mx:
                self.elem_exp = int(np.floor(np.log2(self.qmax[0])))

    def _second(self, s, S):
        if not self.scale_bits:
            return F32(s)
        if S == 0 or s == 0:
            return F32(0)
        qs = 2 ** (self.scale_bits - 1) - 1
        q = np.clip(_round_half_down(F32(s) / F32(S)), 1, qs)
        return F32(F32(q) * F32(S))

    def quant(self, p, w):
        """Rounds float32 values w with params p = (e, sel, zp)."""
        e, sel, zp = p
        w = np.asarray(w, F32)
        if e == 0:
            return np.zeros_like(w)
        if self.asym:
            code = np.clip(_round_half_down((w / e).astype(F32)) + zp, 0,
                           self.levels)
            return ((code - zp).astype(F32) * e).astype(F32)
        idx = np.searchsorted(self.mids[sel], (w / e).astype(F32), "left")
        return (self.sets[sel][idx] * e).astype(F32)

    def params(self, w, S):
        w = np.asarray(w, F32)
        absmax = F32(np.max(np.abs(w)))
        if absmax == 0:
            return (F32(0), 0, 0)
        if self.mx:
            _, ex = np.frexp(absmax)
            X = int(np.clip(int(ex) - 1 - self.elem_exp, -127, 127))
            return (F32(np.ldexp(F32(1), X)), 0, 0)
        if self.asym:
            mn, mx = F32(w.min()), F32(w.max())
            rng = F32(mx - mn)
            if rng == 0:
                rng = absmax
            e = self._second(F32(rng / F32(self.levels)), S)
            zp = 0 if e == 0 else int(np.clip(
                _round_half_down(F32(-mn / e)), 0, self.levels))
            return (e, 0, zp)
        best, best_err = (F32(0), 0, 0), np.inf
        for c in range(len(self.sets)):
            e = self._second(F32(absmax / self.qmax[c]), S)
            if e == 0:
                return (F32(0), 0, 0)
            d = w.astype(np.float64) - self.quant((e, c, 0), w)
            err = float(np.sum(d * d))
            if err < best_err:
                best, best_err = (e, c, 0), err
        return best


def gptq_ref(w, stats, dtype, group_size=128, scale_bits=8, damp=0.01,
             act_order=False):
    """Returns the dequantized GPTQ weight [N, K] (float32)."""
    w = np.array(w, F32)
    N, K = w.shape
    count, _, gram = stats
    H = gram / count
    dead = np.diag(H) == 0
    H[dead, dead] = 1
    w[:, dead] = 0
    G = 32 if dtype.startswith("mx") else group_size
    gq = _GroupQuant(dtype, scale_bits)
    _, _, info = quantize_ref(w, dtype, group_size, scale_bits)
    S = info.get("channel_scales", np.zeros(N, F32))
    perm = np.arange(K)
    if act_order:
        perm = np.argsort(-np.diag(H), kind="stable")
    Hp = H[perm][:, perm]
    lam = damp * np.mean(np.diag(H))
    U = np.linalg.cholesky(np.linalg.inv(Hp + lam * np.eye(K))).T
    ng = -(-K // G)
    params = [[None] * ng for _ in range(N)]
    if act_order:
        for n in range(N):
            for g in range(ng):
                params[n][g] = gq.params(w[n, g * G:(g + 1) * G], S[n])
    W = w[:, perm].astype(np.float64)
    Q = np.zeros((N, K), F32)
    for i in range(K):
        col = perm[i]
        g = col // G
        if not act_order and i % G == 0:
            for n in range(N):
                params[n][g] = gq.params(W[n, i:i + G].astype(F32), S[n])
        wi = W[:, i].astype(F32)
        q = np.array([gq.quant(params[n][g], wi[n]) for n in range(N)], F32)
        Q[:, col] = q
        err = (W[:, i] - q) / U[i, i]
        W[:, i + 1:] -= np.outer(err, U[i, i + 1:])
    return Q
