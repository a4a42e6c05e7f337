"""The lab spec (layer 1): what a lab is (model), how a lab file becomes one (load), and what
each role runs (roles), and the lab's Vagrantfile rendered from it (vagrantfile). Pure; nothing
here touches the machine."""
