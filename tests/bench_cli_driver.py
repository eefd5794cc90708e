"""``actlab`` with the fake train function of bench_standin: the CLI's own code paths, at test speed.

Usage: ``python tests/bench_cli_driver.py bench --config ... --db ...`` (any actlab arguments).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from actlab.bench import runner  # noqa: E402
from actlab.cli.main import main  # noqa: E402

import bench_standin  # noqa: E402

runner.default_train = bench_standin.fake_train  # run_grid looks it up at call time; workers unpickle it by name

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
