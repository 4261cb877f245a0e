// Tests for Formats live here.
