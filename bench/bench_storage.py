"""C-STORE throughput: dicomnet against pynetdicom and DCMTK (issue #5, point 7).

Workloads (every file on tmpfs, every peer in its own process, loopback only):

- W1: DCMTK ``storescu`` sends 1000 CT images (512x512x16 bit, ~0.5 MB each)
  over one association; the SCP writes each to a file. Also run once more
  with the largest maximum PDU both sides allow (131072, DCMTK's limit).
- W2: the same, the SCP not writing.
- W3: 1000 datasets of ~1 KB (no pixel data), written and not written.
- W4: one ~1 GB multi-frame instance, received and written; the Python SCPs
  use ``_config.STORE_RECV_CHUNKED_DATASET = True`` for it.
- W5: 10 ``storescu`` started together, 100 CT images each (``storescp --fork``;
  the dicomnet SCP with ``--processes`` = the machine's cores: pre-forked).
- W6: the SCUs: dicomnet, pynetdicom (the same code, chunked send off and on)
  and ``storescu`` each send the 1000 CT images to DCMTK ``storescp``.

SCPs on W1-W5: dicomnet, pynetdicom (the same handler, ``bench/_store_peer.py``)
and DCMTK ``storescp``. A run counts the written files and their sizes and the
client's successes; a run that lost instances is reported as failed.

Usage::

    .venv/bin/python bench/bench_storage.py                  # everything, a few minutes
    .venv/bin/python bench/bench_storage.py --only W1,W3 --n 200
    .venv/bin/python bench/bench_storage.py --repeat 3 --keep-data
    .venv/bin/python bench/bench_storage.py --only W1 --libs dicomnet --keep-data \\
        --wrapper ".venv/bin/py-spy record -r 400 -f raw -o /tmp/{run}.txt --"
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import _bench_common as common

ROOT = Path("/dev/shm/dicomnet-bench")
DATA = ROOT / "data"
WORK = ROOT / "run"
FAILED = ROOT / "failed"
PEER = Path(__file__).with_name("_store_peer.py")
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
GROUPS = 10
ROWS = COLUMNS = 512
FRAME_BYTES = ROWS * COLUMNS * 2
FULL_FRAMES = 2048
DATA_VERSION = 2
SCPS = ("dicomnet", "pynetdicom", "dcmtk")
#: The SCUs of W6, each with STORE_SEND_CHUNKED_DATASET off and on.
W6_SCUS = (
    ("storescu", False),
    ("dicomnet", False),
    ("dicomnet", True),
    ("pynetdicom", False),
    ("pynetdicom", True),
)
LARGEST_PDU = 131072  # the upper limit of storescp/storescu -pdu
#: storescu's line for each successful C-STORE (its -v output).
STORESCU_SUCCESS = "Received Store Response (Success)"
#: Bytes a written file may differ from its source (file meta re-encoded).
SIZE_SLACK = 512


# -- test data, made once with pydicom ---------------------------------------------------


def make_uid(name: str) -> str:
    # PS3.5 B.2: a UUID-derived UID under 2.25, reproducible from its name.
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_OID, 'dicomnet-bench ' + name).int}"


def pixel_pool() -> bytes:
    """8 MiB of random 12-bit samples (16 bits allocated) to cut images from."""
    pool = bytearray(random.Random(5).randbytes(8 << 20))
    high = bytes(b & 0x0F for b in range(256))
    pool[1::2] = pool[1::2].translate(high)  # little endian: odd bytes are high
    return bytes(pool)


def image_pixels(pool: bytes, index: int) -> bytes:
    offset = (index * 104_729 * 2) % (len(pool) - FRAME_BYTES)
    return pool[offset : offset + FRAME_BYTES]


#: The fixed part of the CT header: what a scanner writes (PS3.3 A.3).
CT_HEADER = {
    "SpecificCharacterSet": "ISO_IR 100",
    "ImageType": ["ORIGINAL", "PRIMARY", "AXIAL"],
    "SOPClassUID": CT_IMAGE_STORAGE,
    "StudyDate": "20240611",
    "SeriesDate": "20240611",
    "AcquisitionDate": "20240611",
    "ContentDate": "20240611",
    "StudyTime": "101500",
    "SeriesTime": "101500",
    "AccessionNumber": "A20240611",
    "Modality": "CT",
    "Manufacturer": "Bench Medical",
    "InstitutionName": "Loopback Hospital",
    "ReferringPhysicianName": "Doe^Jane",
    "StationName": "CT01",
    "StudyDescription": "CT CHEST ABDOMEN",
    "SeriesDescription": "Axial 1.0 B30f",
    "ManufacturerModelName": "Benchmark 64",
    "PatientName": "Bench^Patient",
    "PatientID": "BENCH0001",
    "PatientBirthDate": "19600101",
    "PatientSex": "O",
    "PatientAge": "064Y",
    "BodyPartExamined": "CHEST",
    "SliceThickness": "1.0",
    "KVP": "120",
    "DataCollectionDiameter": "500.0",
    "SoftwareVersions": "1.0",
    "ReconstructionDiameter": "380.0",
    "DistanceSourceToDetector": "1085.6",
    "DistanceSourceToPatient": "595.0",
    "GantryDetectorTilt": "0.0",
    "TableHeight": "150.0",
    "RotationDirection": "CW",
    "ExposureTime": "500",
    "XRayTubeCurrent": "240",
    "Exposure": "120",
    "FilterType": "FLAT",
    "GeneratorPower": "29",
    "FocalSpots": "1.2",
    "ConvolutionKernel": "B30f",
    "PatientPosition": "FFS",
    "StudyID": "1",
    "SeriesNumber": "2",
    "AcquisitionNumber": "1",
    "ImageOrientationPatient": ["1", "0", "0", "0", "1", "0"],
    "PositionReferenceIndicator": "",
    "WindowCenter": "40",
    "WindowWidth": "400",
    "RescaleIntercept": "-1024",
    "RescaleSlope": "1",
    "RescaleType": "HU",
}


def ct_header(index: int, series: str) -> Any:
    """A CT Image header (no pixels): the fixed part plus this slice's values."""
    from pydicom.dataset import Dataset

    ds = Dataset()
    for keyword, value in CT_HEADER.items():
        setattr(ds, keyword, value)
    ds.SOPInstanceUID = make_uid(f"{series} {index}")
    ds.AcquisitionTime = ds.ContentTime = f"1016{index % 60:02d}.{index:06d}"
    ds.StudyInstanceUID = make_uid("study")
    ds.SeriesInstanceUID = make_uid(series)
    ds.FrameOfReferenceUID = make_uid("frame of reference")
    ds.InstanceNumber = str(index + 1)
    ds.ImagePositionPatient = ["-190.0", "-190.0", f"{-index:.1f}"]
    ds.SliceLocation = f"{-index:.1f}"
    return ds


