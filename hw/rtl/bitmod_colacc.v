// bitmod_colacc.v - the column accumulator of one tile column.
//
// Shared by the ROWS PEs of the column (one output channel, ROWS tokens).
// When the column's dequantized group products arrive (in_valid), it drains
// them one PE row per cycle: FP32 rounding (RNE, once) of prod * 2^shift,
// then FP32 addition (RNE) into that row's running sum, groups in K order.
// On the pass's last group each new sum goes through the channel-scale
// multiplier (FP32, RNE) one cycle later; `done` pulses with the last row.
// Bit-exact to steps 4-5 of docs/simulator.md (column accumulator, channel
// scale; FP32 output).
module bitmod_colacc #(
    parameter ROWS = 8,
    parameter PW = 104
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire                 clear,      // start of a pass: sums = +0
    input  wire                 in_valid,   // products of one group ready
    input  wire [ROWS*PW-1:0]   in_prod,    // held for >= ROWS cycles
    input  wire signed [11:0]   shift,      // -27 (+ X for MX), held
    input  wire                 zero_scale, // MX X = -128
    input  wire                 last,       // the pass's last group, held
    input  wire [31:0]          chscale,
    output reg  [ROWS*32-1:0]   y,
    output reg                  done
);
  localparam RW = (ROWS > 1) ? $clog2(ROWS) : 1;
  reg [31:0]   sums [0:ROWS-1];
  reg          busy;
  reg [RW-1:0] r, row;
  reg [31:0]   sum_q;
  reg [RW-1:0] mrow;
  reg          mvalid;
  wire [31:0]  rounded, added, scaled;
  integer      i;

  always @* row = in_valid ? {RW{1'b0}} : r;

  fp32_round #(.W(PW), .SW(12)) u_round (
      .v(in_prod[row*PW +: PW]), .shift(shift), .f(rounded));
  fp32_add u_add (.a(sums[row]), .b(zero_scale ? 32'd0 : rounded), .y(added));
  fp32_mul u_mul (.a(sum_q), .b(chscale), .y(scaled));

  always @(posedge clk) begin
    if (rst || clear) begin
      for (i = 0; i < ROWS; i = i + 1)
        sums[i] <= 32'd0;
      busy <= 1'b0;
      r <= 0;
      mvalid <= 1'b0;
      done <= 1'b0;
      if (rst)
        y <= 0;
    end else begin
      done <= 1'b0;
      mvalid <= 1'b0;
      if (in_valid || busy) begin
        sums[row] <= added;
        busy <= (row != ROWS - 1);
        r <= row + 1'b1;
        if (last) begin
          sum_q <= added;
          mrow <= row;
          mvalid <= 1'b1;
        end
      end
      if (mvalid) begin
        y[mrow*32 +: 32] <= scaled;
        if (mrow == ROWS - 1)
          done <= 1'b1;
      end
    end
  end
endmodule
