"""受講者全体の理解度レポートを、採点済みの gradebook から作る / The cohort report for an
existing gradebook (no grading).

    python grader/cohort_report.py [課題 ...] [--course DIR] [--out DIR] [--no-excel]
    python3 kit.py report [同じ引数]

Writes ``course/cohort/report.html`` and the sheet 「理解度」 of ``course/cohort/grades.xlsx``
(grader/cngrade/cohort_report.py); ``kit.py grade`` writes them too, after grading.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cngrade.cohort_report import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
