"""Central training: decision records -> features -> Keras MLP -> kernel C (float and Q21.11)."""
