// bitmod_pe.v - the BitMoD processing element.
//
// Per cycle (step_valid): a 4-way dot product of one bit-serial term of 4
// weights (from the column's term encoders) with their 4 FP16 activations
// (broadcast along the PE row):
//   product j: mantissa M_j (11 bits, hidden bit; subnormals E = 1), exponent
//   p_j = E_j + exp_j, sign = act sign xor term sign; products with a zero
//   term or zero activation take no part. Alignment to P = max p_j keeping
//   GUARD_BITS guard bits, each shifted value rounded to nearest, ties to
//   even (round bit and sticky of the shifted-out bits). Adder tree: exact
//   sum S; the group accumulator (ACC_W-bit two's complement, LSB 2^-27)
//   adds S << (P - 1).
// grp_end: the accumulator (including this cycle's step) moves to the
// dequantization register and restarts at 0 (the next group overlaps the
// dequantization). Bit-serial dequantization: SCALE_BITS cycles of
// prod = 2 * prod + (dq_bit ? acc : 0), dq_bit being the group scale code
// MSB first (broadcast down the column); then out_prod holds acc * q exactly
// and out_valid pulses. The column accumulator rounds it to FP32.
// Bit-exact to bitmod::sim::groupPartialSum / dequantizeGroupSum.
module bitmod_pe #(
    parameter ACC_W = 96,
    parameter SCALE_BITS = 8,
    parameter GUARD_BITS = 3
) (
    input  wire                         clk,
    input  wire                         rst,
    input  wire                         step_valid,
    input  wire [4*6-1:0]               terms,  // lane j: {nz, neg, exp[3:0]}
    input  wire [4*16-1:0]              acts,   // lane j: FP16
    input  wire                         grp_end,
    input  wire                         dq_bit,
    output reg  signed [ACC_W-1:0]      acc,
    output reg  [ACC_W+SCALE_BITS-1:0]  out_prod,
    output reg                          out_valid
);
  localparam PW = ACC_W + SCALE_BITS;
  localparam VW = 11 + GUARD_BITS + 1; // signed aligned operand width

  // ---- products and alignment ------------------------------------------
  reg        part [0:3];
  reg [5:0]  pexp [0:3];
  reg signed [VW-1:0] val [0:3];
  reg signed [VW-1:0] aligned [0:3];
  reg [5:0]  P;
  reg [5:0]  sh;
  reg [4:0]  e;
  reg [10:0] man;
  reg signed [VW+16-1:0] wide;
  reg signed [VW-1:0] q;
  reg        rbit, sticky;
  reg signed [VW+2:0] S;
  reg signed [ACC_W-1:0] contrib, acc_next;
  integer j;

  always @* begin
    P = 6'd0;
    for (j = 0; j < 4; j = j + 1) begin
      e = acts[16*j+10 +: 5];
      man = (e == 5'd0) ? {1'b0, acts[16*j +: 10]} : {1'b1, acts[16*j +: 10]};
      part[j] = terms[6*j+5] && (man != 11'd0);
      pexp[j] = ((e == 5'd0) ? 6'd1 : {1'b0, e}) + {2'b00, terms[6*j +: 4]};
      val[j] = (terms[6*j+4] ^ acts[16*j+15])
                   ? -$signed({1'b0, man, {GUARD_BITS{1'b0}}})
                   : $signed({1'b0, man, {GUARD_BITS{1'b0}}});
      if (part[j] && pexp[j] > P)
        P = pexp[j];
    end
    S = 0;
    for (j = 0; j < 4; j = j + 1) begin
      sh = P - pexp[j];
      if (sh > 6'd16)
        sh = 6'd16; // |val| < 2^14: any larger shift rounds to 0 as well
      wide = $signed({val[j], 16'd0}) >>> sh;
      q = wide[VW+16-1:16];
      rbit = wide[15];
      sticky = |wide[14:0];
      // round to nearest, ties to even
      aligned[j] = q + ((rbit && (sticky || q[0])) ? 1 : 0);
      if (part[j])
        S = S + aligned[j];
    end
    contrib = {{(ACC_W - VW - 3){S[VW+2]}}, S};
    contrib = (P == 6'd0) ? {ACC_W{1'b0}} : (contrib <<< (P - 6'd1));
    acc_next = acc + (step_valid ? contrib : 0);
  end

  // ---- group accumulator and bit-serial dequantization ------------------
  reg signed [ACC_W-1:0] dq_acc;
  reg [PW-1:0] prod;
  reg [7:0]    dq_cnt;
  reg          dq_busy;
  reg [PW-1:0] prod_next;

  always @* begin
    prod_next = (prod << 1) + (dq_bit ? {{SCALE_BITS{dq_acc[ACC_W-1]}}, dq_acc}
                                      : {PW{1'b0}});
  end

  always @(posedge clk) begin
    if (rst) begin
      acc <= 0;
      dq_acc <= 0;
      prod <= 0;
      dq_cnt <= 0;
      dq_busy <= 1'b0;
      out_prod <= 0;
      out_valid <= 1'b0;
    end else begin
      out_valid <= 1'b0;
      acc <= acc_next;
      if (dq_busy) begin
        prod <= prod_next;
        dq_cnt <= dq_cnt + 8'd1;
        if (dq_cnt == SCALE_BITS - 1) begin
          dq_busy <= 1'b0;
          out_prod <= prod_next;
          out_valid <= 1'b1;
        end
      end
      // A new group may end in the cycle the previous dequantization ends.
      if (grp_end) begin
        dq_acc <= acc_next;
        acc <= 0;
        dq_busy <= 1'b1;
        dq_cnt <= 0;
        prod <= 0;
      end
    end
  end
endmodule
