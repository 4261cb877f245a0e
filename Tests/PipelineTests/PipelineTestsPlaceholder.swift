// Tests for Pipeline live here.
