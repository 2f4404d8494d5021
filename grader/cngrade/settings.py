"""Settings of cohort grading (``c.CohortGrader.*`` in course/nbgrader_config.py).

nbgrader itself ignores the ``CohortGrader`` section. The per-cell timeout is nbgrader's own
``Execute.timeout`` (the same for ``nbgrader autograde``); everything else is here.
"""

from __future__ import annotations

import sys

from traitlets import Bool, Integer, List, Unicode
from traitlets.config import Configurable

MIB = 1024 * 1024

# Modules the fork server imports once for every kernel. Only modules whose import changes
# nothing a notebook can see (no rcParams, no IPython hooks): NOT cnkit.show (selects the
# Japanese font), NOT matplotlib.pyplot or matplotlib_inline (they hook into IPython when a
# shell exists), NOT ipywidgets (registers with the running kernel).
DEFAULT_PRELOAD = [
    "numpy", "pandas", "matplotlib", "matplotlib.font_manager", "matplotlib.figure",
    "matplotlib.ticker", "matplotlib.patches", "cnkit", "cnkit.check",
    "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
    "ipykernel.debugger", "PIL.Image", "PIL.PngImagePlugin", "yaml", "openpyxl",
]


class CohortGrader(Configurable):
    """Parallel, limited cohort grading (grader/grade_cohort.py)."""

    jobs = Integer(0, help="Notebooks graded at the same time (0: one per CPU core).").tag(
        config=True)
    notebook_timeout = Integer(
        600, help="Wall-clock seconds for one notebook, all cells together (0: no limit). "
                  "Each cell also has nbgrader's Execute.timeout.").tag(config=True)
    cpu_seconds = Integer(300, help="CPU seconds for one kernel (RLIMIT_CPU; 0: no limit).").tag(
        config=True)
    memory_mb = Integer(
        3072, help="Address space of one kernel in MiB (RLIMIT_AS; 0: no limit). Raised to what "
                   "the kernel already maps + 512 MiB if that is more.").tag(config=True)
    file_size_mb = Integer(100, help="Largest file a kernel may write, MiB (RLIMIT_FSIZE).").tag(
        config=True)
    processes = Integer(
        64, help="Processes and threads of one kernel (RLIMIT_NPROC, in its own user namespace; "
                 "0: no limit).").tag(config=True)
    network = Bool(False, help="Allow network access from the kernels.").tag(config=True)
    read_only = Bool(
        True, help="Make every file system read-only for the kernel, except its own submission "
                   "folder and a private temporary folder (Linux mount namespace).").tag(
        config=True)
    sandbox_user = Unicode(
        "nobody", help="When the grader runs as root, kernels run as this unprivileged user "
                       "('' to keep root).").tag(config=True)
    output_chars_per_cell = Integer(
        1_000_000, help="Characters one stream (stdout, stderr) may print per cell; the rest is "
                        "cut in the kernel.").tag(config=True)
    max_output_chars = Integer(
        20_000_000, help="Output characters the grader keeps per notebook.").tag(config=True)
    fork_kernels = Bool(
        sys.platform.startswith("linux"),
        help="Fork kernels from a process that has imported `preload` (fast); False: start "
             "each kernel as nbgrader does.").tag(config=True)
    preload = List(Unicode(), DEFAULT_PRELOAD,
                   help="Modules imported once by the fork server.").tag(config=True)
    feedback = Bool(True, help="Write feedback HTML after grading.").tag(config=True)
    output_dir = Unicode("", help="Folder for the grade sheets (default: <course>/cohort).").tag(
        config=True)

    def limits(self) -> dict:
        return {
            "cpu_seconds": self.cpu_seconds or None,
            "memory_bytes": self.memory_mb * MIB if self.memory_mb else None,
            "file_size_bytes": self.file_size_mb * MIB if self.file_size_mb else None,
            "processes": self.processes or None,
        }

    def describe(self) -> dict:
        return {name: getattr(self, name) for name in self.trait_names(config=True)}
