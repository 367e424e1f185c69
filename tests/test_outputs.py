"""Where output goes, and what happens when it cannot: `-o` never destroys what it points at.

`-o` onto the input scenario is refused; a symbolic link is written through (and stays a link); a FIFO
or a character device is streamed into, never replaced by a regular file; an existing file keeps its
mode and a new one gets the umask's; a full disk or a closed pipe on stdout is a message and exit 74,
not a traceback. Device nodes are made for the test in a temporary directory (os.mknod, os.mkfifo),
never touched on the machine's own /dev.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = """\
dcplan: 1
name: tiny
catalog:
  builtin: false
  servers:
    - {id: cpu-a, price: 1000, power: 1 kW, rack_units: 1, vcpus: 64}
sites:
  - {name: ash1, power: 1 MW, racks: 10, rack_power: 40 kW}
workloads:
  - {name: etl, type: cpu, vcpus: 640}
"""


def dcplan(*args, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("capture_output", True)
    return subprocess.run([sys.executable, "-m", "dcplan", *map(str, args)], cwd=ROOT, text=True, timeout=300,
                          **kwargs)


@pytest.fixture
def scenario(tmp_path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def no_traceback(done: subprocess.CompletedProcess) -> None:
    text = (done.stdout or "") + done.stderr
    assert "Traceback" not in text and "internal error" not in done.stderr, done.stderr


# --------------------------------------------------------------------------- refused before any work


@pytest.mark.parametrize("command", ["solve", "validate", "explain", "check"])
def test_output_onto_the_input_scenario_is_refused(scenario, tmp_path, command):
    link = tmp_path / "link.yaml"
    link.symlink_to(scenario)
    for target in (scenario, link):
        done = dcplan(command, scenario, "-o", target)
        assert done.returncode == 2, done.stderr
        assert "it is the input" in done.stderr
        assert scenario.read_text(encoding="utf-8") == SCENARIO
    no_traceback(done)


def test_save_model_onto_the_input_is_refused(scenario):
    done = dcplan("solve", scenario, "--save-model", scenario)
    assert done.returncode == 2 and "it is the input" in done.stderr
    assert scenario.read_text(encoding="utf-8") == SCENARIO


def test_an_empty_output_name_is_a_clear_usage_error(scenario):
    done = dcplan("solve", scenario, "-o", "")
    assert done.returncode == 2
    assert "--output needs a file name" in done.stderr and "busy" not in done.stderr


@pytest.mark.parametrize("option", ["-o", "--save-model"])
def test_an_unwritable_path_is_named_as_given(scenario, tmp_path, option):
    target = tmp_path / "no-such-directory" / "out.lp"
    done = dcplan("solve", scenario, option, target, "--format", "json")
    assert done.returncode == 2, done.stderr
    assert f"cannot write {target}:" in done.stderr and ".tmp" not in done.stderr
    no_traceback(done)


# --------------------------------------------------------------------------- what -o writes to


def test_a_symlink_is_written_through_and_stays_a_link(scenario, tmp_path):
    real = tmp_path / "plan.csv"
    real.write_text("old\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    done = dcplan("solve", scenario, "--format", "csv", "-o", link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("site,category,item")


def test_a_fifo_is_streamed_into_not_replaced(scenario, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    done = dcplan("solve", scenario, "--format", "csv", "-o", fifo)
    if reader.is_alive() and stat.S_ISFIFO(os.lstat(fifo).st_mode):  # nothing was written into it: unblock
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    reader.join(60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received and received[0].startswith("site,category,item")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe", "s.yaml"]  # no temporary left behind


def _device(tmp_path: Path, name: str, minor: int) -> Path:
    """A character device like /dev/null (1, 3) or /dev/full (1, 7), made in the test's own directory."""
    node = tmp_path / name
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    except (PermissionError, OSError) as err:
        pytest.skip(f"cannot make a device node here: {err}")
    return node


