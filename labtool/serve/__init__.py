"""`labtool serve` (issue 23, in the making): the lab for a whole class in the browser, each
student in a confined lab of their own. Its rooms:
- `roster.py`: the class, read from Moodle's, Canvas's or a plain CSV export;
- `codes.py`: each student's sign-in code, made and checked (stored hashed);
- `store.py`: the server's state on disk, in SQLite (WAL, one transaction per change): students,
  sessions, the instructor's key, each lab's last check;
- `listen.py`: where it listens (127.0.0.1 by default; elsewhere only with TLS, a certificate
  given or made with `--self-signed`);
- `prepare.py`: the state folder (`codes.csv` to hand out, `instructor.url`);
- `placement.py`: where a student's lab runs, behind one interface (this machine today);
- `classroom.py`: the class's labs as the server lives them (made on a first visit, checked
  while looked at, changes told to the pages);
- `terms.py`: a node's shell on a pty per student and node, mirrored to every screen;
- `pages.py` (who asks, signing in, the pages), `live.py` (state, streams, terminals, the
  class), `app.py` (the routes), `server.py` (the command: listen, serve, stop every lab);
- `static/`: the pages' scripts and style, and xterm.js (vendored: tools/vendor_xterm.py).
"""
