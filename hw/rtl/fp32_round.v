// fp32_round.v - round v * 2^shift to IEEE binary32, nearest-even.
//
// v: W-bit two's complement integer, shift: SW-bit signed. One rounding,
// FP32 subnormals and overflow to infinity handled; v == 0 gives +0, a
// nonzero value that rounds to zero keeps its sign. Combinational. Used by
// the column accumulator (dequantized group sums) and the channel-scale
// multiplier. Same contract as roundScaled() in lib/Sim/Datapath.cpp.
module fp32_round #(
    parameter W = 104,
    parameter SW = 12
) (
    input  wire [W-1:0]          v,
    input  wire signed [SW-1:0]  shift,
    output reg  [31:0]           f
);
  reg              neg;
  reg [W-1:0]      mag;
  reg [W:0]        magx;
  integer          msb, i, keep, drop;
  reg [W:0]        q;
  reg              rbit, sticky;
  reg [8:0]        bexp;

  always @* begin
    neg = v[W-1];
    mag = neg ? (~v + 1'b1) : v;
    msb = 0;
    for (i = 0; i < W; i = i + 1)
      if (mag[i])
        msb = i;
    // LSB kept (absolute exponent): 24 significant bits, not below 2^-149.
    keep = msb + shift - 23;
    if (keep < -149)
      keep = -149;
    drop = keep - shift; // bit of mag at the kept LSB
    magx = {1'b0, mag};
    rbit = 1'b0;
    sticky = 1'b0;
    if (drop > 0) begin
      if (drop > W + 1)
        drop = W + 1;
      q = magx >> drop;
      rbit = magx[drop - 1];
      sticky = 1'b0;
      for (i = 0; i < W; i = i + 1)
        if (i < drop - 1 && magx[i])
          sticky = 1'b1;
      q = q + ((rbit && (sticky || q[0])) ? 1'b1 : 1'b0);
    end else begin
      q = magx << (-drop);
    end
    // q * 2^keep, q <= 2^24. Pack: the exponent field counts from keep.
    if (q[24]) begin
      q = q >> 1;
      keep = keep + 1;
    end
    if (q[23])
      bexp = keep + 150;
    else
      bexp = 9'd0; // subnormal (keep == -149) or zero
    if (mag == 0)
      f = 32'd0;
    else if (q[23] && (keep + 150) >= 255)
      f = {neg, 8'hff, 23'd0};
    else
      f = {neg, bexp[7:0], q[22:0]};
  end
endmodule