def add_pixels(ds: Any, pixels: bytes, frames: int = 1) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.Rows = ROWS
    ds.Columns = COLUMNS
    ds.PixelSpacing = ["0.742", "0.742"]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = pixels


def save(ds: Any, path: Path) -> None:
    from pydicom.dataset import FileMetaDataset

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = EXPLICIT_VR_LE
    ds.file_meta = meta
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def generate(n: int, frames: int) -> None:
    """Write the CT images, the small datasets, the big instance, the warm-up."""
    shutil.rmtree(DATA, ignore_errors=True)
    pool = pixel_pool()
    for index in range(n):
        group = f"g{index % GROUPS:02d}"
        ds = ct_header(index, "ct series")
        add_pixels(ds, image_pixels(pool, index))
        save(ds, DATA / "ct" / group / f"ct{index:05d}.dcm")
        save(
            ct_header(index, "small series"),
            DATA / "small" / group / f"s{index:05d}.dcm",
        )
    save(ct_header(0, "warm-up"), DATA / "warm" / "warm.dcm")
    big = ct_header(0, "multi-frame")
    big.SOPClassUID = ENHANCED_CT_IMAGE_STORAGE
    add_pixels(big, b"".join(image_pixels(pool, k) for k in range(frames)), frames)
    save(big, DATA / "big" / "big.dcm")
    (DATA / "manifest.json").write_text(json.dumps(manifest(n, frames)))


