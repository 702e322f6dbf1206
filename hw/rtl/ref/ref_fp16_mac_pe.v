// ref_fp16_mac_pe.v - reference FP16 x FP16 MAC PE (the baseline
// accelerator's PE), written like bitmod_pe.v for the area comparison
// (hw/synth, docs/rtl.md): one multiply-accumulate per cycle, exact 11 x 11
// mantissa product (FP16 inputs with hidden bit, subnormals), converted to
// FP32 exactly and added into an FP32 accumulator (RNE, fp32_add.v).
module ref_fp16_mac_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        valid,
    input  wire        clear,
    input  wire [15:0] act,
    input  wire [15:0] wgt,
    output reg  [31:0] acc
);
  wire [4:0]  ea = act[14:10], ew = wgt[14:10];
  wire [10:0] ma = {ea != 5'd0, act[9:0]};
  wire [10:0] mw = {ew != 5'd0, wgt[9:0]};
  wire [21:0] p = ma * mw;
  wire        s = act[15] ^ wgt[15];
  // p * 2^(Ea + Ew - 50) with E = max(e, 1): normalise into FP32 (exact).
  reg  [4:0]  lz;
  reg  [21:0] pn;
  reg  [8:0]  e32;
  reg  [31:0] prod;
  integer     i;
  always @* begin
    lz = 5'd22;
    for (i = 0; i < 22; i = i + 1)
      if (p[i])
        lz = 21 - i;
    pn = p << lz;
    // leading one at bit 21 - lz: value exponent (21 - lz) + Ea + Ew - 50
    e32 = (21 - lz) + ((ea == 5'd0) ? 9'd1 : ea) + ((ew == 5'd0) ? 9'd1 : ew)
          - 9'd50 + 9'd127;
    prod = (p == 22'd0) ? {s, 31'd0} : {s, e32[7:0], pn[20:0], 2'b00};
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
