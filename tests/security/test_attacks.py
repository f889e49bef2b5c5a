"""Items 1-10 of issue 15, each written as the answer a hostile student would submit.

Every test runs the real tutor (``check --json`` as an autograder does, the plain
REPL, or ``validate``) and asserts that the attack fails: no pass for a wrong
answer, no frozen or killed tutor, no leak, no write outside the worker's own
folder, the progress store untouched. Attacks that only the kernel can stop skip
with "Landlock unavailable: <reason>" where it is missing.
"""

from __future__ import annotations

import os
import sqlite3
import textwrap
from pathlib import Path

from conftest import Install, check, needs_landlock, processes_with, run_tutor

LESSON, STEP = "creating-tensors", "evens"  # solution: evens = torch.arange(0, 11, 2)
WRONG = 'evens = "wrong"\nif False: torch.arange(0)  # satisfies must_call without calling it\n'


def assert_not_passed(ran) -> None:
    assert not ran.frozen, f"the tutor froze\n{ran.stderr[-2000:]}"
    verdict = ran.verdict()
    assert verdict.get("passed") is not True, f"a wrong answer passed:\n{ran.stdout[:3000]}"
    assert ran.returncode != 0, ran.stdout[:2000]


# 1 ------------------------------------------------------------------------------------------

REPLACE_TAKER = textwrap.dedent(
    """
    import glob, json, os, shutil
    try:
        import tutor.judge.snapshot as _snap

        def _fake(namespace, names, dest, *rest):
            # the reference was saved first, next to our own folder: copy it
            base = os.path.dirname(str(dest))
            found = [d for d in glob.glob(os.path.join(base, "*"))
                     if d != dest and os.path.exists(os.path.join(d, "values.pt"))]
            src = max(found, key=os.path.getmtime)
            for name in ("meta.json", "values.pt"):
                shutil.copy(os.path.join(src, name), os.path.join(dest, name))
            with open(os.path.join(dest, "meta.json")) as fh:
                return json.load(fh)

        for attr in ("take", "capture", "write"):
            if hasattr(_snap, attr):
                setattr(_snap, attr, _fake)
    except Exception as exc:
        print("attack failed:", type(exc).__name__, exc)
    """
)


def test_1_replacing_the_snapshot_taker_does_not_pass(install: Install) -> None:
    assert_not_passed(check(install, LESSON, STEP, REPLACE_TAKER + WRONG))


# 2 ------------------------------------------------------------------------------------------

TORCH_FUNCTION = textwrap.dedent(
    """
    import glob, os
    import torch

    class Evens(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            with torch._C.DisableTorchFunctionSubclass():
                try:
                    here = os.path.dirname(os.getcwd())  # the sandbox's folder
                    for path in glob.glob(os.path.join(here, "**", "values.pt"), recursive=True):
                        ref = torch.load(path).get("evens")
                        if ref is not None and isinstance(args[0], Evens):
                            args[0].set_(ref.clone())
                            break
                except Exception:
                    pass
                return func(*args, **kwargs)

    evens = torch.arange(0, 3).as_subclass(Evens)  # wrong: 0, 1, 2
    """
)


def test_2_a_tensor_subclass_runs_no_code_while_values_are_captured(install: Install) -> None:
    ran = check(install, LESSON, STEP, TORCH_FUNCTION)
    assert_not_passed(ran)


# 3 ------------------------------------------------------------------------------------------

LEAK = textwrap.dedent(
    """
    import os
    leaked = None
    try:
        def _parent(pid):
            with open(f"/proc/{pid}/stat") as fh:
                return int(fh.read().rsplit(")", 1)[1].split()[1])
        ui = _parent(os.getppid())
        with open(f"/proc/{ui}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\\0")
        print("grader argv:", argv)
    except Exception as exc:
        print("no argv:", type(exc).__name__)
    try:
        from tutor.course.files import course_dirs
        from tutor.course.lesson import load_course, find_step
        lessons, _ = load_course(course_dirs())
        _, step = find_step(lessons, "creating-tensors", "evens")
        exec(step.solution, globals())
        leaked = step.solution
    except Exception as exc:
        print("no lesson:", type(exc).__name__)
    try:
        import glob, tutor
        top = os.path.dirname(os.path.dirname(tutor.__file__))
        for path in glob.glob(os.path.join(top, "**", "04-creating-tensors.toml"), recursive=True):
            open(path).read()
            print("read", path)
    except Exception as exc:
        print("no toml:", type(exc).__name__)
    if leaked is None:
        evens = "wrong"
    if False: torch.arange(0)
    """
)


def test_3_the_solution_cannot_be_read_from_the_sandbox(install: Install) -> None:
    needs_landlock()
    ran = check(install, LESSON, STEP, LEAK)
    assert_not_passed(ran)
    assert "read /" not in ran.stdout and "grader argv" not in ran.stdout


# 4 ------------------------------------------------------------------------------------------

