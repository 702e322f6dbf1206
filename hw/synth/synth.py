#!/usr/bin/env python3
"""Yosys synthesis of the BitMoD RTL and the reference PEs (docs/rtl.md).

Each unit is synthesized alone with Yosys' generic cell library:
    read_verilog -I hw/rtl <files>; chparam ...; synth -flatten -top <top>;
    check -assert; select -assert-none t:$_DLATCH* t:$dlatch*; stat -tech cmos
(-flatten is left out for the tile, whose PEs are one synthesized module).
Prints a table and writes hw/synth/area.json: cells, flip-flops and the CMOS
transistor estimate of `stat -tech cmos` per unit, plus the ratios quoted in
docs/rtl.md and the PE area the accelerator description can take
(AccelConfig "pe_area_um2", see docs/rtl.md "Area feed").

Usage: hw/synth/synth.py [--units a,b] [--out hw/synth/area.json] [--logs DIR]
                         [--reuse] [--merge]

--merge keeps the units of an existing --out that this run does not
synthesize (the tile alone takes ~15 minutes of wall time).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HW = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RTL = os.path.join(HW, "rtl")

# name: (top, files, chparams, flatten, description)
UNITS = {
    "bitmod_pe": ("bitmod_pe", ["bitmod_pe.v"], {"ACC_W": 96, "SCALE_BITS": 8},
                  True, "BitMoD PE, 96-bit group accumulator (simulator)"),
    "bitmod_pe_acc62": ("bitmod_pe", ["bitmod_pe.v"],
                        {"ACC_W": 62, "SCALE_BITS": 8}, True,
                        "BitMoD PE, 62-bit accumulator (exact for G <= 128)"),
    "term_encoder": ("bitmod_term_encoder", ["bitmod_term_encoder.v"], {},
                     True, "term encoder, one weight lane"),
    "colacc": ("bitmod_colacc", ["bitmod_colacc.v", "fp32_round.v",
                                 "fp32_add.v", "fp32_mul.v"],
               {"ROWS": 8, "PW": 104}, True,
               "column accumulator (8 rows, FP32 round/add/mul)"),
    "fp16_mac_pe": ("ref_fp16_mac_pe", ["ref/ref_fp16_mac_pe.v", "fp32_add.v"],
                    {}, True, "reference FP16 x FP16 MAC PE, FP32 accumulator"),
    "fp16_int8_pe": ("ref_fp16_int8_pe",
                     ["ref/ref_fp16_int8_pe.v", "fp32_add.v"], {}, True,
                     "reference FP16 x INT8 PE, FP32 accumulator"),
    "tile": ("bitmod_tile", ["bitmod_tile.v", "bitmod_pe.v",
                             "bitmod_term_encoder.v", "bitmod_colacc.v",
                             "fp32_round.v", "fp32_add.v", "fp32_mul.v"],
             {}, False, "8x8 tile (64 PEs, 32 encoders, 8 column accumulators)"),
}


def run_unit(name, logs, reuse=False):
    top, files, params, flatten, _ = UNITS[name]
    cmds = ["read_verilog -I%s %s" % (RTL, " ".join(
        os.path.join(RTL, f) for f in files))]
    if params:
        cmds.append("chparam %s %s" % (" ".join(
            "-set %s %d" % kv for kv in params.items()), top))
    cmds += [
        "synth %s-noshare -top %s" % ("-flatten " if flatten else "", top),
        "check -assert",
        "select -assert-none t:$_DLATCH* t:$dlatch* t:$_SR_* t:$sr",
        "tee -o %s stat -tech cmos" % os.path.join(logs, name + ".stat"),
    ]
    t0 = time.time()
    log = os.path.join(logs, name + ".log")
    stat = os.path.join(logs, name + ".stat")
    reused = reuse and os.path.isfile(stat)
    if not reused:
        with open(log, "w") as f:
            r = subprocess.run(["yosys", "-p", "; ".join(cmds)], stdout=f,
                               stderr=subprocess.STDOUT)
        if r.returncode != 0:
            sys.exit("yosys failed on %s (see %s)" % (name, log))
    secs = time.time() - t0
    text = open(os.path.join(logs, name + ".stat")).read()
    # The last (top or whole-design) block of the report.
    cells = [int(x) for x in re.findall(r"Number of cells:\s+(\d+)", text)]
    trans = [int(x) for x in re.findall(
        r"Estimated number of transistors:\s+(\d+)", text)]
    ffs = 0
    block = text.split("=== design hierarchy ===")[-1] if not flatten else text
    for m in re.finditer(r"\$_(?:S?DFF|DFFE|SDFFE|SDFFCE|ALDFF)\w*\s+(\d+)",
                         block):
        ffs += int(m.group(1))
    command = "yosys -p '%s'" % "; ".join(cmds[:-1] + ["stat -tech cmos"])
    return {"cells": cells[-1], "transistors": trans[-1], "flip_flops": ffs,
            "seconds": None if reused else round(secs, 1),
            "command": command.replace(RTL, "hw/rtl")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", default=",".join(UNITS))
    ap.add_argument("--out", default=os.path.join(HW, "synth", "area.json"))
    ap.add_argument("--logs", default="/tmp/bitmod-synth")
    ap.add_argument("--reuse", action="store_true",
                    help="take a unit's figures from an earlier run's "
                    "LOGS/<unit>.stat instead of running yosys again")
    ap.add_argument("--merge", action="store_true",
                    help="keep the other units of an existing --out")
    args = ap.parse_args()
    os.makedirs(args.logs, exist_ok=True)
    names = args.units.split(",")
    for n in names:
        if n not in UNITS:
            sys.exit("unknown unit '%s' (known: %s)" % (n, ", ".join(UNITS)))
    res = {}
    if args.merge and os.path.isfile(args.out):
        with open(args.out) as f:
            res = json.load(f)["units"]
    for n in names:
        res[n] = run_unit(n, args.logs, args.reuse)
        res[n]["description"] = UNITS[n][4]
        print("%-16s %8d cells %9d transistors %6d FFs  (%s)" % (
            n, res[n]["cells"], res[n]["transistors"], res[n]["flip_flops"],
            "reused" if res[n]["seconds"] is None else
            "%.0f s" % res[n]["seconds"]), flush=True)
    out = {"tool": subprocess.run(["yosys", "-V"], capture_output=True,
                                  text=True).stdout.strip(),
           "metric": "transistors of `stat -tech cmos` (generic cells)",
           "units": res}
    t = lambda n: res[n]["transistors"] if n in res else None
    if t("bitmod_pe") and t("fp16_mac_pe"):
        out["ratios"] = {
            "bitmod_pe / fp16_mac_pe": t("bitmod_pe") / t("fp16_mac_pe"),
            "bitmod_pe_acc62 / fp16_mac_pe":
                (t("bitmod_pe_acc62") or 0) / t("fp16_mac_pe"),
            "fp16_int8_pe / fp16_mac_pe":
                (t("fp16_int8_pe") or 0) / t("fp16_mac_pe"),
        }
        if t("term_encoder"):
            # A tile: 64 PEs, 8 columns x 4 encoder lanes, 8 column
            # accumulators.
            arr = 64 * t("bitmod_pe") + 8 * (t("colacc") or 0)
            out["ratios"]["encoders (32 lanes) / tile PE array"] = \
                32 * t("term_encoder") / arr
        if t("tile") and t("term_encoder") and t("colacc"):
            parts = (64 * t("bitmod_pe") + 8 * t("colacc") +
                     32 * t("term_encoder"))
            out["ratios"]["tile / (64 PEs + 8 colaccs + 32 encoder lanes)"] \
                = t("tile") / parts
            out["ratios"]["encoders (32 lanes) / tile"] = \
                32 * t("term_encoder") / t("tile")
        # The paper's FP16 PE is 1968.7 um2 (REFERENCE.md): scale by the
        # measured ratio for the accelerator description.
        out["pe_area_um2"] = 1968.7 * t("bitmod_pe") / t("fp16_mac_pe")
        out["pe_area_um2_basis"] = ("fp16 PE 1968.7 um2 (paper) x measured "
                                    "bitmod_pe / fp16_mac_pe transistor ratio")
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", args.out)
    if "pe_area_um2" in out:
        # An accelerator description fragment: `--accel` / loadAccelConfig.
        accel = os.path.join(os.path.dirname(args.out), "accel-rtl-area.json")
        with open(accel, "w") as f:
            json.dump({"pe_area_um2": round(out["pe_area_um2"], 1)}, f)
            f.write("\n")
        print("wrote", accel)


if __name__ == "__main__":
    main()
