// bitmod_pe_unit.v - one PE with its four term encoders, the column's
// bit-serial scale register and the FP32 rounding of the column accumulator:
// the unit the PE-level co-simulation (hw/cosim) drives. The tile
// (bitmod_tile.v) builds the same pieces, shared per column.
module bitmod_pe_unit #(
    parameter ACC_W = 96,
    parameter SCALE_BITS = 8
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [4:0]              dtype,
    input  wire [31:0]             codes,      // 4 x 8-bit codes
    input  wire [63:0]             acts,       // 4 x FP16
    input  wire [1:0]              selector,
    input  wire [7:0]              zero_point,
    input  wire [23:0]             sv_file,
    input  wire [1:0]              term_idx,
    input  wire                    step_valid,
    input  wire                    grp_end,
    input  wire [SCALE_BITS-1:0]   scale_code, // INT group scale (non-MX)
    input  wire [7:0]              shared_exp, // MX shared exponent X (int8)
    output wire signed [ACC_W-1:0] acc,
    output wire                    out_valid,
    output wire [ACC_W+SCALE_BITS-1:0] out_prod,
    output wire [31:0]             out_fp32
);
`include "bitmod_dtype.vh"
  wire [23:0] terms;
  genvar l;
  generate
    for (l = 0; l < 4; l = l + 1) begin : enc
      bitmod_term_encoder u_enc (
          .dtype(dtype), .code(codes[8*l +: 8]), .selector(selector),
          .zero_point(zero_point), .sv_file(sv_file), .term_idx(term_idx),
          .term_nz(terms[6*l+5]), .term_neg(terms[6*l+4]),
          .term_exp(terms[6*l +: 4]));
    end
  endgenerate

  // Column scale register: loaded at the group end, shifted MSB first.
  reg [SCALE_BITS-1:0] scale_sr;
  reg [7:0]            x_q;
  always @(posedge clk) begin
    if (rst) begin
      scale_sr <= 0;
      x_q <= 0;
    end else if (grp_end) begin
      scale_sr <= dt_mx(dtype) ? {{(SCALE_BITS-1){1'b0}}, 1'b1} : scale_code;
      x_q <= shared_exp;
    end else begin
      scale_sr <= scale_sr << 1;
    end
  end

  bitmod_pe #(.ACC_W(ACC_W), .SCALE_BITS(SCALE_BITS)) u_pe (
      .clk(clk), .rst(rst), .step_valid(step_valid), .terms(terms),
      .acts(acts), .grp_end(grp_end), .dq_bit(scale_sr[SCALE_BITS-1]),
      .acc(acc), .out_prod(out_prod), .out_valid(out_valid));

  wire signed [11:0] shift = (dt_mx(dtype) ? {{4{x_q[7]}}, x_q} : 12'sd0) - 12'sd27;
  wire [31:0] rounded;
  fp32_round #(.W(ACC_W+SCALE_BITS), .SW(12)) u_round (
      .v(out_prod), .shift(shift), .f(rounded));
  assign out_fp32 = (dt_mx(dtype) && x_q == 8'h80) ? 32'd0 : rounded;
endmodule