def manifest(n: int, frames: int) -> dict[str, int]:
    return {"version": DATA_VERSION, "n": n, "frames": frames}


def prepare_data(n: int, frames: int, *, keep: bool) -> None:
    path = DATA / "manifest.json"
    if keep and path.exists() and json.loads(path.read_text()) == manifest(n, frames):
        print(f"reusing the data in {DATA}")
        return
    print(
        f"generating {n} CT images, {n} small datasets, {frames} frames in {DATA} ..."
    )
    start = time.perf_counter()
    generate(n, frames)
    print(f"  done in {time.perf_counter() - start:.1f} s")


def file_sizes(kind: str) -> list[int]:
    return sorted(p.stat().st_size for p in (DATA / kind).rglob("*.dcm"))


# -- what is run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One row of the table: a workload with one SCP and one SCU."""

    workload: str
    label: str
    scp: str  # dicomnet | pynetdicom | dcmtk
    scu: str  # storescu | dicomnet | pynetdicom
    data: str  # ct | small | big
    write: bool = True
    chunked: bool = False
    parallel: bool = False
    max_pdu: int | None = None
    processes: int = 1  # a dicomnet SCP's pre-forked processes

    @property
    def forks(self) -> bool:
        """Whether the SCP serves in child processes (CPU and RSS are theirs)."""
        return (self.scp == "dcmtk" and self.parallel) or self.processes > 1

    @property
    def tested(self) -> str:
        """The implementation under test: the SCU on W6, else the SCP."""
        if self.workload != "W6":
            return self.scp
        return self.scu + (" chunked" if self.chunked else "")

    @property
    def receiver_pdu(self) -> int:
        """The SCP's maximum PDU length, which bounds the SCU's PDUs."""
        if self.max_pdu is not None:
            return self.max_pdu
        return 16384 if self.scp == "dcmtk" else 16382


def scenarios(n: int, frames: int, max_pdu: int | None) -> list[Scenario]:
    ct, small = f"{n} CT", f"{n} x 1 KB"
    # (workload, label, data, options) of W1-W5, run with each SCP in turn.
    table: list[tuple[str, str, str, dict[str, Any]]] = [
        ("W1", f"{ct}, written", "ct", {}),
        ("W1", f"{ct}, written, PDU {LARGEST_PDU}", "ct", {"max_pdu": LARGEST_PDU}),
        ("W2", f"{ct}, not written", "ct", {"write": False}),
        ("W3", f"{small}, written", "small", {}),
        ("W3", f"{small}, not written", "small", {"write": False}),
        # The chunked receive is what both Python libraries offer for big data.
        ("W4", f"{frames} frames, written", "big", {"chunked": True}),
        ("W5", f"{GROUPS} x {n // GROUPS} CT, written", "ct", {"parallel": True}),
    ]
    rows = []
    for workload, label, data, options in table:
        for scp in SCPS:
            settings = {"max_pdu": max_pdu, **options}
            settings["chunked"] = settings.get("chunked", False) and scp != "dcmtk"
            if settings.get("parallel") and scp == "dicomnet":
                # As storescp runs with --fork: every core serves.
                settings["processes"] = os.cpu_count() or 1
            rows.append(Scenario(workload, label, scp, "storescu", data, **settings))
    for scu, chunked in W6_SCUS:
        label = f"{ct} to storescp"
        rows.append(
            Scenario("W6", label, "dcmtk", scu, "ct", chunked=chunked, max_pdu=max_pdu)
        )
    return rows


