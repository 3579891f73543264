// Anchor source: verilate() adds the generated model to this library.
