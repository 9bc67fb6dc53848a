"""Secrets and files: antred refuses a secret file that the group or others
may read or write, or that is not a regular file (exit 2, a clear line);
make run (tools/run.sh) works under umask 077 and, under a loose umask too,
leaves its tokens, config, secret and Redis's AOF to the owner alone."""

import os
import signal
import stat
import subprocess
import tempfile
import shutil

from harness import ANTRED, TOP, Antred, free_port, wait_until
import http.client

SECRET = os.urandom(32)


def run_antred(secret_setup):
    """Starts antred (no Redis needed) on a secret made by secret_setup(path);
    its exit status and output, or None if it kept running."""
    d = Antred("redis://127.0.0.1:1/0", start=False)
    path = os.path.join(d.tmp, "secret")
    secret_setup(path)
    p = subprocess.run([d.binary, "-c", d.conf], capture_output=True, text=True, timeout=10)
    shutil.rmtree(d.tmp, ignore_errors=True)
    return p.returncode, p.stdout + p.stderr


def write_secret(mode):
    def setup(path):
        with open(path, "wb") as f:
            f.write(SECRET)
        os.chmod(path, mode)
    return setup


def test_secret_open_to_others_is_refused():
    for mode in (0o644, 0o640, 0o604, 0o620, 0o602, 0o660):
        rc, out = run_antred(write_secret(mode))
        assert rc == 2, (oct(mode), rc, out)
        assert "secret-file" in out and "mode 0%o" % mode in out and "chmod 600" in out, out


def test_secret_not_a_file_is_refused():
    rc, out = run_antred(lambda p: os.mkfifo(p, 0o600))      # would block a read
    assert rc == 2 and "not a regular file" in out, (rc, out)
    rc, out = run_antred(lambda p: os.mkdir(p, 0o700))
    assert rc == 2 and "secret-file" in out, (rc, out)


def test_secret_private_is_taken():
    for mode in (0o600, 0o400):
        d = Antred("redis://127.0.0.1:1/0", start=False)
        write_secret(mode)(os.path.join(d.tmp, "secret"))
        d.start()                      # listens: the secret was accepted
        d.stop()


def private(path):
    m = os.lstat(path).st_mode
    return (m & 0o077) == 0


def test_make_run_files_are_private():
    for mask in (0o077, 0o022):
        var = tempfile.mkdtemp(prefix="antre-run-")
        port, rport = free_port(), free_port()
        env = dict(os.environ, ANTRE_VAR=var, LISTEN="127.0.0.1:%d" % port,
                   REDIS_PORT=str(rport), BUILD=os.path.dirname(ANTRED))
        env.pop("REDIS_URL", None)
        old = os.umask(mask)
        try:
            p = subprocess.Popen(["sh", os.path.join(TOP, "tools", "run.sh")], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        finally:
            os.umask(old)
        try:
            def healthy():
                assert p.poll() is None, p.stderr.read().decode()
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    c.request("GET", "/healthz")
                    return c.getresponse().status == 200
                except OSError:
                    return False
            wait_until(healthy, timeout=20, step=0.1, what="make run to answer")
            names = []
            for root, dirs, files in os.walk(var):
                names += [os.path.join(root, n) for n in dirs + files]
            for must in ("tokens", "antred.conf", "secret", "redis"):
                assert os.path.join(var, must) in names, (must, names)
            assert any("appendonly" in n for n in names), names
            loose = [n for n in names + [var] if not private(n)]
            assert not loose, (oct(mask), [(n, oct(os.lstat(n).st_mode)) for n in loose])
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            shutil.rmtree(var, ignore_errors=True)