@dataclass
class Result:
    """What one run measured; ``error`` set means the run failed."""

    error: str = ""
    seconds: float = 0.0
    instances: int = 0
    nbytes: int = 0
    scp_cpu: float | None = None
    rss_kib: int | None = None
    growth_kib: int | None = None
    scu_seconds: float | None = None  # a Python SCU's own associate..release time

    @property
    def rate(self) -> float:
        return self.instances / self.seconds if self.seconds else 0.0

    @property
    def mbps(self) -> float:
        return self.nbytes / 1e6 / self.seconds if self.seconds else 0.0


# -- the processes ------------------------------------------------------------------------------


def scp_command(sc: Scenario, port: int, out: Path, wrapper: list[str]) -> list[str]:
    pdu = ["--max-pdu", str(sc.max_pdu)] if sc.max_pdu else []
    if sc.scp == "dcmtk":
        command = ["storescp", "-aet", "BENCHSCP", "-od", str(out), "-dhl", *pdu]
        command += ["--ignore"] if not sc.write else []
        command += ["--fork"] if sc.parallel else []
        return [*command, str(port)]
    command = [*wrapper, sys.executable, str(PEER), "scp", "--lib", sc.scp]
    command += ["--port", str(port), *pdu]
    command += ["--out", str(out)] if sc.write else []
    command += ["--chunked"] if sc.chunked else []
    command += ["--processes", str(sc.processes)] if sc.processes > 1 else []
    return command


def storescu_command(port: int, paths: list[Path], max_pdu: int | None) -> list[str]:
    pdu = ["-pdu", str(max_pdu)] if max_pdu else []
    # -v prints one line per response: the successes are counted from it.
    command = ["storescu", "-v", "-aec", "BENCHSCP", "-td", "120", "+sd", "+r", *pdu]
    return [*command, common.HOST, str(port), *map(str, paths)]


def scu_command(
    sc: Scenario, port: int, paths: list[Path], wrapper: list[str]
) -> list[str]:
    if sc.scu == "storescu":
        return storescu_command(port, paths, sc.max_pdu)
    command = [*wrapper, sys.executable, str(PEER), "scu", "--lib", sc.scu]
    command += ["--port", str(port)]
    command += ["--max-pdu", str(sc.max_pdu)] if sc.max_pdu else []
    command += ["--chunked"] if sc.chunked else []
    return [*command, *map(str, paths)]


