"""Grading by running (`labtool grade --run`): each submission's own cluster built as a
confined throwaway lab (`lab`, `confine`), several at once (`labs`), broken and measured
(`observe`, `probes`), and what it did (`behaviour`)."""
