"""`labtool serve` (issue 23, in the making): the lab for a whole class in the browser, each
student in a confined lab of their own. Its rooms so far:
- `roster.py`: the class, read from Moodle's, Canvas's or a plain CSV export;
- `codes.py`: each student's sign-in code, made and checked (stored hashed);
- `store.py`: the server's state on disk, in SQLite (WAL, one transaction per change): students,
  sessions, the instructor's key, and what survives a `kill -9` of the server;
- `listen.py`: where it listens (127.0.0.1 by default; elsewhere only with TLS, a certificate
  given or made with `--self-signed`);
- `prepare.py`: the state folder (`codes.csv` to hand out, `instructor.url`);
- `placement.py`: where a student's lab runs, behind one interface (this machine today).
The command itself, the pages, the labs and the terminals come next.
"""