class Runner:
    """Runs scenarios; every process it starts is in ``self.started``."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.budget: float = args.budget
        self.wrapper: str = args.wrapper
        self.runs = 0
        self.started: list[subprocess.Popen[bytes]] = []
        self.sizes = {kind: file_sizes(kind) for kind in ("ct", "small", "big")}

    def spawn(
        self, command: list[str], log: Path, *, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        with log.open("ab") as f:
            # A new session per process: stopping one kills its group only.
            process = subprocess.Popen(
                command,
                stdout=f,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def wrapper_for(self, sc: Scenario) -> list[str]:
        """The --wrapper command, its ``{run}`` replaced (a profile per run)."""
        if not self.wrapper or sc.tested.startswith(("dcmtk", "storescu")):
            return []
        name = f"{self.runs:02d}-{sc.workload}-{sc.tested.replace(' ', '-')}"
        return self.wrapper.replace("{run}", name).split()

    def cleanup(self) -> None:
        for process in self.started:
            common.stop_process(process)
        self.started.clear()

    def start_scp(
        self, sc: Scenario, out: Path
    ) -> tuple[subprocess.Popen[bytes], int, int]:
        """Start the SCP; return it, the PID to measure and its port."""
        port = common.free_port()
        wrapper = self.wrapper_for(sc) if sc.tested == sc.scp else []
        env = dict(common.DCMTK_ENV)
        # The chunked receive's temporary files go to tmpfs, next to the output,
        # so that os.replace() moves them without copying.
        env["TMPDIR"] = str(WORK / "tmp")
        process = self.spawn(
            scp_command(sc, port, out, wrapper), WORK / "scp.log", env=env
        )
        common.wait_listening(process, port)
        pid = (
            common.find_process(process.pid, PEER.name)
            if sc.scp != "dcmtk"
            else process.pid
        )
        if sc.processes > 1:
            pid = forking_parent(pid)
        return process, pid, port

    def run_clients(
        self, sc: Scenario, port: int
    ) -> tuple[float, list[tuple[int, str]]]:
        """Start the SCU(s) together and wait for all; return seconds and outputs."""
        base = DATA / sc.data
        groups = sorted(base.iterdir()) if sc.parallel else [base]
        wrapper = self.wrapper_for(sc) if sc.tested != sc.scp else []
        logs = [WORK / f"scu{i}.log" for i in range(len(groups))]
        start = time.perf_counter()
        processes = [
            self.spawn(
                scu_command(sc, port, [group], wrapper), log, env=common.DCMTK_ENV
            )
            for group, log in zip(groups, logs, strict=True)
        ]
        deadline = start + self.budget
        timed_out = [
            not common.wait_or_kill(process, deadline - time.perf_counter())
            for process in processes
        ]
        if any(timed_out):
            raise RuntimeError(
                f"the SCU(s) did not finish within --budget {self.budget:g} s"
            )
        seconds = time.perf_counter() - start
        return seconds, [
            (p.returncode, log.read_text(errors="replace"))
            for p, log in zip(processes, logs, strict=True)
        ]

    def warm_up(self, port: int, out: Path) -> str:
        """One small C-STORE first: a Python SCP's first request pays imports."""
        command = storescu_command(port, [DATA / "warm"], None)
        process = self.spawn(command, WORK / "warm.log", env=common.DCMTK_ENV)
        common.wait_or_kill(process, 60)
        text = (WORK / "warm.log").read_text(errors="replace")
        if process.returncode != 0 or STORESCU_SUCCESS not in text:
            return "warm-up C-STORE failed: " + last_line(text)
        for path in out.iterdir():
            path.unlink()
        return ""

    def run_once(self, sc: Scenario) -> Result:
        self.runs += 1
        shutil.rmtree(WORK, ignore_errors=True)
        out = WORK / "out"
        out.mkdir(parents=True)
        (WORK / "tmp").mkdir()
        try:
            result = self.transfer(sc, out)
        except (OSError, RuntimeError) as exc:  # e.g. the SCP died: /proc/PID gone
            result = Result(error=f"{type(exc).__name__}: {exc}")
        finally:
            self.cleanup()
        if result.error:
            # Keep the logs of a failed run for a look after the benchmark.
            kept = (
                FAILED / f"{self.runs:02d}-{sc.workload}-{sc.tested.replace(' ', '-')}"
            )
            shutil.rmtree(kept, ignore_errors=True)
            kept.mkdir(parents=True)
            for log in WORK.glob("*.log"):
                shutil.copy(log, kept)
            result.error += f" (logs in {kept})"
        return result

    def transfer(self, sc: Scenario, out: Path) -> Result:
        """Start the SCP, warm it up, time the SCU(s), measure and check."""
        _, pid, port = self.start_scp(sc, out)
        if error := self.warm_up(port, out):
            return Result(error=error)
        # A forking storescp and a pre-forked dicomnet SCP serve in children:
        # their CPU time is summed, and the parent's memory says nothing about
        # theirs.
        fork = sc.forks
        rss = None if fork else common.status_kib(pid, "VmRSS")
        if not fork:
            common.reset_peak_rss(pid)
        cpu = common.cpu_seconds(pid, with_children=fork)
        seconds, outputs = self.run_clients(sc, port)
        if fork and sc.scp == "dcmtk":
            # storescp's children end with their associations; the pre-forked
            # ones live on, their CPU time read live from /proc.
            wait_children_done(pid)
        expected = self.sizes[sc.data]
        result = Result(seconds=seconds, instances=len(expected), nbytes=sum(expected))
        result.scp_cpu = common.cpu_seconds(pid, with_children=fork) - cpu
        if rss is not None:
            result.rss_kib = rss
            result.growth_kib = common.status_kib(pid, "VmHWM") - rss
        if sc.scu == "storescu":
            result.error = check_storescu(outputs, len(expected))
        else:
            result.error, result.scu_seconds = check_python_scu(
                outputs[0], len(expected)
            )
        if not result.error and sc.write:
            result.error = check_written(out, expected)
        return result

    def measure(self, group: list[Scenario], repeat: int) -> dict[Scenario, Result]:
        """Run the rows of one workload in turn, ``repeat`` rounds; the median run.

        Taking turns spreads a change of the machine's load over all rows of
        a comparison. A row that fails once is reported as failed.
        """
        runs: dict[Scenario, list[Result]] = {sc: [] for sc in group}
        failed: dict[Scenario, Result] = {}
        for _ in range(repeat):
            for sc in group:
                if sc in failed:
                    continue
                result = self.run_once(sc)
                where = f"{sc.workload} {sc.label}: {sc.scu} -> {sc.scp}"
                where += " (chunked)" if sc.chunked else ""
                if result.error:
                    print(f"  {where}: FAILED: {result.error}", flush=True)
                    failed[sc] = result
                    continue
                print(
                    f"  {where}: {result.seconds:.2f} s, {result.rate:,.0f}/s",
                    flush=True,
                )
                runs[sc].append(result)
        return {
            sc: failed.get(sc)
            or sorted(runs[sc], key=lambda r: r.seconds)[(len(runs[sc]) - 1) // 2]
            for sc in group
        }


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no output)"


