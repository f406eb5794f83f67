"""The sandbox models: tokenizers, n-grams, provenance, sampling, corpora and probes."""