POISON = textwrap.dedent(
    """
    try:
        import tutor.judge.handler as _h
        with open(_h.__file__, "a") as fh:
            fh.write(
                "\\n\\ndef handle(request):\\n"
                "    return {'passed': True, 'checks': [], 'feedback': [], 'pictures': []}\\n"
            )
        print("poisoned", _h.__file__)
    except Exception as exc:
        print("not poisoned:", type(exc).__name__)
    """
)


def test_4_the_installed_grader_cannot_be_poisoned(install: Install) -> None:
    needs_landlock()
    handler = install.site / "tutor" / "judge" / "handler.py"
    before = handler.read_bytes()
    check(install, LESSON, STEP, POISON + WRONG, "poison.py")
    assert handler.read_bytes() == before, "the learner wrote into the tutor's package"
    # The next learner's wrong answer, on the same install:
    assert_not_passed(check(install, LESSON, STEP, WRONG, "next.py"))


# 5 ------------------------------------------------------------------------------------------

IMPERSONATE = textwrap.dedent(
    """
    import ctypes, os, signal, socket, stat, threading
    from tutor.sandbox import protocol

    def _stat(pid):
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()

    libc = ctypes.CDLL(None, use_errno=True)
    zygote = os.getppid()
    stolen = []
    try:
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == os.getpid():
                continue
            try:
                if int(_stat(name)[1]) != zygote:
                    continue
            except OSError:
                continue
            pidfd = os.pidfd_open(int(name))
            for fd in range(3, 64):
                got = libc.syscall(438, pidfd, fd, 0)  # pidfd_getfd
                if got >= 0 and stat.S_ISSOCK(os.fstat(got).st_mode):
                    stolen.append((int(name), got))
        print("stolen", len(stolen))
    except Exception as exc:
        print("no theft:", type(exc).__name__, exc)

    def _answer(pid, fd):
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            return
        sock = socket.socket(fileno=fd)
        while True:
            try:
                msg = protocol.recv_msg(sock)
            except Exception:
                return
            verdict = {"passed": True, "checks": [], "feedback": [], "pictures": []}
            protocol.send_msg(sock, {"ok": True, "answer": verdict, "id": msg.get("id")})

    for pid, fd in stolen:
        # the judge is the child whose output is not a pipe
        try:
            target = os.readlink(f"/proc/{pid}/fd/1")
        except OSError:
            target = ""
        if not target.startswith("pipe:"):
            threading.Thread(target=_answer, args=(pid, fd), daemon=True).start()
    """
)


def test_5_the_judge_cannot_be_impersonated(install: Install) -> None:
    needs_landlock(6)
    assert_not_passed(check(install, LESSON, STEP, IMPERSONATE + WRONG))


# 6 ------------------------------------------------------------------------------------------


def _signal_ui(sig: str) -> str:
    return textwrap.dedent(
        f"""
        import os, signal
        def _parent(pid):
            with open(f"/proc/{{pid}}/stat") as fh:
                return int(fh.read().rsplit(")", 1)[1].split()[1])
        for pid in (_parent(os.getppid()), os.getppid()):
            try:
                os.kill(pid, signal.{sig})
            except OSError as exc:
                print("refused:", exc)
        """
    )


def test_6_the_ui_cannot_be_stopped_or_killed(install: Install) -> None:
    needs_landlock(6)
    for sig in ("SIGSTOP", "SIGKILL"):
        ran = check(install, LESSON, STEP, _signal_ui(sig) + WRONG, f"{sig}.py")
        assert not ran.frozen, f"{sig}: the tutor froze"
        assert ran.returncode == 1, f"{sig}: the tutor ended with {ran.returncode}"
        assert ran.verdict().get("passed") is False


# 7 ------------------------------------------------------------------------------------------

KILL_ZYGOTE = textwrap.dedent(
    """
    import os, signal, subprocess
    subprocess.Popen(["sleep", "3137"], start_new_session=True)  # detached: its own session
    subprocess.Popen(["sleep", "3138"])
    try:
        os.kill(os.getppid(), signal.SIGKILL)
    except OSError as exc:
        print("refused:", exc)
    """
)


def test_7_killing_the_zygote_is_reported_and_leaves_no_orphan(
    install: Install, reaper: list[str]
) -> None:
    reaper += ["sleep 3137", "sleep 3138"]
    ran = check(install, LESSON, STEP, KILL_ZYGOTE + WRONG)
    assert_not_passed(ran)
    assert "reference solution failed" not in ran.stdout.lower(), ran.stdout
    assert processes_with("sleep 3137") == [] and processes_with("sleep 3138") == []


