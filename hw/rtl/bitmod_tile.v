// bitmod_tile.v - one ROWS x COLS output-stationary BitMoD tile.
//
// PE row r holds token r (its 4 activations per cycle are broadcast along
// the row); PE column c holds output channel c (the column's 4 term
// encoders decode the weights once and broadcast the terms down the
// column). One pass computes y[r][c] = chscale[c] * sum over groups of
// FP32(dequant(group sum)) for K = num_groups * group_size.
//
// Schedule (cycles counted from the `start` edge; docs/rtl.md):
//   fill   1 cycle: operand read + term encoding, registered (decoder stage)
//   group  group_cycles = max(ceil(G/4) * terms, SCALE_BITS, ROWS) per group:
//          the first ceil(G/4) * terms cycles issue one term of 4 weights,
//          then the slot idles; at the slot end every PE hands its group sum
//          to the bit-serial dequantizer and starts the next group.
//   drain  SCALE_BITS (last dequantization) + ROWS (column accumulator, one
//          row per cycle) + 1 (channel scale) cycles.
// so a pass takes 1 + num_groups * group_cycles + SCALE_BITS + ROWS + 1
// cycles, the timing model's fill + passCycles + drain for one tile
// (lib/Sim/CostModel.cpp). The operand buffers are outside: in the cycle
// rd_valid is high the tile reads group rd_group, 4-weight step rd_step
// (rd_act: 4 activations per row; rd_code: 4 codes per column; the per
// group, per column selector/zero point/scale/shared exponent).
module bitmod_tile #(
    parameter ROWS = 8,
    parameter COLS = 8,
    parameter ACC_W = 96,
    parameter SCALE_BITS = 8,
    parameter GW = 16        // group size / group count width
) (
    input  wire                      clk,
    input  wire                      rst,
    input  wire                      start,
    input  wire [4:0]                cfg_dtype,
    input  wire [GW-1:0]             cfg_group_size,
    input  wire [GW-1:0]             cfg_num_groups,
    input  wire [23:0]               cfg_sv_file,
    input  wire [COLS*32-1:0]        chscale,
    output reg                       rd_valid,
    output reg  [GW-1:0]             rd_group,
    output reg  [GW-1:0]             rd_step,
    input  wire [ROWS*64-1:0]        rd_act,
    input  wire [COLS*32-1:0]        rd_code,
    input  wire [COLS*2-1:0]         rd_sel,
    input  wire [COLS*8-1:0]         rd_zp,
    input  wire [COLS*SCALE_BITS-1:0] rd_scale,
    input  wire [COLS*8-1:0]         rd_xexp,
    output wire                      grp_handoff, // a group slot ended
    output wire [ROWS*COLS*32-1:0]   y,           // y[(r*COLS + c)*32 +: 32]
    output wire                      done
);
`include "bitmod_dtype.vh"
  localparam PW = ACC_W + SCALE_BITS;
  localparam CW = GW + 4;

  // ---- controller ---------------------------------------------------------
  reg          running;
  reg [4:0]    dtype;
  reg [2:0]    nterms;
  reg [GW-1:0] gsize, ngroups;
  reg [CW-1:0] dot_cycles, grp_cycles, slot;
  reg [1:0]    term;
  reg [CW-1:0] dot_c;

  always @* begin
    dot_c = ((cfg_group_size + 3) >> 2) * dt_terms(cfg_dtype);
  end

  wire issue = running && (slot < dot_cycles);
  wire slot_end = running && (slot == grp_cycles - 1'b1);
  wire last_group = (rd_group == ngroups - 1'b1);

  always @(posedge clk) begin
    if (rst) begin
      running <= 1'b0;
      slot <= 0;
      term <= 0;
      rd_group <= 0;
      rd_step <= 0;
    end else if (start) begin
      running <= 1'b1;
      dtype <= cfg_dtype;
      nterms <= dt_terms(cfg_dtype);
      gsize <= cfg_group_size;
      ngroups <= cfg_num_groups;
      dot_cycles <= dot_c;
      grp_cycles <= (dot_c > SCALE_BITS && dot_c > ROWS) ? dot_c
                    : (SCALE_BITS > ROWS ? SCALE_BITS : ROWS);
      slot <= 0;
      term <= 0;
      rd_group <= 0;
      rd_step <= 0;
    end else if (running) begin
      if (slot_end) begin
        slot <= 0;
        term <= 0;
        rd_step <= 0;
        rd_group <= rd_group + 1'b1;
        if (last_group)
          running <= 1'b0;
      end else begin
        slot <= slot + 1'b1;
        if (issue) begin
          if (term == nterms - 1'b1) begin
            term <= 0;
            rd_step <= rd_step + 1'b1;
          end else begin
            term <= term + 1'b1;
          end
        end
      end
    end
  end
  always @* rd_valid = issue;

  // ---- decoder stage: term encoders per column, activations per row ------
  reg [COLS*24-1:0]       terms_q;
  reg [ROWS*64-1:0]       acts_q;
  reg                     step_q, end_q, last_q;
  reg [COLS*SCALE_BITS-1:0] scale_q;
  reg [COLS*8-1:0]        xexp_q;
  wire [COLS*24-1:0]      terms_d;
  reg [63:0]              lane_mask;
  integer                 jj;

  genvar r, c, l;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : col_enc
      for (l = 0; l < 4; l = l + 1) begin : lane
        bitmod_term_encoder u_enc (
            .dtype(dtype), .code(rd_code[c*32 + 8*l +: 8]),
            .selector(rd_sel[2*c +: 2]), .zero_point(rd_zp[8*c +: 8]),
            .sv_file(cfg_sv_file), .term_idx(term),
            .term_nz(terms_d[c*24 + 6*l + 5]),
            .term_neg(terms_d[c*24 + 6*l + 4]),
            .term_exp(terms_d[c*24 + 6*l +: 4]));
      end
    end
  endgenerate

  // Lanes past the group size carry no activation (zero padding).
  always @* begin
    for (jj = 0; jj < 4; jj = jj + 1)
      lane_mask[16*jj +: 16] = ({rd_step, 2'b00} + jj < gsize) ? 16'hffff
                                                                : 16'h0000;
  end

  always @(posedge clk) begin
    if (rst) begin
      step_q <= 1'b0;
      end_q <= 1'b0;
      last_q <= 1'b0;
    end else begin
      step_q <= issue;
      end_q <= slot_end;
      if (issue) begin
        terms_q <= terms_d;
        for (jj = 0; jj < ROWS; jj = jj + 1)
          acts_q[64*jj +: 64] <= rd_act[64*jj +: 64] & lane_mask;
      end
      if (slot_end) begin
        last_q <= last_group;
        scale_q <= rd_scale;
        xexp_q <= rd_xexp;
      end
    end
  end
  assign grp_handoff = end_q;

  // ---- dequantization sequencer (shared): scale registers per column -----
  reg [SCALE_BITS-1:0] scale_sr [0:COLS-1];
  reg [COLS*8-1:0]     xexp_1, xexp_2;
  reg                  last_1, last_2;
  reg [7:0]            dq_cnt;
  reg                  dq_busy;
  integer              cc;
  always @(posedge clk) begin
    if (rst) begin
      dq_busy <= 1'b0;
      dq_cnt <= 0;
    end else begin
      for (cc = 0; cc < COLS; cc = cc + 1)
        scale_sr[cc] <= scale_sr[cc] << 1;
      if (dq_busy) begin
        dq_cnt <= dq_cnt + 8'd1;
        if (dq_cnt == SCALE_BITS - 1) begin
          dq_busy <= 1'b0;
          xexp_2 <= xexp_1;
          last_2 <= last_1;
        end
      end
      if (end_q) begin
        for (cc = 0; cc < COLS; cc = cc + 1)
          scale_sr[cc] <= dt_mx(dtype) ? {{(SCALE_BITS-1){1'b0}}, 1'b1}
                                       : scale_q[cc*SCALE_BITS +: SCALE_BITS];
        xexp_1 <= xexp_q;
        last_1 <= last_q;
        dq_busy <= 1'b1;
        dq_cnt <= 0;
      end
    end
  end

  // ---- PE array and column accumulators ----------------------------------
  wire [COLS-1:0] col_done;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : col
      wire [ROWS*PW-1:0] prods;
      wire [ROWS-1:0]    valids;
      wire [ROWS*32-1:0] ycol;
      for (r = 0; r < ROWS; r = r + 1) begin : pe
        wire signed [ACC_W-1:0] acc_unused;
        bitmod_pe #(.ACC_W(ACC_W), .SCALE_BITS(SCALE_BITS)) u_pe (
            .clk(clk), .rst(rst), .step_valid(step_q),
            .terms(terms_q[c*24 +: 24]), .acts(acts_q[64*r +: 64]),
            .grp_end(end_q), .dq_bit(scale_sr[c][SCALE_BITS-1]),
            .acc(acc_unused), .out_prod(prods[r*PW +: PW]),
            .out_valid(valids[r]));
        assign y[(r*COLS + c)*32 +: 32] = ycol[r*32 +: 32];
      end
      wire [7:0] x = xexp_2[8*c +: 8];
      wire signed [11:0] shift = (dt_mx(dtype) ? {{4{x[7]}}, x} : 12'sd0)
                                 - 12'sd27;
      bitmod_colacc #(.ROWS(ROWS), .PW(PW)) u_colacc (
          .clk(clk), .rst(rst), .clear(start), .in_valid(valids[0]),
          .in_prod(prods), .shift(shift),
          .zero_scale(dt_mx(dtype) && x == 8'h80), .last(last_2),
          .chscale(chscale[32*c +: 32]), .y(ycol), .done(col_done[c]));
    end
  endgenerate
  assign done = col_done[0];
endmodule
