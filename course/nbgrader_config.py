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
