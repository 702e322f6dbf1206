// bitmod_term_encoder.v - bit-serial term encoder of one weight lane.
//
// Emits term `term_idx` of one weight code as {nz, neg, exp}: the term is
// (nz ? (neg ? -1 : 1) * 2^exp : 0). Combinational; the tile registers its
// output (the decoder stage of the pipeline fill).
//  * Booth (int3..int8, mxint4; int3_asym/int4_asym after v = code - zp):
//    digit i = -2 b[2i+1] + b[2i] + b[2i-1], significance 4^i.
//  * Sign-magnitude (fp3/fp4 families, flint4, fp5/fp6 minifloats): the
//    magnitude as an unsigned fixed-point integer (DataType.h scaling); the
//    negative-zero code of the special-value types reads the SV register
//    file (bitmod3/4: entry = group selector; fixed extensions: their own
//    entry); terms by repeated leading-one detection, highest one first.
// Matches bitmod::sim::TermDecoder (lib/Sim/Datapath.cpp) for every type.
module bitmod_term_encoder (
    input  wire [4:0]  dtype,
    input  wire [7:0]  code,
    input  wire [1:0]  selector,   // bitmod3/bitmod4 SV selector
    input  wire [7:0]  zero_point, // asym types
    input  wire [23:0] sv_file,    // 4 x 6-bit signed SV registers, entry 0 low
    input  wire [1:0]  term_idx,
    output reg         term_nz,
    output reg         term_neg,
    output reg  [3:0]  term_exp
);
`include "bitmod_dtype.vh"

  reg [3:0] bits;
  reg [7:0] c;
  reg [8:0] v;        // Booth operand, two's complement
  reg       b_hi, b_mid, b_lo;
  reg       sgn;
  reg [8:0] mag;
  reg [8:0] m;
  reg [2:0] mc;       // magnitude field of 3-/4-bit codes
  reg [2:0] man;
  reg [2:0] ex;
  reg [1:0] entry;
  reg signed [5:0] svv;
  reg       is_sv, found;
  reg [3:0] pos;
  integer   i, k;

  always @* begin
    bits = dt_bits(dtype);
    c = code & ((8'd1 << bits) - 8'd1);
    term_nz = 1'b0;
    term_neg = 1'b0;
    term_exp = 4'd0;
    v = 9'd0; b_hi = 1'b0; b_mid = 1'b0; b_lo = 1'b0;
    sgn = 1'b0; mag = 9'd0; m = 9'd0; mc = 3'd0; man = 3'd0; ex = 3'd0;
    entry = 2'd0; svv = 6'sd0; is_sv = 1'b0; found = 1'b0; pos = 4'd0;
    if (dt_booth(dtype)) begin
      if (dt_asym(dtype))
        v = {1'b0, c} - {1'b0, zero_point & ((8'd1 << bits) - 8'd1)};
      else begin
        // sign extend the `bits`-bit code
        v = {1'b0, c};
        if (c[bits - 1])
          v = v - (9'd1 << bits);
      end
      b_hi = v[{term_idx, 1'b1}];
      b_mid = v[{term_idx, 1'b0}];
      b_lo = (term_idx == 2'd0) ? 1'b0 : v[{term_idx, 1'b0} - 4'd1];
      term_nz = !((b_hi == b_mid) && (b_mid == b_lo));
      term_neg = b_hi && !(b_mid && b_lo);
      term_exp = {1'b0, term_idx, 1'b0} +
                 (((b_mid == b_lo) && (b_hi != b_mid)) ? 4'd1 : 4'd0);
    end else begin
      sgn = c[bits - 1];
      case (dtype)
        DT_FP5_E2M2: begin man = {1'b0, c[1:0]}; ex = {1'b0, c[3:2]};
          mag = (ex == 3'd0) ? {7'd0, c[1:0]}
                             : ({6'd0, 1'b1, c[1:0]} << (ex - 3'd1)); end
        DT_FP5_E3M1: begin ex = c[3:1];
          mag = (ex == 3'd0) ? {8'd0, c[0]}
                             : ({7'd0, 1'b1, c[0]} << (ex - 3'd1)); end
        DT_FP6_E2M3: begin ex = {1'b0, c[4:3]};
          mag = (ex == 3'd0) ? {6'd0, c[2:0]}
                             : ({5'd0, 1'b1, c[2:0]} << (ex - 3'd1)); end
        DT_FP6_E3M2: begin ex = c[4:2];
          mag = (ex == 3'd0) ? {7'd0, c[1:0]}
                             : ({6'd0, 1'b1, c[1:0]} << (ex - 3'd1)); end
        default: begin
          if (bits == 4'd4) begin
            mc = c[2:0];
            case (mc)
              3'd0: mag = 9'd0;  3'd1: mag = 9'd1;  3'd2: mag = 9'd2;
              3'd3: mag = 9'd3;  3'd4: mag = 9'd4;  3'd5: mag = 9'd6;
              3'd6: mag = 9'd8;
              default: mag = (dtype == DT_FLINT4) ? 9'd16 : 9'd12;
            endcase
          end else begin
            mc = {1'b0, c[1:0]};
            case (mc[1:0])
              2'd0: mag = 9'd0; 2'd1: mag = 9'd1; 2'd2: mag = 9'd2;
              default: mag = 9'd4;
            endcase
          end
          // Special values: negative zero of the SV types.
          if (dtype == DT_BITMOD3 || dtype == DT_BITMOD4) begin
            is_sv = 1'b1; entry = selector;
          end else if (dtype >= DT_FP3_ER_POS && dtype <= DT_FP3_EA_NEG) begin
            is_sv = 1'b1; entry = dtype[1:0] - 2'd1; // 9..12 -> 0..3
          end else if (dtype >= DT_FP4_ER_POS && dtype <= DT_FP4_EA_NEG) begin
            is_sv = 1'b1; entry = dtype[1:0] - 2'd1; // 13..16 -> 0..3
          end
          if (is_sv && sgn && mag == 9'd0) begin
            svv = sv_file[6 * entry +: 6];
            sgn = svv[5];
            mag = {3'd0, svv[5] ? -svv : svv};
          end
        end
      endcase
      // Repeated leading-one detection: drop the `term_idx` highest ones.
      m = mag;
      for (k = 0; k < 4; k = k + 1) begin
        found = 1'b0;
        pos = 4'd0;
        for (i = 8; i >= 0; i = i - 1)
          if (!found && m[i]) begin
            found = 1'b1;
            pos = i[3:0];
          end
        if (k == term_idx) begin
          term_nz = found;
          term_neg = found & sgn;
          term_exp = found ? pos : 4'd0;
        end
        if (found)
          m[pos] = 1'b0;
      end
    end
  end
endmodule
