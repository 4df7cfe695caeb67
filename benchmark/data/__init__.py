"""Reading what tasks point at: image decoding, safe paths, fingerprints, synthetic samples."""