def forking_parent(pid: int) -> int:
    """The pre-forked server's parent: ``find_process`` finds a child.

    The children are forks, with the parent's very command line; a wrapper
    (a profiler) has another one.
    """
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    while True:
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        try:
            if Path(f"/proc/{parent}/cmdline").read_bytes() != cmdline:
                return pid
        except OSError:
            return pid
        pid = parent


def wait_children_done(pid: int, timeout: float = 10) -> None:
    """Wait until a forking server's children have exited (zombies count)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for child in common.children(pid):
            with contextlib.suppress(OSError):
                states.append(
                    Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
                )
        if all(state == "Z" for state in states):
            return
        time.sleep(0.01)  # polling /proc: there is no event to wait on


def check_storescu(outputs: list[tuple[int, str]], expected: int) -> str:
    """Count storescu's successes over its -v output; "" if all succeeded."""
    successes = sum(text.count(STORESCU_SUCCESS) for _, text in outputs)
    failed = [text for code, text in outputs if code != 0]
    if failed:
        return f"storescu exit status non-zero: {last_line(failed[0])}"
    if successes != expected:
        return f"{successes} of {expected} C-STOREs succeeded"
    return ""


def check_python_scu(
    output: tuple[int, str], expected: int
) -> tuple[str, float | None]:
    """Read a Python SCU's JSON report: an error (or "") and its own time."""
    code, text = output
    # The report is the last line that is a JSON object (a profiler may follow).
    lines = [line for line in text.splitlines() if line.startswith("{")]
    try:
        report: dict[str, Any] = json.loads(lines[-1])
    except (ValueError, IndexError):
        return f"SCU exit status {code}: {last_line(text)}", None
    if not report["established"]:
        return "association not established", None
    if report["ok"] != expected or report["sent"] != expected:
        return f"{report['ok']} of {expected} C-STOREs succeeded", None
    return "", float(report["seconds"])


