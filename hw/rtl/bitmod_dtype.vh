// bitmod_dtype.vh - data type codes and per-type properties of the PE.
//
// Included inside a module body. The 5-bit type code is the value of
// bitmod::quant::DataType (include/bitmod/Quant/DataType.h); fp16 (27) is not
// a PE type. Tables follow lib/Sim/Datapath.cpp (getTermsPerWeight) and
// lib/Quant/DataType.cpp (code widths, families).

localparam [4:0] DT_INT3 = 5'd0, DT_INT4 = 5'd1, DT_INT5 = 5'd2,
                 DT_INT6 = 5'd3, DT_INT8 = 5'd4, DT_INT3_ASYM = 5'd5,
                 DT_INT4_ASYM = 5'd6, DT_FP3 = 5'd7, DT_FP4 = 5'd8,
                 DT_FP3_ER_POS = 5'd9, DT_FP3_EA_NEG = 5'd12,
                 DT_FP4_ER_POS = 5'd13, DT_FP4_EA_NEG = 5'd16,
                 DT_BITMOD3 = 5'd17, DT_BITMOD4 = 5'd18, DT_FLINT4 = 5'd19,
                 DT_MXFP3 = 5'd20, DT_MXFP4 = 5'd21, DT_MXINT4 = 5'd22,
                 DT_FP5_E2M2 = 5'd23, DT_FP5_E3M1 = 5'd24,
                 DT_FP6_E2M3 = 5'd25, DT_FP6_E3M2 = 5'd26;

// Bits per stored code.
function automatic [3:0] dt_bits(input [4:0] dt);
  case (dt)
    DT_INT3, DT_INT3_ASYM: dt_bits = 4'd3;
    DT_INT4, DT_INT4_ASYM, DT_FLINT4, DT_MXINT4: dt_bits = 4'd4;
    DT_INT5, DT_FP5_E2M2, DT_FP5_E3M1: dt_bits = 4'd5;
    DT_INT6, DT_FP6_E2M3, DT_FP6_E3M2: dt_bits = 4'd6;
    DT_INT8: dt_bits = 4'd8;
    DT_FP4, DT_BITMOD4, DT_MXFP4: dt_bits = 4'd4;
    default: dt_bits = (dt >= DT_FP4_ER_POS && dt <= DT_FP4_EA_NEG) ? 4'd4
                                                                     : 4'd3;
  endcase
endfunction

// Bit-serial terms per weight (PE cycles per 4-weight step).
function automatic [2:0] dt_terms(input [4:0] dt);
  case (dt)
    DT_INT8, DT_FP6_E2M3: dt_terms = 3'd4;
    DT_INT6, DT_INT5, DT_INT4_ASYM, DT_FP5_E2M2, DT_FP6_E3M2: dt_terms = 3'd3;
    default: dt_terms = 3'd2;
  endcase
endfunction

// Radix-4 Booth recoding (two's complement integers, mxint4, asym).
function automatic dt_booth(input [4:0] dt);
  dt_booth = (dt <= DT_INT4_ASYM) || (dt == DT_MXINT4);
endfunction

function automatic dt_asym(input [4:0] dt);
  dt_asym = (dt == DT_INT3_ASYM) || (dt == DT_INT4_ASYM);
endfunction

// MX types: power-of-two shared group exponent instead of an INT scale.
function automatic dt_mx(input [4:0] dt);
  dt_mx = (dt >= DT_MXFP3) && (dt <= DT_MXINT4);
endfunction
