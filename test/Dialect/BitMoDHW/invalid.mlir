// RUN: bitmod-opt %s -split-input-file -verify-diagnostics

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{violates the instruction encoding}}
    bitmod_hw.load_act dram_addr 0x0 buf_offset 0x8 rows 8 row_bytes 768 dram_stride 768 buf_pitch 768
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{activation buffer range [0x7ff00, 0x81f00) exceeds the 524288-byte activation buffer}}
    bitmod_hw.load_act dram_addr 0x0 buf_offset 0x7ff00 rows 8 row_bytes 768 dram_stride 768 buf_pitch 1024
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{weight buffer range [0x7f000, 0x81000) exceeds the 524288-byte weight buffer}}
    bitmod_hw.load_wgt dram_addr 0x0 buf_offset 0x7f000 bytes 8192
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{field 'bytes' must be non-negative, got -16}}
    bitmod_hw.load_wgt dram_addr 0x0 buf_offset 0x0 bytes -16
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{violates the instruction encoding: load.wgt: the load queue has no previous queue}}
    bitmod_hw.load_wgt dram_addr 0x0 buf_offset 0x0 bytes 16 [pop_prev]
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{violates the instruction encoding}}
    bitmod_hw.matmul act_offset 0x0 act_pitch 768 wgt_offset 0x0 out_offset 0x3000 out_pitch 160 m 2000 n 40 k_groups 3 out_format f32
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{violates the instruction encoding: matmul: field 'out_pitch' = 128 is smaller than an output row (160 bytes)}}
    bitmod_hw.matmul act_offset 0x0 act_pitch 768 wgt_offset 0x0 out_offset 0x3000 out_pitch 128 m 8 n 40 k_groups 3 out_format f32
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    bitmod_hw.config dtype int8 group_size 128 scale_bits 8 sv [0, 0, 0, 0] token_lanes 32 channel_lanes 32
    // expected-error @+1 {{activation buffer range [0x7ff00, 0x80200) exceeds the 524288-byte activation buffer}}
    bitmod_hw.matmul act_offset 0x7ff00 act_pitch 768 wgt_offset 0x0 out_offset 0x3000 out_pitch 160 m 1 n 40 k_groups 3 out_format f32
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{needs a preceding bitmod_hw.config}}
    bitmod_hw.matmul act_offset 0x0 act_pitch 768 wgt_offset 0x0 out_offset 0x3000 out_pitch 160 m 8 n 40 k_groups 3 out_format f32
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{lanes (8, 8) are not an arrangement of the accelerator (32, 32) or (16, 64)}}
    bitmod_hw.config dtype int8 group_size 128 scale_bits 8 sv [0, 0, 0, 0] token_lanes 8 channel_lanes 8
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{dtype/group (int4, 128) do not match the launch weights (int8, 128)}}
    bitmod_hw.config dtype int4 group_size 128 scale_bits 8 sv [0, 0, 0, 0] token_lanes 32 channel_lanes 32
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{special-value register file needs 4 entries, got 2}}
    bitmod_hw.config dtype int8 group_size 128 scale_bits 8 sv [0, 0] token_lanes 32 channel_lanes 32
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{must be the last instruction of the launch}}
    bitmod_hw.halt
    bitmod_hw.sync queue load
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{block must be [n0, n, g0, k_groups], got 3 entries}}
    bitmod_hw.load_wgt dram_addr 0x0 buf_offset 0x0 bytes 16 block [0, 40, 0]
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  // expected-error @+1 {{unbalanced tokens from the load queue to the compute queue: 1 pushed, 0 popped}}
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    bitmod_hw.load_wgt dram_addr 0x0 buf_offset 0x0 bytes 16 [push_next]
  }
  return %y : tensor<8x40xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x41xf32> {
  // expected-error @+1 {{result shape must be [8, 40]}}
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x41xf32> {
  }
  return %y : tensor<8x41xf32>
}

// -----

func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    // expected-error @+1 {{is not a bitmod_hw instruction}}
    %c = arith.constant 0 : i32
  }
  return %y : tensor<8x40xf32>
}

// -----

// expected-error @+1 {{invalid accelerator}}
func.func @bad_accel() attributes {bitmod_hw.accel = #bitmod_hw.accel<num_tiles = 3>} {
  return
}
