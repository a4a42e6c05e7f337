"""A student's work read in: archives unpacked safely (`unpack`, `archives`), the files a lab
is made of (`configset`), the submission's own plan of nodes and addresses (`plan*`), its
answer sheet (`sheet*`), and a running lab written as a submission (`collect`)."""
