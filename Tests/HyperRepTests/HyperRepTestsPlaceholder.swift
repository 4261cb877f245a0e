// Tests for HyperRep live here.
