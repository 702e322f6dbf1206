// fp32_add.v - IEEE binary32 addition, round to nearest even.
//
// Combinational. Subnormals in and out, overflow to infinity, x + (-x) = +0,
// (-0) + (-0) = -0; infinities and NaNs propagate as on x86 SSE (inf - inf
// gives the default NaN 0xffc00000, a NaN operand is returned quieted).
// Guard/round/sticky alignment of the smaller operand.
module fp32_add (
    input  wire [31:0] a,
    input  wire [31:0] b,
    output reg  [31:0] y
);
  reg        swap, sB, sS;
  reg [7:0]  eBf, eSf;
  reg [8:0]  eB, eS, e;
  reg [23:0] mB, mS;
  reg [8:0]  d;
  reg [26:0] mBx, mSx, full;
  reg        sticky;
  reg [27:0] sum;
  integer    lz, shl, i;
  reg        up;
  reg [30:0] res;

  always @* begin
    swap = a[30:0] < b[30:0];
    sB = swap ? b[31] : a[31];
    sS = swap ? a[31] : b[31];
    eBf = swap ? b[30:23] : a[30:23];
    eSf = swap ? a[30:23] : b[30:23];
    mB = {eBf != 8'd0, swap ? b[22:0] : a[22:0]};
    mS = {eSf != 8'd0, swap ? a[22:0] : b[22:0]};
    eB = (eBf == 8'd0) ? 9'd1 : {1'b0, eBf};
    eS = (eSf == 8'd0) ? 9'd1 : {1'b0, eSf};
    d = eB - eS;
    mBx = {mB, 3'b000};
    full = {mS, 3'b000};
    if (d >= 9'd27) begin
      mSx = {26'd0, mS != 24'd0};
    end else begin
      mSx = full >> d;
      sticky = 1'b0;
      for (i = 0; i < 27; i = i + 1)
        if (i < d && full[i])
          sticky = 1'b1;
      mSx[0] = mSx[0] | sticky;
    end
    e = eB;
    sticky = 1'b0;
    lz = 0;
    shl = 0;
    if (sB == sS) begin
      sum = {1'b0, mBx} + {1'b0, mSx};
      if (sum[27]) begin
        sum = {1'b0, sum[27:2], sum[1] | sum[0]};
        e = e + 9'd1;
      end
    end else begin
      sum = {1'b0, mBx} - {1'b0, mSx};
      lz = 27;
      for (i = 0; i < 27; i = i + 1)
        if (sum[i])
          lz = 26 - i;
      shl = (lz < e - 1) ? lz : e - 1;
      sum = sum << shl;
      e = e - shl[8:0];
    end
    up = sum[2] && (sum[1] || sum[0] || sum[3]);
    res = {(sum[26] ? e[7:0] : 8'd0), sum[25:3]} + {30'd0, up};
    if (a[30:23] == 8'hff && a[22:0] != 23'd0)
      y = a | 32'h00400000; // NaN operands propagate quieted (x86 order)
    else if (b[30:23] == 8'hff && b[22:0] != 23'd0)
      y = b | 32'h00400000;
    else if (eBf == 8'hff) begin
      // infinities; inf - inf is the x86 default NaN
      if (eSf == 8'hff && sB != sS)
        y = 32'hffc00000;
      else
        y = {sB, 8'hff, 23'd0};
    end else if (sum[26:0] == 27'd0)
      y = {(sB == sS) ? sB : 1'b0, 31'd0};
    else if (e >= 9'd255)
      y = {sB, 8'hff, 23'd0};
    else
      y = {sB, res};
  end
endmodule
