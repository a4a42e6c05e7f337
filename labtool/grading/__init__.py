"""The instructor's side (layer 8): lint the configs, collect a submission, grade a class."""
