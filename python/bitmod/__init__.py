"""Python helpers of bitmod-mlir (numpy reference quantizer, ...)."""
