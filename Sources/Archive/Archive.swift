// Archive: libarchive wrapper (tar.zst, tar.gz, zip), deterministic writing, safe extraction.
import CArchive
