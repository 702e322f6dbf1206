// fp32_mul.v - IEEE binary32 multiplication, round to nearest even (the
// channel scale of the column accumulator). Combinational: the exact 48-bit
// mantissa product is rounded once by fp32_round (subnormals, overflow).
module fp32_mul (
    input  wire [31:0] a,
    input  wire [31:0] b,
    output wire [31:0] y
);
  wire        s = a[31] ^ b[31];
  wire [23:0] ma = {a[30:23] != 8'd0, a[22:0]};
  wire [23:0] mb = {b[30:23] != 8'd0, b[22:0]};
  wire [11:0] ea = (a[30:23] == 8'd0) ? 12'd1 : {4'd0, a[30:23]};
  wire [11:0] eb = (b[30:23] == 8'd0) ? 12'd1 : {4'd0, b[30:23]};
  wire [47:0] p = ma * mb;
  wire [48:0] v = s ? -{1'b0, p} : {1'b0, p};
  // value = p * 2^(ea - 150) * 2^(eb - 150)
  wire signed [11:0] shift = $signed(ea + eb) - 12'sd300;
  wire [31:0] r;
  fp32_round #(.W(49), .SW(12)) u_round (.v(v), .shift(shift), .f(r));
  wire a_inf = a[30:23] == 8'hff, b_inf = b[30:23] == 8'hff;
  wire a_nan = a_inf && a[22:0] != 23'd0, b_nan = b_inf && b[22:0] != 23'd0;
  wire a_zero = a[30:0] == 31'd0, b_zero = b[30:0] == 31'd0;
  // NaNs and inf * 0 as on x86 SSE: a NaN operand quieted, else the default
  // NaN 0xffc00000.
  assign y = a_nan ? (a | 32'h00400000)
           : b_nan ? (b | 32'h00400000)
           : ((a_inf && b_zero) || (b_inf && a_zero)) ? 32'hffc00000
           : (a_inf || b_inf) ? {s, 8'hff, 23'd0}
           : (p == 48'd0)     ? {s, 31'd0}
                              : r;
endmodule