def test_a_character_device_is_written_to_not_replaced(scenario, tmp_path):
    null = _device(tmp_path, "null", 3)
    done = dcplan("solve", scenario, "--format", "json", "-o", null)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(os.lstat(null).st_mode), "the device was replaced by a regular file"
    assert done.stdout == ""


def test_new_files_get_the_umask_mode_and_existing_files_keep_theirs(scenario, tmp_path):
    new = tmp_path / "new.json"
    done = dcplan("solve", scenario, "--format", "json", "-o", new, preexec_fn=lambda: os.umask(0o027))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
    existing = tmp_path / "existing.json"
    existing.write_text("{}")
    existing.chmod(0o604)
    assert dcplan("solve", scenario, "--format", "json", "-o", existing).returncode == 0
    assert stat.S_IMODE(existing.stat().st_mode) == 0o604 and existing.read_text().startswith("{\n")


# --------------------------------------------------------------------------- when writing fails


def test_a_full_disk_on_stdout_is_a_message_not_a_crash(scenario, tmp_path):
    full = _device(tmp_path, "full", 7)
    with open(full, "w") as stdout:
        done = dcplan("solve", scenario, "--format", "json", stdout=stdout, stderr=subprocess.PIPE,
                      capture_output=False)
    assert done.returncode == 74, done.stderr
    assert "cannot write stdout: No space left on device" in done.stderr
    assert "Exception ignored" not in done.stderr
    no_traceback(done)


def test_a_full_disk_under_an_output_file_is_a_message_too(scenario, tmp_path):
    full = _device(tmp_path, "full", 7)
    done = dcplan("solve", scenario, "--format", "json", "-o", full)
    assert done.returncode == 74 and f"cannot write {full}: No space left on device" in done.stderr
    assert stat.S_ISCHR(os.lstat(full).st_mode)


def test_a_reader_that_goes_away_is_a_message_not_a_crash(scenario):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before dcplan writes
    try:
        done = dcplan("validate", scenario, stdout=write, stderr=subprocess.PIPE, capture_output=False)
    finally:
        os.close(write)
    assert done.returncode == 74, done.stderr
    assert "cannot write stdout" in done.stderr and "Exception ignored" not in done.stderr
    no_traceback(done)


# --------------------------------------------------------------------------- fuzzing write_output

from hypothesis import HealthCheck, given, settings  # noqa: E402 - the fuzzing part of this file
from hypothesis import strategies as st  # noqa: E402

from dcplan.atomic import write_output  # noqa: E402

NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1,
                max_size=20).filter(lambda n: n not in (".", ".."))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, kind=st.sampled_from(["new", "file", "link", "dangling", "fifo"]),
       mode=st.sampled_from([0o600, 0o640, 0o644, 0o664, 0o444]), text=st.text(max_size=200))
def test_write_output_on_any_name_and_kind(tmp_path_factory, name, kind, mode, text):
    directory = tmp_path_factory.mktemp("out")
    path, real = directory / name, directory / f"real-{len(name)}"
    try:
        path.touch()
        path.unlink()
    except OSError:  # a name the file system will not take (too long in bytes): not write_output's business
        return
    if kind == "file":
        path.write_text("old")
        path.chmod(mode)
    elif kind in ("link", "dangling"):
        if kind == "link":
            real.write_text("old")
            real.chmod(mode)
        path.symlink_to(real)
    elif kind == "fifo":
        os.mkfifo(path)
        reader = threading.Thread(target=lambda: path.read_bytes(), daemon=True)
        reader.start()
    write_output(path, text)
    if kind == "fifo":
        assert stat.S_ISFIFO(os.lstat(path).st_mode)
        return
    target = real if kind in ("link", "dangling") else path
    assert target.read_bytes() == text.encode("utf-8")
    assert path.is_symlink() == (kind in ("link", "dangling"))
    if kind in ("file", "link"):
        assert stat.S_IMODE(target.stat().st_mode) == mode
    assert sorted(p.name for p in directory.iterdir()) == sorted({path.name, target.name})
