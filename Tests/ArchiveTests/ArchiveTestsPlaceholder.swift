// Tests for Archive live here.
