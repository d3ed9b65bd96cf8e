"""The transfer-aware multimodal network: sources, build, model, store, validation."""