def check_written(out: Path, expected: list[int]) -> str:
    """Every instance written, each about as large as its source file."""
    sizes = sorted(p.stat().st_size for p in out.iterdir())
    if len(sizes) != len(expected):
        return f"{len(sizes)} of {len(expected)} files written"
    bad = sum(abs(a - b) > SIZE_SLACK for a, b in zip(sizes, expected, strict=True))
    if bad:
        return f"{bad} written files differ in size from their sources"
    return ""


# -- the report ----------------------------------------------------------------------------


def mib(kib: int | None) -> str:
    return f"{kib / 1024:.0f}" if kib is not None else "-"


def seconds_or_dash(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def print_table(results: dict[Scenario, Result]) -> None:
    print(
        f"\n{'':<3}{'workload':<32}{'SCP':<19}{'SCU':<20}{'max PDU':>8}{'n':>6}{'seconds':>9}"
        f"{'inst/s':>9}{'MB/s':>7}{'SCP CPU s':>10}{'RSS MiB':>8}{'peak+ MiB':>10}{'SCU own s':>10}  status"
    )
    for sc, r in results.items():
        scu = sc.scu + (" chunked" if sc.chunked and sc.workload == "W6" else "")
        scp = sc.scp + (" chunked" if sc.chunked and sc.workload != "W6" else "")
        scp += f" {sc.processes} procs" if sc.processes > 1 else ""
        head = f"{sc.workload:<3}{sc.label:<32}{scp:<19}{scu:<20}{sc.receiver_pdu:>8}"
        if r.error:
            print(
                f"{head}{'-':>6}{'-':>9}{'-':>9}{'-':>7}{'-':>10}{'-':>8}{'-':>10}{'-':>10}  FAILED: {r.error}"
            )
            continue
        print(
            f"{head}{r.instances:>6}{r.seconds:>9.2f}{r.rate:>9.1f}{r.mbps:>7.0f}"
            f"{seconds_or_dash(r.scp_cpu):>10}{mib(r.rss_kib):>8}{mib(r.growth_kib):>10}"
            f"{seconds_or_dash(r.scu_seconds):>10}  ok"
        )


def ratio_line(
    name: str, ours: Result | None, theirs: Result | None, target: float
) -> str:
    if ours is None or theirs is None:
        return f"{name:<66}not run"
    if ours.error or theirs.error:
        return f"{name:<66}n/a: {'dicomnet' if ours.error else 'the other'} run failed"
    ratio = ours.rate / theirs.rate
    return f"{name:<66}{ratio:>6.2f}x  target >= {target:.1f}x: {common.verdict(ratio, target)}"


def print_ratios(results: dict[Scenario, Result]) -> None:
    by = {(sc.label, sc.tested): r for sc, r in results.items()}
    labels = list(dict.fromkeys((sc.workload, sc.label) for sc in results))
    print("\nratios (instances/s of dicomnet over the other, same workload and peer)\n")
    for workload, label in labels:
        if workload in {"W1", "W2", "W3", "W5"}:
            for other, target in (("pynetdicom", 3.0), ("dcmtk", 1.0)):
                name = f"{workload} {label}: dicomnet SCP / {other}"
                print(
                    ratio_line(
                        name,
                        by.get((label, "dicomnet")),
                        by.get((label, other)),
                        target,
                    )
                )
        elif workload == "W6":
            print_w6(label, by)
        elif workload == "W4":
            print_w4(label, by.get((label, "dicomnet")))


def print_w6(label: str, by: dict[tuple[str, str], Result]) -> None:
    theirs = by.get((label, "storescu"))
    for scu in ("dicomnet", "dicomnet chunked"):
        ours = by.get((label, scu))
        name = f"W6 {label}: {scu} SCU / storescu"
        print(ratio_line(name, ours, theirs, 1.0))
        if ours and theirs and not ours.error and not theirs.error and ours.scu_seconds:
            # For information: without the interpreter's start-up and imports.
            ratio = theirs.seconds / ours.scu_seconds
            print(
                f"{'   same, the SCU timing itself (associate..release)':<66}{ratio:>6.2f}x"
            )


def print_w4(label: str, ours: Result | None) -> None:
    name = f"W4 {label}: dicomnet SCP"
    if ours is None:
        print(f"{name:<66}not run")
    elif ours.error:
        print(f"{name:<66}n/a: the run failed")
    else:
        growth = (ours.growth_kib or 0) * 1024 / 1e6
        print(
            f"{name + ' peak RSS growth':<66}{growth:>6.0f} MB  target < 100 MB: {'met' if growth < 100 else 'MISSED'}"
        )
        print(
            f"{name + ' throughput':<66}{ours.mbps:>6.0f} MB/s  target >= 500 MB/s: {common.verdict(ours.mbps, 500)}"
        )


def print_header(args: argparse.Namespace, frames: int) -> None:
    print("\n".join(common.versions()))
    ct = statistics.mean(file_sizes("ct")) / 1e6
    small = statistics.mean(file_sizes("small")) / 1e3
    big = sum(file_sizes("big")) / 1e6
    print(
        f"data       {args.n} CT of {ct:.3f} MB, {args.n} datasets of {small:.2f} kB, one of {big:.0f} MB ({frames} frames), Explicit VR LE, on {ROOT}"
    )
    print(
        f"settings   --repeat {args.repeat} (median), --max-pdu {args.max_pdu or 'default (DCMTK 16384, Python 16382)'}, DCMTK with TCP_NODELAY=1"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--only", default="", help="workloads to run, e.g. W1,W3")
    add("--libs", default="", help="implementations under test, e.g. dicomnet,dcmtk")
    add("--n", type=int, default=1000, help="instances per workload (W4: frames too)")
    add("--repeat", type=int, default=1, help="runs per row, the median is reported")
    add("--max-pdu", type=int, help="maximum PDU of every SCP and SCU (4096..131072)")
    add("--keep-data", action="store_true", help="reuse (and keep) the generated files")
    add("--budget", type=float, default=300.0, help="seconds per run at most")
    add(
        "--wrapper",
        default="",
        help="prefix of the Python process under test ({run}: run name)",
    )
    return parser.parse_args()


def lock_root() -> TextIO:
    """Lock ROOT: two runs at once would share WORK and each other's CPU."""
    ROOT.mkdir(parents=True, exist_ok=True)
    lock = (ROOT / "lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(f"another bench_storage.py is running ({ROOT / 'lock'} is locked)")
    return lock


def main() -> None:
    args = parse_args()
    frames = max(GROUPS, FULL_FRAMES * args.n // 1000)
    only = {w.strip().upper() for w in args.only.split(",") if w.strip()}
    libs = {x.strip() for x in args.libs.split(",") if x.strip()}
    rows = [
        sc
        for sc in scenarios(args.n, frames, args.max_pdu)
        if (not only or sc.workload in only)
        and (not libs or sc.tested.split()[0] in libs)
    ]
    lock = lock_root()
    common.compile_bytecode()
    prepare_data(args.n, frames, keep=args.keep_data)
    print_header(args, frames)
    shutil.rmtree(FAILED, ignore_errors=True)
    runner = Runner(args)
    results: dict[Scenario, Result] = {}
    try:
        for label in dict.fromkeys(sc.label for sc in rows):
            group = [sc for sc in rows if sc.label == label]
            results.update(runner.measure(group, args.repeat))
    finally:
        runner.cleanup()
        shutil.rmtree(WORK, ignore_errors=True)
        if not args.keep_data:
            shutil.rmtree(DATA, ignore_errors=True)
            (ROOT / "lock").unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # only if empty
                ROOT.rmdir()
        lock.close()
    print_table(results)
    print_ratios(results)


if __name__ == "__main__":
    main()