def test_7_the_repl_recovers_after_its_zygote_is_killed(
    install: Install, reaper: list[str]
) -> None:
    reaper += ["sleep 3137", "sleep 3138"]
    lines = [
        f"exec({KILL_ZYGOTE!r})",
        "print(6 * 7)",
        "print(6 * 8)",
        "/quit",
    ]
    ran = run_tutor(
        install,
        ["--plain", "--no-save", "--lang", "en", "--lesson", LESSON, "--step", STEP],
        stdin="\n".join(lines) + "\n",
    )
    assert not ran.frozen
    assert "could not start" not in ran.stdout, ran.stdout[-3000:]
    assert "42" in ran.stdout and "48" in ran.stdout, ran.stdout[-3000:]
    assert processes_with("sleep 3137") == [] and processes_with("sleep 3138") == []


# 8 ------------------------------------------------------------------------------------------

FILL = textwrap.dedent(
    """
    import os, tempfile
    chunk = b"x" * (1 << 20)
    for folder, mib in ((tempfile.gettempdir(), 300), ("/dev/shm", 200), (os.getcwd(), 300)):
        path = os.path.join(folder, "fill-{tag}.bin")
        written = 0
        try:
            with open(path, "wb") as fh:
                for _ in range(mib):
                    fh.write(chunk)
                    written += 1
        except OSError as exc:
            pass
        print("WROTE", path, written)
    """
)


def test_8_files_written_by_learner_code_are_capped(install: Install) -> None:
    tag = os.urandom(4).hex()
    lines = [f"exec({FILL.replace('{tag}', tag)!r})", "/quit"]
    try:
        ran = run_tutor(
            install,
            ["--plain", "--no-save", "--lang", "en", "--lesson", LESSON, "--step", STEP],
            stdin="\n".join(lines) + "\n",
        )
        wrote = [line.split() for line in ran.stdout.splitlines() if line.startswith("WROTE")]
        assert len(wrote) == 3, ran.stdout[-3000:]
        for _, path, mib in wrote:
            assert int(mib) <= 64, f"{mib} MiB written to {path}"
    finally:
        for folder in ("/tmp", "/dev/shm", os.environ.get("TMPDIR", "/tmp")):
            Path(folder, f"fill-{tag}.bin").unlink(missing_ok=True)


# 9 ------------------------------------------------------------------------------------------

FORGE = textwrap.dedent(
    """
    import os, sqlite3
    paths = []
    try:
        def _parent(pid):
            with open(f"/proc/{pid}/stat") as fh:
                return int(fh.read().rsplit(")", 1)[1].split()[1])
        with open(f"/proc/{_parent(os.getppid())}/cmdline", "rb") as fh:
            argv = [a.decode() for a in fh.read().split(b"\\0")]
        paths.append(argv[argv.index("--progress") + 1])
    except Exception as exc:
        print("no argv:", type(exc).__name__)
    if os.environ.get("TUTOR_HOME"):
        paths.append(os.path.join(os.environ["TUTOR_HOME"], "progress.sqlite3"))
    for path in paths:
        try:
            db = sqlite3.connect(path)
            for lesson, step in [("creating-tensors", "evens"), ("tensors", "scalar")]:
                db.execute(
                    "INSERT OR REPLACE INTO steps (lesson, step, status) VALUES (?, ?, 'passed')",
                    (lesson, step),
                )
            db.commit()
            db.close()
            print("forged", path)
        except Exception as exc:
            print("not forged:", type(exc).__name__)
    """
)


def test_9_the_progress_store_cannot_be_forged(install: Install) -> None:
    needs_landlock()
    store = install.scratch / "progress.sqlite3"
    lines = [f"exec({FORGE!r})", "/quit"]
    run_tutor(
        install,
        ["--plain", "--lang", "en", "--progress", str(store), "--lesson", LESSON, "--step", STEP],
        stdin="\n".join(lines) + "\n",
    )
    db = sqlite3.connect(store)
    passed = db.execute("SELECT lesson, step FROM steps WHERE status = 'passed'").fetchall()
    db.close()
    assert passed == [], f"forged passes: {passed}"


# 10 -----------------------------------------------------------------------------------------

PREDICATE_LESSON = """\
id = "hostile"
section = 90
title.en = "A hostile lesson"
title.zh = "恶意课程"

[[steps]]
id = "one"
kind = "code"
title.en = "One"
title.zh = "一"
text.en = "Make `x` one."
text.zh = "让 `x` 等于 1。"
solution = "x = torch.ones(1)"
check = ["x"]

[[steps.expect]]
predicate = "__import__('shutil').rmtree({victim!r}) or open({dropped!r}, 'w').write('x') or True"
uses = ["x"]
"""


def test_10_a_lesson_predicate_runs_confined_during_validate(install: Install) -> None:
    needs_landlock()
    victim = install.scratch / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    dropped = install.scratch / "dropped.txt"
    lessons = install.scratch / "lessons"
    lessons.mkdir()
    (lessons / "90-hostile.toml").write_text(
        PREDICATE_LESSON.format(victim=str(victim), dropped=str(dropped)), encoding="utf-8"
    )
    run_tutor(install, ["validate", str(lessons)])
    assert (victim / "keep.txt").read_text() == "precious", "the predicate deleted a folder"
    assert not dropped.exists(), "the predicate wrote a file"
