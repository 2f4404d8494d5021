"""受講者全員の提出物を並列に自動採点する / Autograde a whole cohort, in parallel and safely.

    python grader/grade_cohort.py [課題 ...] [--student ID] [--jobs N] [--timeout 秒] ...
    python3 kit.py grade [同じ引数]

Runs nbgrader's own autograde (the course's nbgrader_config.py) on every submission in
``course/submitted/<student>/<assignment>/``, several at a time, each kernel in a sandbox with
limits; writes the grades into the course gradebook exactly as ``nbgrader autograde`` would,
then feedback HTML, and grade sheets (CSV, Excel) in ``course/cohort/``.
The code lives in ``grader/cngrade/``; see ``course/instructor_guide.md``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cngrade.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
