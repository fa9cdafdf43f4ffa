"""Processes seen through /proc, for the ddf program's tests (test_cli.py, test_repl.py):
which children a ddf left running, and whether a worker is stopped."""
import os


def _stat(pid):
    """(comm, state, ppid) of a process; comm may hold spaces, so split after the last ')'."""
    with open(f"/proc/{pid}/stat") as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    return st[st.index("(") + 1:st.rindex(")")], fields[0], int(fields[1])


def children_of(pid):
    """{pid: command name} of the live processes whose parent is 'pid'."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            comm, state, ppid = _stat(entry)
        except (OSError, ValueError):
            continue
        if ppid == pid and state != "Z":
            found[int(entry)] = comm
    return found


def proc_state(pid):
    """The state letter of a process (R, S, T for stopped, ...)."""
    return _stat(pid)[1]
