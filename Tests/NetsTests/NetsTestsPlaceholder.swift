// Tests for Nets live here.
