"""nbgrader configuration for 中小企業のカーボンニュートラル支援 実践講座.

Run nbgrader commands from this folder (``course/``)::

    cd course
    python -m nbgrader generate_assignment 02_measure --force
    python -m nbgrader autograde 02_measure

The course root is the folder of this file, so a copy of this file in another folder
(the build and the pipeline tests use temporary copies of the course) makes that folder
the course root, with its own gradebook.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

# --- course -----------------------------------------------------------------------------
c.CourseDirectory.course_id = "cn-support"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# The gradebook defaults to sqlite:///<root>/gradebook.db.
# Exchange (nbgrader release_assignment / collect) is configured later, per deployment.

# --- student copies: what replaces a solution -------------------------------------------
c.ClearSolutions.code_stub = {
    "python": '# ここに解答を書いてください\nraise NotImplementedError("この演習はまだ解答されていません")',
}
c.ClearSolutions.text_stub = "ここに解答を書いてください。"
# begin/end delimiters stay the defaults: ### BEGIN SOLUTION / ### END SOLUTION

# --- execution (validate, autograde, generate_solution) ----------------------------------
# One cell may take at most 120 s; then the kernel is interrupted and the cell scores 0,
# and grading goes on with the next cell / the next student.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 120  # a cold kernel on a busy grading machine
c.Execute.raise_on_iopub_timeout = True
c.Execute.execute_retries = 0
# The kernel is the one named in each notebook (python3); a student cannot pick another:
c.Execute.kernel_name = "python3"

# --- cohort grading (python3 kit.py grade = grader/grade_cohort.py) -----------------------
# Limits for each grading kernel; nbgrader itself ignores this section. The per-cell
# timeout is Execute.timeout above (also used by plain `nbgrader autograde`).
# The defaults fit the course's notebooks: every solution runs in a few seconds and
# well under 1 GB. See course/instructor_guide.md §4.4 (and §4.5 for what each OS allows).
c.CohortGrader.notebook_timeout = 600       # s, wall clock for a whole notebook (0: none)
c.CohortGrader.cpu_seconds = 300            # s of CPU per kernel (RLIMIT_CPU)
c.CohortGrader.memory_mb = 3072             # MiB of address space per kernel (RLIMIT_AS)
c.CohortGrader.file_size_mb = 100           # MiB, largest file a kernel may write (RLIMIT_FSIZE)
c.CohortGrader.processes = 64               # processes + threads per kernel (RLIMIT_NPROC)
c.CohortGrader.network = False              # False: kernels cannot open network connections
c.CohortGrader.read_only = True             # True: kernels write only in their own folder
c.CohortGrader.output_chars_per_cell = 1_000_000   # per stream per cell, cut in the kernel
c.CohortGrader.max_output_chars = 20_000_000       # output kept per notebook by the grader
# c.CohortGrader.jobs = 0                   # notebooks at a time (0: CPU cores + 1)
# c.CohortGrader.fork_kernels = True        # fork kernels from a preloaded process (Linux)
# c.CohortGrader.preload = [...]            # modules that process imports (see grader/cngrade/settings.py)
# c.CohortGrader.sandbox_user = "nobody"    # kernels' user when grading as root
# c.CohortGrader.feedback = True            # write feedback HTML after grading
# c.CohortGrader.output_dir = ""            # grade sheets (default: course/cohort/)
