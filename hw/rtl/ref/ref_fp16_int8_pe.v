// ref_fp16_int8_pe.v - reference FP16 x INT8 PE (FIGNA-like, paper Fig. 10),
// written like bitmod_pe.v for the area comparison (hw/synth, docs/rtl.md):
// one multiply-accumulate per cycle, exact 11 x 8 signed product of the FP16
// mantissa (hidden bit, subnormals) and the INT8 weight, converted to FP32
// exactly and added into an FP32 accumulator (RNE, fp32_add.v).
module ref_fp16_int8_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        valid,
    input  wire        clear,
    input  wire [15:0] act,
    input  wire [7:0]  wgt,
    output reg  [31:0] acc
);
  wire [4:0]  ea = act[14:10];
  wire [10:0] ma = {ea != 5'd0, act[9:0]};
  wire [7:0]  mw = wgt[7] ? -wgt : wgt; // |w| <= 128
  wire [18:0] p = ma * mw;
  wire        s = act[15] ^ wgt[7];
  reg  [4:0]  lz;
  reg  [18:0] pn;
  reg  [8:0]  e32;
  reg  [31:0] prod;
  integer     i;
  always @* begin
    lz = 5'd19;
    for (i = 0; i < 19; i = i + 1)
      if (p[i])
        lz = 18 - i;
    pn = p << lz;
    // value exponent (18 - lz) + Ea - 25
    e32 = (18 - lz) + ((ea == 5'd0) ? 9'd1 : ea) - 9'd25 + 9'd127;
    prod = (p == 19'd0) ? {s, 31'd0} : {s, e32[7:0], pn[17:0], 5'b00000};
  end
  wire [31:0] sum;
  fp32_add u_add (.a(acc), .b(prod), .y(sum));
  always @(posedge clk) begin
    if (rst || clear)
      acc <= 32'd0;
    else if (valid)
      acc <= sum;
  end
endmodule
