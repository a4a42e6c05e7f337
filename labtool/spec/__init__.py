"""The lab spec (layer 1): what a lab is (model), how a lab file becomes one (load), and what
each role runs (roles). Pure data; nothing here touches the machine."""
